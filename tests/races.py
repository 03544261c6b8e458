"""Real races for PostgreSQL tests: each attempt in its own thread, connection and transaction."""

import threading

from marketplace.core.db import db
from marketplace.core.errors import Conflict


def race(app, *attempts):
    """Run each attempt(session) — which prepares and returns the action to race — in its own
    thread and transaction, all released at once. Returns "ok", a Conflict's code, or
    "error: ..." for each, in order."""
    barrier = threading.Barrier(len(attempts))
    results = [None] * len(attempts)

    def run(i, attempt):
        with app.app_context():
            session = db.session
            try:
                prepared = attempt(session)
                barrier.wait(timeout=10)
                prepared()
                session.commit()
                results[i] = "ok"
            except Conflict as err:
                session.rollback()
                results[i] = err.code
            except Exception as err:  # noqa: BLE001 - any other failure is what the test looks for
                session.rollback()
                results[i] = f"error: {err!r}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def race_in_processes(app, attempt, cases):
    """Like `race`, but each `attempt(session, *case)` runs in a forked PROCESS of its own, with its
    own app, engine, connection and transaction (as gunicorn workers do), all released at once.
    Returns "ok", a Conflict's code, or "error: ..." for each case, in order. PostgreSQL only."""
    import multiprocessing

    from marketplace import create_app

    config = {
        "ENV": "testing",
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
    }
    db.session.remove()
    db.engine.dispose()  # no pooled connection crosses the fork
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(cases))
    outcomes = ctx.Queue()

    def run(i, case):
        result = None
        try:
            own = create_app(config)
            with own.app_context():
                session = db.session
                try:
                    prepared = attempt(session, *case)
                    barrier.wait(timeout=60)
                    prepared()
                    session.commit()
                    result = "ok"
                except Conflict as err:
                    session.rollback()
                    result = err.code
                finally:
                    db.session.remove()
                    db.engine.dispose()
        except Exception as err:  # noqa: BLE001 - any other failure is what the test looks for
            result = f"error: {err!r}"
        outcomes.put((i, result))

    procs = [ctx.Process(target=run, args=(i, case)) for i, case in enumerate(cases)]
    for proc in procs:
        proc.start()
    results = [None] * len(cases)
    for _ in procs:
        i, result = outcomes.get(timeout=180)
        results[i] = result
    for proc in procs:
        proc.join(timeout=30)
    return results
