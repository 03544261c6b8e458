"""Races on PostgreSQL: real threads, each with its own app context, session and connection,
committing for real. Rule 4 (never below zero, counting holds), rule 5 (a key writes once) and
"each hold is resolved exactly once" must hold, with no deadlock and no unexpected error."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.core.db import db
from marketplace.ledger.errors import HoldAlreadyResolved, IdempotencyConflict, InsufficientFunds
from marketplace.ledger.models import Account, Hold, HoldResolution, Transfer

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


@pytest.fixture
def accounts(session):
    world = ledger.open_account(session, "world", 0, "outside")
    budget = ledger.open_account(session, "budget_stream", 1, "available", non_negative=True, name="budget")
    other = ledger.open_account(session, "budget_stream", 2, "available", non_negative=True, name="other")
    provider = ledger.open_account(session, "organisation", 7, "income")
    session.commit()
    return world.id, budget.id, other.id, provider.id


def in_threads(app, count, work):
    """Run work(session, index) in `count` threads, each in its own app context; return results
    in order. Exceptions propagate (after every thread has finished)."""

    def run(index):
        with app.app_context():
            try:
                return work(db.session, index)
            finally:
                db.session.rollback()
                db.session.remove()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def fund(session, world_id, account_id, amount):
    ledger.transfer(session, session.get(Account, world_id), session.get(Account, account_id), amount, "fund")
    session.commit()


def test_concurrent_holds_never_overdraw(app, session, accounts):
    world_id, budget_id, _, provider_id = accounts
    funded = 500_000
    fund(session, world_id, budget_id, funded)

    def try_holds(s, index):
        rng = random.Random(index)
        placed, refused = [], []
        for _ in range(50):
            amount = rng.randint(100, 5000)
            try:
                ledger.place_hold(s, s.get(Account, budget_id), s.get(Account, provider_id), amount, "hold")
                s.commit()
                placed.append(amount)
            except InsufficientFunds as refusal:
                s.rollback()
                refused.append((amount, refusal.details["available"]))
        return placed, refused

    results = in_threads(app, 16, try_holds)  # anything but InsufficientFunds would raise here
    placed = [a for p, _ in results for a in p]
    refused = [r for _, rs in results for r in rs]
    session.expire_all()
    budget = session.get(Account, budget_id)
    assert refused, "the budget was meant to run out"
    assert budget.available >= 0
    assert sum(placed) == funded - budget.available == budget.pending_out
    assert len(placed) == session.scalar(select(func.count()).select_from(Hold))
    # Each refusal saw too little, and availability only fell, so nothing that fits was refused.
    assert all(available < amount for amount, available in refused)
    assert budget.available < min(amount for amount, _ in refused)
    assert ledger.reconcile(session) == []


def test_one_key_from_many_threads_writes_once(app, session, accounts):
    world_id, budget_id, _, provider_id = accounts
    fund(session, world_id, budget_id, 10_000)
    barrier = threading.Barrier(8)

    def send(s, index):
        budget, provider = s.get(Account, budget_id), s.get(Account, provider_id)
        barrier.wait()
        row = ledger.transfer(s, budget, provider, 2500, "spend", idempotency_key="evt_same")
        s.commit()
        return row.id

    ids = in_threads(app, 8, send)
    assert len(set(ids)) == 1
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Transfer).where(Transfer.code == "spend")) == 1
    assert session.get(Account, budget_id).posted == 7500
    assert ledger.reconcile(session) == []


def test_one_key_with_two_payloads_on_unrelated_accounts(app, session, accounts):
    """Requests that share no account do not serialise on row locks: the key's unique index
    must make the second payload wait for the first and then refuse it."""
    world_id, budget_id, other_id, provider_id = accounts
    fund(session, world_id, budget_id, 10_000)
    fund(session, world_id, other_id, 10_000)
    barrier = threading.Barrier(8)

    def send(s, index):
        debit = s.get(Account, budget_id if index % 2 else other_id)
        credit = s.get(Account, provider_id if index % 2 else world_id)
        barrier.wait()
        try:
            row = ledger.transfer(s, debit, credit, 1000, "spend", idempotency_key="evt_shared")
            s.commit()
            return ("ok", index % 2, row.id)
        except IdempotencyConflict:
            s.rollback()
            return ("conflict", index % 2, None)

    outcomes = in_threads(app, 8, send)
    winners = {(side, row_id) for kind, side, row_id in outcomes if kind == "ok"}
    assert len(winners) == 1
    ((winning_side, _),) = winners
    assert all((kind == "ok") == (side == winning_side) for kind, side, _ in outcomes)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Transfer).where(Transfer.code == "spend")) == 1
    assert ledger.reconcile(session) == []


def test_post_and_void_racing_on_one_hold_resolve_it_once(app, session, accounts):
    world_id, budget_id, _, provider_id = accounts
    fund(session, world_id, budget_id, 100_000)
    budget, provider = session.get(Account, budget_id), session.get(Account, provider_id)
    hold_ids = [ledger.place_hold(session, budget, provider, 1000, "hold").id for _ in range(5)]
    session.commit()

    for hold_id in hold_ids:
        barrier = threading.Barrier(6)

        def resolve(s, index, hold_id=hold_id, barrier=barrier):
            hold = s.get(Hold, hold_id)
            barrier.wait()
            try:
                if index % 3 == 0:
                    ledger.void_hold(s, hold)
                else:
                    ledger.post_hold(s, hold, 400 * (index % 3))
                s.commit()
                return "resolved"
            except HoldAlreadyResolved:
                s.rollback()
                return "refused"

        assert sorted(in_threads(app, 6, resolve)) == ["refused"] * 5 + ["resolved"]

    session.expire_all()
    resolutions = session.scalars(select(HoldResolution.hold_id)).all()
    assert sorted(resolutions) == sorted(hold_ids)
    assert session.get(Account, budget_id).pending_out == 0
    assert ledger.reconcile(session) == []


def test_opposite_transfers_do_not_deadlock(app, session, accounts):
    world_id, budget_id, other_id, _ = accounts
    fund(session, world_id, budget_id, 1_000_000)
    fund(session, world_id, other_id, 1_000_000)

    def shuffle(s, index):
        rng = random.Random(100 + index)
        for step in range(40):
            a, b = (budget_id, other_id) if (index + step) % 2 else (other_id, budget_id)
            ledger.transfer(s, s.get(Account, a), s.get(Account, b), rng.randint(1, 500), "shuffle")
            s.commit()
        return True

    assert all(in_threads(app, 8, shuffle))  # a deadlock would raise OperationalError here
    session.expire_all()
    total = session.get(Account, budget_id).posted + session.get(Account, other_id).posted
    assert total == 2_000_000
    assert ledger.reconcile(session) == []


def test_operations_refresh_balances_another_session_changed(app, session, accounts):
    """The caller's account objects may be stale: the lock re-reads them before checking."""
    world_id, budget_id, _, provider_id = accounts
    fund(session, world_id, budget_id, 1000)
    budget, provider = session.get(Account, budget_id), session.get(Account, provider_id)
    assert budget.posted == 1000  # loaded in this transaction

    with app.app_context():  # someone else spends it all and commits
        other = db.session
        ledger.transfer(other, other.get(Account, budget_id), other.get(Account, provider_id), 1000, "spend")
        other.commit()
        db.session.remove()

    assert budget.posted == 1000  # stale
    with pytest.raises(InsufficientFunds):
        ledger.transfer(session, budget, provider, 1, "spend")
    assert budget.posted == 0
    session.rollback()
    assert ledger.reconcile(session) == []
