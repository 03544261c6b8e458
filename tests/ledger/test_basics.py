import pytest

from marketplace import ledger
from marketplace.ledger.errors import HoldAlreadyResolved, IdempotencyConflict, InsufficientFunds


@pytest.fixture
def accounts(session):
    world = ledger.open_account(session, "world", 0, "outside")
    budget = ledger.open_account(
        session, "budget_stream", 1, "available", non_negative=True, name="Ben's budget"
    )
    provider = ledger.open_account(session, "organisation", 7, "income")
    ledger.transfer(session, world, budget, 450000, "allocation")
    return world, budget, provider


def test_hold_post_void_and_balances(session, accounts):
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 59000, "hold", reference=("booking", 1))
    assert ledger.balance(budget).available == 391000
    ledger.post_hold(session, hold, 14750, code="cancellation_charge")
    assert (budget.posted, budget.pending_out, provider.posted) == (435250, 0, 14750)
    with pytest.raises(HoldAlreadyResolved):
        ledger.void_hold(session, hold)
    assert ledger.reconcile(session) == []


def test_protected_account_cannot_go_negative_counting_holds(session, accounts):
    world, budget, provider = accounts
    ledger.place_hold(session, budget, provider, 400000, "hold")
    with pytest.raises(InsufficientFunds):
        ledger.place_hold(session, budget, provider, 50001, "hold")
    with pytest.raises(InsufficientFunds):
        ledger.transfer(session, budget, provider, 50001, "spend")
    ledger.transfer(session, budget, provider, 50000, "spend")
    assert ledger.balance(budget).available == 0


def test_idempotent_replay_and_conflict(session, accounts):
    world, budget, provider = accounts
    first = ledger.transfer(session, budget, provider, 1000, "spend", idempotency_key="evt_1")
    again = ledger.transfer(session, budget, provider, 1000, "spend", idempotency_key="evt_1")
    assert again.id == first.id and provider.posted == 1000
    with pytest.raises(IdempotencyConflict):
        ledger.transfer(session, budget, provider, 2000, "spend", idempotency_key="evt_1")


def test_reversal_is_a_new_transfer(session, accounts):
    world, budget, provider = accounts
    spend = ledger.transfer(session, budget, provider, 1000, "spend")
    back = ledger.reverse(session, spend)
    assert back.id != spend.id and back.reverses_id == spend.id
    assert budget.posted == 450000 and provider.posted == 0
    assert ledger.reconcile(session) == []
