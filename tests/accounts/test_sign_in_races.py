"""The sign-in throttle holds under concurrent sign-ins: parallel wrong guesses from one address
cannot outrun the count (its rows are locked while each guess is checked)."""

import threading

import pytest

from marketplace.accounts.operations import MAX_FAILURES_PER_ACCOUNT, Throttled, authenticate
from marketplace.core.db import db
from tests.conftest import PASSWORD


@pytest.mark.real_commits
def test_parallel_wrong_passwords_are_checked_exactly_five_times(app, make, session):
    user = make.user("family")
    session.commit()
    email = user.email
    session.rollback()
    attempts = 2 * MAX_FAILURES_PER_ACCOUNT
    barrier = threading.Barrier(attempts)
    outcomes = []

    def guess():
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(authenticate(db.session, email, "wrong-password-1", client="203.0.113.9"))
                db.session.commit()
            except Throttled:
                db.session.rollback()
                outcomes.append("throttled")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(None) == MAX_FAILURES_PER_ACCOUNT
    assert outcomes.count("throttled") == attempts - MAX_FAILURES_PER_ACCOUNT
    # the account itself is not locked: its owner signs in from home
    with app.app_context():
        assert authenticate(db.session, email, PASSWORD, client="198.51.100.7").email == email
        db.session.commit()
        db.session.remove()
