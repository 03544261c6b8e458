"""The rules around the happy path: refusals write nothing, history is never rewritten,
replays return the first result, and reconcile() notices what a bug would break."""

from datetime import date

import pytest
from sqlalchemy import delete, insert, select, update

from marketplace import ledger
from marketplace.core.money import MAX_PENCE
from marketplace.ledger.errors import (
    AlreadyReversed,
    AppendOnlyViolation,
    HoldAlreadyResolved,
    IdempotencyConflict,
    InsufficientFunds,
    LedgerError,
)
from marketplace.ledger.models import Account, Hold, HoldResolution, IdempotencyRecord, Transfer


@pytest.fixture
def accounts(ledger_make):
    return ledger_make.world(), ledger_make.budget(funded=10000), ledger_make.provider()


def snapshot(session):
    session.flush()
    return [
        (a.id, a.posted, a.pending_out)
        for a in session.scalars(
            select(Account).order_by(Account.id).execution_options(populate_existing=True)
        )
    ], session.scalar(select(Transfer.id).order_by(Transfer.id.desc()).limit(1))


# ---- append-only ------------------------------------------------------------------------------


def test_a_transfer_cannot_be_edited(session, accounts):
    world, budget, provider = accounts
    row = ledger.transfer(session, budget, provider, 100, "spend")
    row.amount = 1
    with pytest.raises(AppendOnlyViolation, match="amount"):
        session.flush()


@pytest.mark.parametrize("kind", ["transfer", "hold", "resolution", "account"])
def test_ledger_rows_are_never_deleted(session, accounts, kind):
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 100, "hold")
    rows = {
        "transfer": ledger.transfer(session, budget, provider, 100, "spend"),
        "hold": hold,
        "resolution": ledger.void_hold(session, hold),
        "account": provider,
    }
    session.delete(rows[kind])
    with pytest.raises(AppendOnlyViolation, match="never deleted"):
        session.flush()


def test_a_hold_cannot_be_edited(session, accounts):
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 100, "hold")
    hold.amount = 5
    with pytest.raises(AppendOnlyViolation, match="amount"):
        session.flush()


def test_a_resolution_cannot_be_edited(session, accounts):
    world, budget, provider = accounts
    resolution = ledger.void_hold(session, ledger.place_hold(session, budget, provider, 100, "hold"))
    resolution.outcome = "posted"
    with pytest.raises(AppendOnlyViolation, match="outcome"):
        session.flush()


def test_account_protection_cannot_be_switched(session, accounts):
    world, budget, provider = accounts
    budget.non_negative = False
    with pytest.raises(AppendOnlyViolation, match="non_negative"):
        session.flush()


@pytest.mark.parametrize("statement", [update(Transfer).values(amount=1), delete(Hold), delete(Account)])
def test_bulk_rewrites_are_refused(session, accounts, statement):
    with pytest.raises(AppendOnlyViolation, match="in bulk"):
        session.execute(statement)


# ---- refusals write nothing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount, code, reference, key, message",
    [
        (0, "spend", None, None, "more than zero"),
        (-5, "spend", None, None, "more than zero"),
        (1.5, "spend", None, None, "integer pence"),
        (True, "spend", None, None, "integer pence"),
        (10**16, "spend", None, None, "more than"),
        (MAX_PENCE, "spend", None, None, "more than"),
        (100, "", None, None, "code"),
        (100, "x" * 31, None, None, "code"),
        (100, "spend", ("booking",), None, "reference"),
        (100, "spend", ("booking", "x" * 61), None, "reference"),
        (100, "spend", None, "", "idempotency_key"),
    ],
)
def test_bad_input_is_refused_naming_the_field(session, accounts, amount, code, reference, key, message):
    world, budget, provider = accounts
    before = snapshot(session)
    for operation in (ledger.transfer, ledger.place_hold):
        with pytest.raises(LedgerError, match=message):
            operation(session, budget, provider, amount, code, reference=reference, idempotency_key=key)
    assert snapshot(session) == before


