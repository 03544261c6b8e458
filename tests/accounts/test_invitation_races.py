"""An invitation is used once even when two people (or two tabs) accept it at the same moment."""

import pytest
from sqlalchemy import func, select

from marketplace.accounts import invitations
from marketplace.accounts.models import Invitation, User
from marketplace.core.db import db
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def test_two_simultaneous_acceptances_make_one_account(app, make, session):
    family = make.family()
    _, token = invitations.invite(
        session,
        actor=make.user("admin"),
        email="race@example.org",
        name="Racer",
        role="family",
        family=family,
    )
    session.commit()

    def accept(password):
        def prepare(s):
            return lambda: invitations.accept_invitation(s, token, name="Racer", password=password)

        return prepare

    results = race(app, accept("First-password-1"), accept("Second-password-2"))
    assert results.count("ok") == 1, results
    (refused,) = [r for r in results if r != "ok"]
    assert "already been used" in refused
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(User).where(User.email == "race@example.org")
        )
        used = db.session.scalar(select(Invitation.accepted_at).where(Invitation.email == "race@example.org"))
        db.session.remove()
    assert count == 1 and used is not None
