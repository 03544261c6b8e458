"""Lock-out holds under concurrent sign-ins: parallel wrong guesses cannot outrun the counter."""

import threading

import pytest

from marketplace.accounts.operations import MAX_FAILED_SIGN_INS, authenticate
from marketplace.core.db import db
from marketplace.core.errors import Conflict


@pytest.mark.real_commits
def test_parallel_wrong_passwords_lock_after_exactly_five(app, make, session):
    user = make.user("family")
    session.commit()
    email = user.email
    session.rollback()
    attempts = 2 * MAX_FAILED_SIGN_INS
    barrier = threading.Barrier(attempts)
    outcomes = []

    def guess():
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(authenticate(db.session, email, "wrong-password-1"))
                db.session.commit()
            except Conflict:
                db.session.rollback()
                outcomes.append("locked")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(None) == MAX_FAILED_SIGN_INS
    assert outcomes.count("locked") == attempts - MAX_FAILED_SIGN_INS