def test_the_ledger_ceiling_is_the_money_ceiling(session, accounts):
    world, budget, provider = accounts
    ledger.transfer(session, world, provider, MAX_PENCE - 1, "allocation")
    with pytest.raises(LedgerError, match="more than £99,999,999,999.99"):
        ledger.transfer(session, world, provider, MAX_PENCE, "allocation")
    assert ledger.reconcile(session) == []


def test_same_account_both_sides_is_refused(session, accounts):
    world, budget, provider = accounts
    with pytest.raises(LedgerError, match="two different accounts"):
        ledger.transfer(session, budget, budget, 1, "spend")


def test_a_refused_keyed_request_leaves_its_key_free(session, accounts):
    world, budget, provider = accounts
    with pytest.raises(InsufficientFunds):
        ledger.transfer(session, budget, provider, 20000, "spend", idempotency_key="evt_big")
    assert session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.key == "evt_big")) is None
    ledger.transfer(session, world, budget, 10000, "top_up")
    row = ledger.transfer(session, budget, provider, 20000, "spend", idempotency_key="evt_big")
    assert row.idempotency_key == "evt_big" and budget.available == 0


def test_insufficient_funds_says_what_was_available(session, accounts):
    world, budget, provider = accounts
    ledger.place_hold(session, budget, provider, 4000, "hold")
    with pytest.raises(InsufficientFunds) as refused:
        ledger.transfer(session, budget, provider, 6001, "spend")
    assert refused.value.details == {"account_id": budget.id, "available": 6000, "needed": 6001}
    assert refused.value.message == "Ben's budget has £60.00 available, £60.01 needed"  # pounds, for people


# ---- idempotency --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 2000},
        {"code": "other"},
        {"reference": ("booking", 9)},
        {"effective_date": date(2026, 4, 6)},
    ],
)
def test_same_key_different_payload_is_refused(session, accounts, change):
    world, budget, provider = accounts
    first = dict(amount=1000, code="spend", reference=("booking", 1), effective_date=None)
    ledger.transfer(session, budget, provider, idempotency_key="evt_1", **first)
    before = snapshot(session)
    with pytest.raises(IdempotencyConflict, match="evt_1") as refused:
        ledger.transfer(session, budget, provider, idempotency_key="evt_1", **(first | change))
    assert refused.value.details["field"] == "idempotency_key"
    assert snapshot(session) == before


def test_a_key_is_not_shared_between_kinds_of_request(session, accounts):
    world, budget, provider = accounts
    ledger.transfer(session, budget, provider, 1000, "spend", idempotency_key="evt_1")
    with pytest.raises(IdempotencyConflict):
        ledger.place_hold(session, budget, provider, 1000, "spend", idempotency_key="evt_1")


def test_replays_return_the_first_result_even_when_funds_have_gone(session, accounts):
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 6000, "hold", idempotency_key="booking:1:hold")
    spend = ledger.transfer(session, budget, provider, 4000, "spend", idempotency_key="evt_2")
    assert budget.available == 0
    assert (
        ledger.place_hold(session, budget, provider, 6000, "hold", idempotency_key="booking:1:hold") is hold
    )
    assert ledger.transfer(session, budget, provider, 4000, "spend", idempotency_key="evt_2") is spend
    assert session.scalar(select(IdempotencyRecord.request_hash).where(IdempotencyRecord.key == "evt_2"))
    assert (budget.posted, budget.pending_out) == (6000, 6000)


