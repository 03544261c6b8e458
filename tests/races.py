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
