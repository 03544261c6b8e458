"""Every movement of money. Operations take a SQLAlchemy session, flush, and never commit.

Accounts and the lock order are in ledger/accounts.py, input checks in ledger/checks.py,
idempotency (and `lock_and_claim`, every operation's preamble) in ledger/idempotency.py.

Refusals (LedgerError) are raised before anything is written, so a caller may catch one and
carry on with the same session (rule 8).
"""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.core.clock import today
from marketplace.ledger.accounts import account_id, move_balances
from marketplace.ledger.checks import check_can_spend, check_key, check_movement, check_text, split_reference
from marketplace.ledger.errors import AlreadyReversed, HoldAlreadyResolved, LedgerError
from marketplace.ledger.idempotency import NEW, lock_and_claim, payload, settle
from marketplace.ledger.models import Account, Hold, HoldResolution, Transfer

# ---- transfers ------------------------------------------------------------------------------


def transfer(
    session: Session,
    debit: Account,
    credit: Account,
    amount: int,
    code: str,
    *,
    reference: tuple[str, object] | None = None,
    idempotency_key: str | None = None,
    effective_date: date | None = None,
) -> Transfer:
    """Move `amount` pence from `debit` to `credit` as one append-only, balanced transfer.

    Refuses a protected account going below zero counting its pending holds (rule 4). With an
    idempotency key a replay returns the first transfer and writes nothing (rule 5).
    """
    debit_id, credit_id = account_id(debit), account_id(credit)
    check_movement(debit_id, credit_id, amount, code, reference, idempotency_key)
    asked = payload(
        "transfer", debit=debit_id, credit=credit_id, amount=amount, code=code,
        reference=reference, effective_date=effective_date,
    )  # fmt: skip
    earlier, debit, credit = lock_and_claim(
        session, debit_id, credit_id, idempotency_key, asked, lambda debit, _: check_can_spend(debit, amount)
    )
    if earlier is not NEW:
        return earlier
    row = append_transfer(
        session, debit, credit, amount, code, reference, effective_date, idempotency_key=idempotency_key
    )
    settle(session, idempotency_key, "transfer", row.id)
    return row


def append_transfer(
    session,
    debit,
    credit,
    amount,
    code,
    reference,
    effective_date,
    *,
    hold_id=None,
    reverses_id=None,
    idempotency_key=None,
    released=0,
) -> Transfer:
    """Write the transfer and move both cached balances (and release `released` pence of the
    debit's pending holds); the accounts are locked by the caller."""
    ref_type, ref_id = split_reference(reference)
    row = Transfer(
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=amount,
        code=code,
        reference_type=ref_type,
        reference_id=ref_id,
        hold_id=hold_id,
        reverses_id=reverses_id,
        idempotency_key=idempotency_key,
        effective_date=effective_date or today(),
    )
    move_balances(session, debit, -amount, -released, other=credit, other_posted=amount)
    session.add(row)
    session.flush()
    return row


def reverse(
    session: Session,
    original: Transfer,
    *,
    code: str = "reversal",
    effective_date: date | None = None,
    idempotency_key: str | None = None,
) -> Transfer:
    """Correct a transfer with a new, opposite transfer (never an edit). A transfer is reversed
    once; a reversal is not itself reversed (make a new transfer instead). The account the money
    returns from must still have it if protected (rule 4)."""
    check_text("code", code, 30)
    check_key(idempotency_key)
    if original.reverses_id is not None:
        raise LedgerError(
            f"transfer {original.id} is a reversal; make a new transfer instead", transfer_id=original.id
        )
    asked = payload("reverse", transfer=original.id, code=code, effective_date=effective_date)

    def check(debit: Account, _) -> None:
        if session.scalar(select(Transfer.id).where(Transfer.reverses_id == original.id)) is not None:
            raise AlreadyReversed(f"transfer {original.id} was already reversed", transfer_id=original.id)
        check_can_spend(debit, original.amount)

    earlier, debit, credit = lock_and_claim(
        session, original.credit_account_id, original.debit_account_id, idempotency_key, asked, check
    )
    if earlier is not NEW:
        return earlier
    reference = (original.reference_type, original.reference_id) if original.reference_type else None
    row = append_transfer(
        session, debit, credit, original.amount, code, reference, effective_date,
        reverses_id=original.id, idempotency_key=idempotency_key,
    )  # fmt: skip
    settle(session, idempotency_key, "transfer", row.id)
    return row


# ---- holds (two-phase transfers) ------------------------------------------------------------


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
) -> Hold:
    """Reserve `amount` on `debit` for a later transfer to `credit`, counting other holds (rule 4)."""
    debit_id, credit_id = account_id(debit), account_id(credit)
    check_movement(debit_id, credit_id, amount, code, reference, idempotency_key)
    asked = payload(
        "hold", debit=debit_id, credit=credit_id, amount=amount, code=code,
        reference=reference, effective_date=effective_date,
    )  # fmt: skip
    earlier, debit, credit = lock_and_claim(
        session, debit_id, credit_id, idempotency_key, asked, lambda debit, _: check_can_spend(debit, amount)
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