def test_hold_resolutions_and_reversals_replay(session, accounts):
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 3000, "hold")
    posted = ledger.post_hold(session, hold, 1000, idempotency_key="booking:1:late_cancel")
    assert ledger.post_hold(session, hold, 1000, idempotency_key="booking:1:late_cancel") is posted
    with pytest.raises(IdempotencyConflict):
        ledger.post_hold(session, hold, 2000, idempotency_key="booking:1:late_cancel")
    with pytest.raises(HoldAlreadyResolved):
        ledger.post_hold(session, hold, 1000)

    other = ledger.place_hold(session, budget, provider, 500, "hold")
    voided = ledger.void_hold(session, other, idempotency_key="booking:2:cancel")
    assert ledger.void_hold(session, other, idempotency_key="booking:2:cancel") is voided

    nothing = ledger.place_hold(session, budget, provider, 500, "hold")
    assert ledger.post_hold(session, nothing, 0, idempotency_key="booking:3:free_cancel") is None
    assert ledger.post_hold(session, nothing, 0, idempotency_key="booking:3:free_cancel") is None

    back = ledger.reverse(session, posted, idempotency_key="refund:1")
    assert ledger.reverse(session, posted, idempotency_key="refund:1") is back
    assert (budget.posted, budget.pending_out, provider.posted) == (10000, 0, 0)
    assert ledger.reconcile(session) == []


def test_claim_and_settle_for_other_domains(session):
    assert ledger.claim_idempotency_key(session, "isf:1:2026-04-06", {"week": "2026-04-06"}) is None
    ledger.settle_idempotency_key(session, "isf:1:2026-04-06", "drawdown", 42)
    record = ledger.claim_idempotency_key(session, "isf:1:2026-04-06", {"week": "2026-04-06"})
    assert (record.result_type, record.result_id) == ("drawdown", 42)
    with pytest.raises(IdempotencyConflict):
        ledger.claim_idempotency_key(session, "isf:1:2026-04-06", {"week": "2026-04-13"})
    with pytest.raises(LedgerError, match="never claimed"):
        ledger.settle_idempotency_key(session, "nobody", "drawdown", 1)


# ---- holds and reversals ----------------------------------------------------------------------


@pytest.mark.parametrize("amount", [-1, 3001, 1.0, True])
def test_posting_more_than_held_or_nonsense_is_refused(session, accounts, amount):
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 3000, "hold")
    with pytest.raises(LedgerError, match="can post 0 to 3000"):
        ledger.post_hold(session, hold, amount)
    assert hold.is_pending and budget.pending_out == 3000


def test_partial_post_releases_the_rest(session, accounts):
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 5900, "hold", reference=("booking", 7))
    row = ledger.post_hold(session, hold, 1475, code="cancellation_charge")
    assert (row.amount, row.hold_id, row.reference_type, row.reference_id) == (1475, hold.id, "booking", "7")
    assert hold.resolution.outcome == "posted" and hold.resolution.posted_amount == 1475
    assert ledger.balance(budget) == ledger.Balance(posted=8525, pending=0)
    assert ledger.pending_holds(session, budget) == []


def test_a_reversal_is_made_once_and_never_reversed(session, accounts):
    world, budget, provider = accounts
    spend = ledger.transfer(session, budget, provider, 1000, "spend")
    back = ledger.reverse(session, spend)
    with pytest.raises(AlreadyReversed):
        ledger.reverse(session, spend)
    with pytest.raises(LedgerError, match="is a reversal"):
        ledger.reverse(session, back)
    assert ledger.reconcile(session) == []


def test_reversal_respects_a_protected_account(session, ledger_make):
    world, budget, provider = ledger_make.world(), ledger_make.budget(funded=1000), ledger_make.provider()
    refund = ledger.transfer(session, world, budget, 500, "refund")
    ledger.transfer(session, budget, provider, 1500, "spend")
    with pytest.raises(InsufficientFunds):
        ledger.reverse(session, refund)


# ---- accounts, locks and reading ----------------------------------------------------------------


def test_open_account_returns_the_existing_account(session):
    first = ledger.open_account(session, "budget_stream", 5, "available", non_negative=True)
    again = ledger.open_account(session, "budget_stream", 5, "available")
    assert again is first and again.non_negative
    assert ledger.find_account(session, "budget_stream", 5, "available") is first
    assert ledger.find_account(session, "budget_stream", 6, "available") is None


