"""Issue #19: holds towards one provider's account from different budgets do not queue behind one
another (the credit is locked FOR SHARE when the caller asks), while anything that moves the
credit's balance still waits for them. PostgreSQL, two real open transactions."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from marketplace import ledger
from marketplace.core.db import db
from marketplace.ledger.models import Account

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


@pytest.fixture
def accounts(session):
    world = ledger.open_account(session, "world", 0, "outside")
    first = ledger.open_account(session, "budget_stream", 1, "available", non_negative=True, name="one")
    second = ledger.open_account(session, "budget_stream", 2, "available", non_negative=True, name="two")
    provider = ledger.open_account(session, "organisation", 7, "income")
    for account in (first, second):
        ledger.transfer(session, world, account, 10000, "fund")
    session.commit()
    return world.id, first.id, second.id, provider.id


def other_transaction(app, work):
    """Run work(session) in a second app context and transaction that gives up on a lock after
    half a second; returns "ok" or "waited"; rolls back."""
    with app.app_context():
        session = db.session
        try:
            session.execute(text("SET LOCAL lock_timeout = '500ms'"))
            work(session)
            session.flush()
            return "ok"
        except OperationalError:
            return "waited"
        finally:
            session.rollback()
            db.session.remove()


def test_a_second_budgets_hold_does_not_wait_for_the_first_but_a_transfer_does(app, session, accounts):
    _, first_id, second_id, provider_id = accounts
    get = session.get
    ledger.place_hold(
        session, get(Account, first_id), get(Account, provider_id), 500, "booking_hold", share_credit=True
    )
    # The first transaction is still open, holding its locks.

    def hold_from_second(other):
        ledger.place_hold(
            other,
            other.get(Account, second_id),
            other.get(Account, provider_id),
            700,
            "booking_hold",
            share_credit=True,
        )

    def pay_provider(other):
        ledger.transfer(other, other.get(Account, second_id), other.get(Account, provider_id), 300, "pay")

    def exclusive_hold(other):  # without share_credit a hold still locks the credit exclusively
        ledger.place_hold(
            other, other.get(Account, second_id), other.get(Account, provider_id), 700, "booking_hold"
        )

    assert other_transaction(app, hold_from_second) == "ok"
    assert other_transaction(app, pay_provider) == "waited"
    assert other_transaction(app, exclusive_hold) == "waited"
    session.commit()
    assert other_transaction(app, pay_provider) == "ok"
    assert ledger.reconcile(session) == []
