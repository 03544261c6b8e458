"""Set-based posting: the same rules as one transfer at a time, paid for once per batch."""

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.ledger import Movement, open_accounts, transfer_many
from marketplace.ledger.errors import IdempotencyConflict, InsufficientFunds
from marketplace.ledger.models import Transfer


@pytest.fixture
def accounts(session):
    found = open_accounts(
        session,
        [
            ("world", 0, "outside", False, ""),
            ("isf", 1, "available", True, "ISF 1"),
            ("org", 7, "income", False, ""),
            ("org", 7, "overhead", False, ""),
        ],
    )
    world, fund, income, overhead = (
        found[k]
        for k in (
            ("world", 0, "outside"),
            ("isf", 1, "available"),
            ("org", 7, "income"),
            ("org", 7, "overhead"),
        )
    )
    ledger.transfer(session, world, fund, 10_000, "receipt")
    return world, fund, income, overhead


def test_open_accounts_gets_or_creates_each_once(session, accounts):
    again = open_accounts(
        session, [("isf", 1, "available", True, "ISF 1"), ("isf", 2, "available", True, "ISF 2")]
    )
    assert again[("isf", 1, "available")].id == accounts[1].id
    assert again[("isf", 2, "available")].non_negative


def test_a_batch_posts_every_movement_and_reconciles(session, accounts):
    world, fund, income, overhead = accounts
    rows = transfer_many(
        session,
        [
            Movement(fund, overhead, 800, "top_slice", idempotency_key="w1:top"),
            Movement(fund, income, 9_200, "delivery", idempotency_key="w1:del"),
        ],
    )
    assert [session.get(Transfer, i).amount for i in rows] == [800, 9_200]
    assert (fund.posted, income.posted, overhead.posted) == (0, 9_200, 800)
    assert ledger.reconcile(session) == []


def test_running_balance_is_checked_and_a_refusal_writes_nothing(session, accounts):
    world, fund, income, overhead = accounts
    before = session.scalar(select(func.count(Transfer.id)))
    with pytest.raises(InsufficientFunds):
        transfer_many(
            session, [Movement(fund, income, 6_000, "delivery"), Movement(fund, income, 4_001, "delivery")]
        )
    assert session.scalar(select(func.count(Transfer.id))) == before
    assert fund.posted == 10_000


def test_replays_write_nothing_and_a_changed_request_is_refused(session, accounts):
    world, fund, income, overhead = accounts
    first = transfer_many(session, [Movement(fund, income, 500, "delivery", idempotency_key="k1")])
    again = transfer_many(
        session,
        [
            Movement(fund, income, 500, "delivery", idempotency_key="k1"),
            Movement(fund, income, 100, "delivery", idempotency_key="k2"),
        ],
    )
    assert again[0] is None and session.get(Transfer, again[1]).amount == 100
    assert session.get(Transfer, first[0]).amount == 500
    assert income.posted == 600
    with pytest.raises(IdempotencyConflict):
        transfer_many(session, [Movement(fund, income, 999, "delivery", idempotency_key="k1")])
    # the single-transfer API sees the batch's key as its own
    assert ledger.transfer(session, fund, income, 500, "delivery", idempotency_key="k1").id == first[0]
    assert ledger.reconcile(session) == []
