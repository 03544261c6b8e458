"""Holds: two-phase transfers. A hold reserves money on its debit account (counted against what
it may spend, rule 4) and is resolved exactly once: posted in full or in part (the rest
released), or voided. Operations take a session, flush, never commit."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.core.clock import today
from marketplace.ledger.accounts import move_balances
from marketplace.ledger.checks import check_key, check_text, split_reference
from marketplace.ledger.errors import HoldAlreadyResolved, LedgerError
from marketplace.ledger.idempotency import NEW, lock_and_claim, payload, settle
from marketplace.ledger.models import Account, Hold, HoldResolution, Transfer
from marketplace.ledger.transfers import append_transfer, start_movement


def place_hold(
    session: Session,
    debit: Account,
    credit: Account,
    amount: int,
    code: str,
    *,
    reference: tuple[str, object] | None = None,
    idempotency_key: str | None = None,
    effective_date: date | None = None,
    share_credit: bool = False,
) -> Hold:
    """Reserve `amount` on `debit` for a later transfer to `credit`, counting other holds (rule 4).

    A hold moves only the debit's balance. With `share_credit`, for a caller whose transaction
    will not move the credit's balance afterwards (a booking's holds towards the provider's
    account), the credit account is locked FOR SHARE, so holds towards one provider from many
    budgets do not queue behind one another; a transfer or posting on it still waits for them."""
    earlier, debit, credit = start_movement(
        session, "hold", debit, credit, amount, code, reference, idempotency_key, effective_date, share_credit
    )
    if earlier is not NEW:
        return earlier
    ref_type, ref_id = split_reference(reference)
    hold = Hold(
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=amount,
        code=code,
        reference_type=ref_type,
        reference_id=ref_id,
        idempotency_key=idempotency_key,
        effective_date=effective_date or today(),
    )
    move_balances(session, debit, pending=amount)
    session.add(hold)
    session.flush()
    settle(session, idempotency_key, "hold", hold.id)
    return hold


def _resolve(session: Session, hold: Hold, outcome: str, posted_amount: int, key, asked):
    """Lock the hold's accounts, replay or check it is still pending, then record how it ended.

    Resolutions serialise on the debit account's row lock, so the check is exact; the unique
    hold_id on HoldResolution is the backstop. Returns (replayed result or NEW, the locked
    debit and credit accounts, the new resolution or None).
    """

    def check_pending(*_) -> None:
        earlier_outcome = session.scalar(
            select(HoldResolution.outcome).where(HoldResolution.hold_id == hold.id)
        )
        if earlier_outcome is not None:
            raise HoldAlreadyResolved(f"hold {hold.id} was already {earlier_outcome}", hold_id=hold.id)

    earlier, debit, credit = lock_and_claim(
        session, hold.debit_account_id, hold.credit_account_id, key, asked, check_pending
    )
    if earlier is not NEW:
        return earlier, debit, credit, None
    resolution = HoldResolution(hold_id=hold.id, outcome=outcome, posted_amount=posted_amount)
    session.add(resolution)
    # Set by id (no SELECT); `hold.resolution` reloads on next use instead of staying stale.
    session.expire(hold, ["resolution"])
    return NEW, debit, credit, resolution


def post_hold(
    session: Session,
    hold: Hold,
    amount: int | None = None,
    *,
    code: str = "post",
    effective_date: date | None = None,
    idempotency_key: str | None = None,
) -> Transfer | None:
    """Post all of a hold, or part of it (the rest is released). Each hold is resolved once.

    Returns the posted transfer, or None when `amount` is 0 (everything released).
    """
    amount = hold.amount if amount is None else amount
    if not isinstance(amount, int) or isinstance(amount, bool) or not 0 <= amount <= hold.amount:
        raise LedgerError(
            f"can post 0 to {hold.amount} pence of hold {hold.id}, not {amount}", field="amount"
        )
    check_text("code", code, 30)
    check_key(idempotency_key)
    asked = payload("post_hold", hold=hold.id, amount=amount, code=code, effective_date=effective_date)
    earlier, debit, credit, _ = _resolve(
        session, hold, "posted" if amount else "voided", amount, idempotency_key, asked
    )
    if earlier is not NEW:
        return earlier
    if amount == 0:
        move_balances(session, debit, pending=-hold.amount)
        session.flush()
        settle(session, idempotency_key, "nothing", None)
        return None
    reference = (hold.reference_type, hold.reference_id) if hold.reference_type else None
    row = append_transfer(
        session, debit, credit, amount, code, reference, effective_date,
        hold_id=hold.id, idempotency_key=idempotency_key, released=hold.amount,
    )  # fmt: skip
    settle(session, idempotency_key, "transfer", row.id)
    return row


def void_hold(session: Session, hold: Hold, *, idempotency_key: str | None = None) -> HoldResolution:
    """Release a hold entirely; nothing moves. Each hold is resolved once."""
    check_key(idempotency_key)
    asked = payload("void_hold", hold=hold.id)
    earlier, debit, _, resolution = _resolve(session, hold, "voided", 0, idempotency_key, asked)
    if earlier is not NEW:
        return earlier
    move_balances(session, debit, pending=-hold.amount)
    session.flush()
    settle(session, idempotency_key, "hold_resolution", resolution.id)
    return resolution
