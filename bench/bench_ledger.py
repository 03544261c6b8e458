"""Benchmark: ledger transfers and holds per second against plain SQL writing the same rows.

`run(scale)` measures, on DATABASE_URL (default a temporary SQLite file):
  - transfers/s and holds/s through `marketplace.ledger` (locks, funds check,
    append-only rows, cached balances), one commit per operation;
  - the same rows written by plain SQL: INSERT the transfer (or hold) and UPDATE the cached
    balances, one commit per operation, with no lock, no check and no ORM;
each with 1, 4 and 16 concurrent client processes (forked, each with its own app, engine and
session, as gunicorn workers are). Each client moves money between its own pair of accounts, so PostgreSQL clients do not queue on one row; SQLite serialises every writer anyway.
`ratio` = baseline rate / project rate (how many times slower the project is).

The database is thrown away: on PostgreSQL `<dbname>_bench_ledger` is created and dropped
through an AUTOCOMMIT connection; on SQLite a temporary file. Scale 1 takes well under 30 s.
"""

import contextlib
import os
import threading
import time
from datetime import UTC, date, datetime

from sqlalchemy import create_engine

from bench import common

BENCH = "ledger"
CLIENTS = (1, 4, 16)  # client processes
OPS_PER_SCALE = 320  # operations per figure (and as many for its baseline) at scale 1
FUNDED = 10**12


def throwaway_database():
    """A throwaway database beside DATABASE_URL's (or a temporary SQLite file); see bench.common."""
    return common.throwaway_database("bench_ledger")


def _in_processes(count: int, engine, work) -> float:
    """Run work(index, barrier) in `count` forked processes started together (each makes its own
    app or engine); the wall-clock seconds from the start signal until the last one finishes."""
    import multiprocessing

    engine.dispose()  # no pooled connection crosses the fork
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(count + 1)
    errors = ctx.Queue()

    def run(index):
        try:
            work(index, barrier)
        except BaseException as error:  # noqa: BLE001 - reported after the join
            errors.put(repr(error))
            barrier.abort()

    procs = [ctx.Process(target=run, args=(i,)) for i in range(count)]
    for proc in procs:
        proc.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a failed client reports below
        barrier.wait(timeout=180)
    started = time.perf_counter()
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    if not errors.empty() or any(proc.exitcode for proc in procs):
        raise AssertionError(
            f"a client process failed: {errors.get(timeout=1) if not errors.empty() else ''}"
        )
    return elapsed


# ---- the project ------------------------------------------------------------------------------


def _open_pairs(app, label: str, count: int) -> list[tuple[int, int]]:
    """`count` (protected budget, provider income) account id pairs, the budgets well funded."""
    from marketplace import ledger
    from marketplace.core.db import db

    with app.app_context():
        session = db.session
        world = ledger.open_account(session, "world", 0, "outside")
        pairs = []
        for i in range(count):
            budget = ledger.open_account(session, f"{label}_budget", i, "available", non_negative=True)
            provider = ledger.open_account(session, f"{label}_provider", i, "income")
            ledger.transfer(session, world, budget, FUNDED, "fund")
            pairs.append((budget.id, provider.id))
        session.commit()
        db.session.remove()
    return pairs


def _project_rate(app, operation: str, clients: int, per_client: int) -> float:
    from marketplace import ledger
    from marketplace.core.db import db
    from marketplace.ledger.models import Account

    pairs = _open_pairs(app, f"{operation}{clients}", clients)
    act = ledger.transfer if operation == "transfers" else ledger.place_hold

    def work(index, barrier):
        from marketplace import create_app

        own = create_app(app.config.copy())  # this process's own app and engine
        with own.app_context():
            session = db.session
            budget, provider = (session.get(Account, i) for i in pairs[index])
            session.commit()
            barrier.wait()
            for n in range(per_client):
                act(session, budget, provider, 1 + n % 97, "bench")
                session.commit()
            db.session.remove()

    with app.app_context():
        return clients * per_client / _in_processes(clients, db.engine, work)


# ---- the baseline: the same rows by plain SQL ----------------------------------------------------


def _baseline_rate(app, operation: str, clients: int, per_client: int) -> float:
    from marketplace.core.db import db

    pairs = _open_pairs(app, f"plain_{operation}{clients}", clients)
    with app.app_context():
        engine = db.engine
    sqlite = engine.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    if operation == "transfers":
        insert = (
            "INSERT INTO ledger_transfer (debit_account_id, credit_account_id, amount, code, "
            f"effective_date, created_at) VALUES ({', '.join([mark] * 6)})"
        )
    else:
        insert = (
            "INSERT INTO ledger_hold (debit_account_id, credit_account_id, amount, code, "
            f"effective_date, created_at) VALUES ({', '.join([mark] * 6)})"
        )
    debit_posted = f"UPDATE ledger_account SET posted = posted - {mark} WHERE id = {mark}"
    credit_posted = f"UPDATE ledger_account SET posted = posted + {mark} WHERE id = {mark}"
    hold_pending = f"UPDATE ledger_account SET pending_out = pending_out + {mark} WHERE id = {mark}"

    def work(index, barrier):
        debit, credit = pairs[index]
        raw = create_engine(
            engine.url
        ).raw_connection()  # this process's own  # the driver's own connection: no ORM, no Core
        try:
            cursor = raw.cursor()
            barrier.wait()
            for n in range(per_client):
                amount = 1 + n % 97
                now = datetime.now(UTC)
                if sqlite:
                    cursor.execute("BEGIN IMMEDIATE")  # as the app's connections do
                    now = now.replace(tzinfo=None)
                cursor.execute(insert, (debit, credit, amount, "bench", date.today(), now))
                if operation == "transfers":
                    cursor.execute(debit_posted, (amount, debit))
                    cursor.execute(credit_posted, (amount, credit))
                else:
                    cursor.execute(hold_pending, (amount, debit))
                raw.commit() if not sqlite else cursor.execute("COMMIT")
        finally:
            raw.close()

    return clients * per_client / _in_processes(clients, engine, work)


# ---- figures ----------------------------------------------------------------------------------


def run(scale: int = 1) -> list[dict]:
    from marketplace import create_app, ledger
    from marketplace.core.db import db

    figures = []
    with throwaway_database() as url:
        app = create_app({"ENV": "testing", "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 40})
        with app.app_context():
            db.create_all()
        try:
            for operation in ("transfers", "holds"):
                for clients in CLIENTS:
                    per_client = max(1, OPS_PER_SCALE * scale // clients)
                    baseline = _baseline_rate(app, operation, clients, per_client)
                    project = _project_rate(app, operation, clients, per_client)
                    figures.append(
                        {
                            "bench": BENCH,
                            "figure": f"{operation} per second, {clients} client process{'es' if clients > 1 else ''}",
                            "value": round(project, 1),
                            "unit": "per s",
                            "baseline": round(baseline, 1),
                            "ratio": round(baseline / project, 2),
                        }
                    )
            with app.app_context():
                problems = ledger.reconcile(db.session)
                db.session.rollback()
            if problems:  # the baseline keeps cached balances in step too, so this must be empty
                raise AssertionError(f"ledger unsound after the benchmark: {problems[:3]}")
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return figures


if __name__ == "__main__":
    for fig in run(int(os.environ.get("BENCH_SCALE", "1"))):
        baseline = fig["baseline"]
        print(
            f"{fig['figure']:<32} {fig['value']:>9.1f} {fig['unit']}   plain SQL {baseline:>9.1f}   x{fig['ratio']}"
        )
