"""Where a booking's and a ledger transfer's time goes (issue #19). Not a benchmark (no figures):

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_perf \
        .venv/bin/python -m bench.profile_hot_paths [--bookings 200] [--transfers 500] [--explain]

On a throwaway database beside DATABASE_URL's, one client:
  - statements per booking and per transfer, counted by a SQLAlchemy `before_cursor_execute`
    listener, by kind (SELECT, SELECT ... FOR UPDATE, INSERT, UPDATE);
  - time holding row locks: from the first locking statement (FOR UPDATE / FOR NO KEY UPDATE)
    to the end of the COMMIT, median and p95, beside the whole operation's time;
  - cProfile of the bookings and of the transfers (top functions by cumulative time, own code);
  - with --explain, EXPLAIN (ANALYZE, BUFFERS) of every statement of one booking, run again in a
    transaction that is rolled back.
"""

import argparse
import cProfile
import io
import pstats
import random
import re
import time
from collections import Counter

from sqlalchemy import event, text

from bench.bench_bookings import _book_with_app, setup_world
from bench.common import bench_app, median, p95
from marketplace import ledger
from marketplace.core.db import db

LOCKING = re.compile(r"FOR (NO KEY )?UPDATE|FOR SHARE", re.I)


class Recorder:
    """Every statement the engine runs while `on`, with when it was sent."""

    def __init__(self, engine):
        self.on = False
        self.statements: list[tuple[float, str, object]] = []
        event.listen(engine, "before_cursor_execute", self._before)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.statements.append((time.perf_counter(), statement, parameters))

    def take(self):
        taken, self.statements = self.statements, []
        return taken


def kind(statement: str) -> str:
    verb = statement.lstrip().split(None, 1)[0].upper()
    if verb == "SELECT" and LOCKING.search(statement):
        return "SELECT ... FOR SHARE" if "FOR SHARE" in statement.upper() else "SELECT ... FOR UPDATE"
    return verb


def measure(recorder, operations, label):
    """Run each operation (a callable that commits), recording statements and lock-held time."""
    counts, whole, locked, per_op = Counter(), [], [], []
    for op in operations:
        recorder.on = True
        began = time.perf_counter()
        op()
        ended = time.perf_counter()
        recorder.on = False
        statements = recorder.take()
        per_op.append(len(statements))
        counts.update(kind(s) for _, s, _ in statements)
        whole.append(ended - began)
        first_lock = next((t for t, s, _ in statements if LOCKING.search(s)), None)
        if first_lock is not None:
            locked.append(ended - first_lock)
    n = len(operations)
    print(f"\n== {label}: {n} operations, one client")
    print(f"statements per operation: median {median(per_op):.0f}, max {max(per_op)}")
    for verb, count in counts.most_common():
        print(f"  {verb:<22} {count / n:6.1f} per operation")
    print(f"whole operation: median {median(whole) * 1000:.2f} ms, p95 {p95(whole) * 1000:.2f} ms")
    if locked:
        print(
            f"row locks held (first FOR UPDATE to end of COMMIT): median {median(locked) * 1000:.2f} ms, "
            f"p95 {p95(locked) * 1000:.2f} ms ({median(locked) / median(whole):.0%} of the operation)"
        )


def profile(operations, label, top=25):
    profiler = cProfile.Profile()
    profiler.enable()
    for op in operations:
        op()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"marketplace|sqlalchemy/orm/session|psycopg/cursor", top)
    print(f"\n== cProfile, {label} ({len(operations)} operations), by cumulative time")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def explain(engine, statements):
    print("\n== EXPLAIN (ANALYZE, BUFFERS) of one booking's statements (rolled back)")
    with engine.connect() as conn:
        trans = conn.begin()
        cursor = conn.connection.dbapi_connection.cursor()
        for _, statement, params in statements:
            if statement.lstrip().upper().startswith(("COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
                continue
            print("-- " + " ".join(statement.split())[:160])
            cursor.execute("SAVEPOINT explained")
            try:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, params)
            except Exception as err:  # noqa: BLE001 - e.g. the unique key it wrote the first time
                cursor.execute("ROLLBACK TO SAVEPOINT explained")
                print(f"   (not run again: {type(err).__name__})")
                continue
            plan = [row[0] for row in cursor.fetchall()]
            print("\n".join("   " + line for line in plan))
        trans.rollback()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.profile_hot_paths")
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--transfers", type=int, default=500)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--statements", action="store_true", help="list one booking's statements")
    args = parser.parse_args(argv)
    with bench_app("bench_profile") as app:
        engine = db.engine
        recorder = Recorder(engine)
        rng = random.Random(19)
        worlds = [setup_world(1 + args.bookings // 600, tag) for tag in ("count", "profile")]

        def bookings(world, n):
            def one():
                user_id, budget_id = rng.choice(world["families"])
                try:
                    _book_with_app(app, rng.choice(world["slot_ids"]), user_id, budget_id)
                finally:
                    db.session.remove()

            return [one] * n

        world_ = worlds[0]
        measure(recorder, bookings(world_, args.bookings), "bookings (bookings.book + commit)")
        if args.statements or args.explain:
            recorder.on = True
            bookings(worlds[1], 1)[0]()
            recorder.on = False
            taken = recorder.take()
            print("\n== one booking's statements, in order")
            for n, (_, statement, _) in enumerate(taken, 1):
                print(f"{n:3} {' '.join(statement.split())[:150]}")
            if args.explain and engine.dialect.name == "postgresql":
                explain(engine, taken)
        profile(bookings(worlds[1], args.bookings), "bookings")

        s = db.session
        world = ledger.open_account(s, "world", 0, "outside")
        budget = ledger.open_account(s, "profile_budget", 0, "available", non_negative=True)
        provider = ledger.open_account(s, "profile_provider", 0, "income")
        ledger.transfer(s, world, budget, 10**12, "fund")
        s.commit()
        ids = budget.id, provider.id

        def transfer():
            session = db.session
            debit, credit = session.get(ledger.Account, ids[0]), session.get(ledger.Account, ids[1])
            ledger.transfer(session, debit, credit, 1 + rng.randrange(97), "bench")
            session.commit()

        measure(recorder, [transfer] * args.transfers, "ledger transfers (ledger.transfer + commit)")
        profile([transfer] * args.transfers, "ledger transfers")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))


if __name__ == "__main__":
    main()
