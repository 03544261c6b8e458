"""Bookings per second over HTTP, as production takes them: gunicorn with several worker processes
on 127.0.0.1 serving the real app, and 4 and 16 client processes posting `POST /api/v1/bookings`
with the families' bearer tokens, one night at a time on shared slots and budgets.

The baseline is the same reservation in plain SQL (bench_bookings._book_with_sql) from as many
client processes, on a world of its own. After each run the benchmark checks that no slot is
overbooked, no budget overspent and `reconcile()` is clean, as bench_bookings does.
"""

import json
import os

from bench.bench_bookings import _verify, setup_world, sql_client
from bench.bench_web import Gunicorn, request
from bench.clients import client_counts, in_processes
from bench.common import bench_app, bench_seconds, figure, progress, rate_ratio
from marketplace.accounts import operations as accounts
from marketplace.accounts.models import User
from marketplace.core.db import db

NAME = "bookings_http"
CLIENTS = client_counts((4, 16))


def workers() -> int:
    return int(os.environ.get("BENCH_WORKERS", max(2, 2 * (os.cpu_count() or 1))))


def http_client(port: int, world: dict, tokens: dict[int, str]):
    """make_work for bench.clients: POST /api/v1/bookings as a random family on a random slot."""

    def make_work(_index):
        def work(rng):
            user_id, budget_id = rng.choice(world["families"])
            body = json.dumps({"slot_id": rng.choice(world["slot_ids"]), "budget_id": budget_id, "units": 1})
            headers = {"Authorization": f"Bearer {tokens[user_id]}", "Content-Type": "application/json"}
            status, _headers, text = request(port, "POST", "/api/v1/bookings", body, headers)
            if status == 201:
                return True
            if status == 409:  # full, or the budget is short: a clean refusal
                return False
            raise RuntimeError(f"POST /api/v1/bookings answered {status}: {text[:300]}")

        return work

    return make_work


def run(scale: int) -> list[dict]:
    seconds = bench_seconds(3.0)
    results = []
    with bench_app("bench_bookings_http") as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        worlds = {}
        for clients in ("warm", *CLIENTS):
            world = setup_world(scale, f"http{clients}")
            s = db.session
            tokens = {uid: accounts.create_api_token(s, s.get(User, uid)) for uid, _ in world["families"]}
            s.commit()
            worlds[clients] = (world, tokens, setup_world(scale, f"plain{clients}"))
        db.session.remove()
        db.engine.dispose()  # the workers and clients make their own connections
        progress(f"bookings_http: gunicorn with {workers()} workers")
        with Gunicorn(url, workers()) as server:
            warm, warm_tokens, _ = worlds.pop("warm")
            # Every worker answers a few bookings first (imports, compiled statements), untimed.
            in_processes(workers(), min(1.0, seconds), http_client(server.port, warm, warm_tokens))
            for clients in CLIENTS:
                world, tokens, plain = worlds[clients]
                progress(
                    f"bookings_http: {clients} client processes, HTTP then plain SQL, {seconds:g} s each"
                )
                ok, no, elapsed = in_processes(clients, seconds, http_client(server.port, world, tokens))
                _verify(world["slot_ids"])
                db.session.remove()
                db.engine.dispose()
                ok_sql, _no_sql, elapsed_sql = in_processes(clients, seconds, sql_client(url, plain))
                _verify(plain["slot_ids"])
                db.session.remove()
                db.engine.dispose()
                rate, sql_rate = ok / elapsed, ok_sql / elapsed_sql
                results.append(
                    figure(
                        NAME,
                        f"POST /api/v1/bookings per s, {clients} client processes, {workers()} workers",
                        rate,
                        "per s",
                        baseline=sql_rate,
                        ratio=rate_ratio(rate, sql_rate),
                    )
                )
                results.append(
                    figure(NAME, f"refused over HTTP (409), {clients} client processes", no, "bookings")
                )
        progress("bookings_http: verified — no slot overbooked, no budget overspent, ledger reconciles")
    return results


if __name__ == "__main__":
    import sys

    from bench.runner import main

    sys.exit(main([NAME, *sys.argv[1:]]))