@pytest.mark.damages_ledger
def test_lock_accounts_refreshes_the_objects_the_caller_holds(session, accounts):
    world, budget, provider = accounts
    # Someone else's committed write, simulated at the SQL level behind the session's back.
    session.execute(update(Account.__table__).where(Account.id == budget.id).values(pending_out=7))
    assert budget.pending_out == 0  # stale in the identity map
    locked = ledger.lock_accounts(session, provider, budget)
    assert locked == [provider, budget] and locked[1] is budget
    assert budget.pending_out == 7


def test_balance_as_of_reads_effective_dates(session, ledger_make):
    world, provider = ledger_make.world(), ledger_make.provider()
    budget = ledger_make.budget()
    ledger.transfer(session, world, budget, 455000, "receipt", effective_date=date(2026, 4, 6))
    ledger.transfer(session, budget, provider, 57000, "drawdown", effective_date=date(2026, 4, 13))
    ledger.transfer(session, budget, provider, 57000, "drawdown", effective_date=date(2026, 4, 20))
    ledger.place_hold(session, budget, provider, 1000, "hold", effective_date=date(2026, 4, 7))
    assert ledger.balance_as_of(session, budget, date(2026, 4, 5)) == 0
    assert ledger.balance_as_of(session, budget, date(2026, 4, 13)) == 398000
    assert ledger.balance_as_of(session, budget, date(2026, 4, 30)) == 341000
    assert ledger.derived_balance(session, budget) == ledger.Balance(posted=341000, pending=1000)
    assert [t.effective_date.day for t in ledger.transfers_for(session, budget, date(2026, 4, 10))] == [
        13,
        20,
    ]


def test_transfers_carry_code_reference_timestamps_and_key(session, accounts):
    world, budget, provider = accounts
    row = ledger.transfer(
        session, budget, provider, 100, "spend", reference=("booking", 12), idempotency_key="booking:12:post"
    )
    session.expire_all()
    row = session.get(Transfer, row.id)
    assert (row.code, row.reference_type, row.reference_id, row.idempotency_key) == (
        "spend",
        "booking",
        "12",
        "booking:12:post",
    )
    assert row.created_at.tzinfo is not None and row.effective_date is not None


# ---- reconcile notices damage -----------------------------------------------------------------


@pytest.mark.damages_ledger
def test_reconcile_notices_a_cached_balance_out_of_step(session, accounts):
    world, budget, provider = accounts
    session.execute(update(Account.__table__).where(Account.id == budget.id).values(posted=1))
    problems = ledger.reconcile(session)
    assert any("cached posted 1 != derived 10000" in p for p in problems)
    assert any("does not sum to zero" in p for p in problems)


@pytest.mark.damages_ledger
def test_reconcile_notices_a_hold_posted_wrongly(session, accounts):
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 3000, "hold")
    ledger.post_hold(session, hold, 1000)
    session.execute(update(HoldResolution.__table__).values(posted_amount=1200))
    assert ledger.reconcile(session) == [f"hold {hold.id}: its posting does not match its resolution"]


@pytest.mark.damages_ledger
def test_reconcile_notices_a_posting_of_a_pending_hold(session, accounts):
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 3000, "hold")
    session.execute(
        insert(Transfer.__table__).values(
            debit_account_id=budget.id, credit_account_id=provider.id, amount=1, code="x",
            hold_id=hold.id, effective_date=date(2026, 4, 6), created_at=budget.created_at,
        )
    )  # fmt: skip
    assert any("posts a hold that is still pending" in p for p in ledger.reconcile(session))


def test_a_rolled_back_savepoint_forgets_cached_balances(session, accounts):
    """Balances are written with one Core UPDATE; a savepoint rollback must still undo them."""
    world, budget, provider = accounts
    hold = ledger.place_hold(session, budget, provider, 500, "hold")
    with pytest.raises(RuntimeError), session.begin_nested():
        ledger.transfer(session, budget, provider, 100, "spend")
        ledger.post_hold(session, hold)
        raise RuntimeError("caller changed its mind")
    assert (budget.posted, budget.pending_out, provider.posted) == (10000, 500, 0)
    assert hold.is_pending
    assert ledger.reconcile(session) == []
