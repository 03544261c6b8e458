"""Transfers: moving money between two accounts as one append-only, balanced row (rule 2), and
correcting one with a new, opposite transfer. Operations take a session, flush, never commit."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.core.clock import today
from marketplace.ledger.accounts import account_id, move_balances
from marketplace.ledger.checks import check_can_spend, check_key, check_movement, check_text, split_reference
from marketplace.ledger.errors import AlreadyReversed, LedgerError
from marketplace.ledger.idempotency import NEW, lock_and_claim, payload, settle
from marketplace.ledger.models import Account, Transfer


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
    earlier, debit, credit = start_movement(
        session, "transfer", debit, credit, amount, code, reference, idempotency_key, effective_date
    )
    if earlier is not NEW:
        return earlier
    row = append_transfer(
        session, debit, credit, amount, code, reference, effective_date, idempotency_key=idempotency_key
    )
    settle(session, idempotency_key, "transfer", row.id)
    return row


def movement_payload(op: str, debit_id: int, credit_id: int, amount, code, reference, effective_date) -> dict:
    """What a transfer or a hold asked for, as hashed for its idempotency record (`transfer_many`
    hashes the same, so a batch and a single transfer replay each other's keys)."""
    return payload(
        op, debit=debit_id, credit=credit_id, amount=amount, code=code,
        reference=reference, effective_date=effective_date,
    )  # fmt: skip


def start_movement(
    session: Session, op: str, debit, credit, amount, code, reference, key, effective_date, share_credit=False
):
    """The start of a transfer or a hold: check the input, lock both accounts, then replay `key`'s
    first result, or refuse a protected debit going below zero (rule 4) and claim the key.

    Returns (the first result, or NEW to go ahead; the locked debit and credit accounts).
    """
    debit_id, credit_id = account_id(debit), account_id(credit)
    check_movement(debit_id, credit_id, amount, code, reference, key)
    asked = movement_payload(op, debit_id, credit_id, amount, code, reference, effective_date)
    return lock_and_claim(
        session,
        debit_id,
        credit_id,
        key,
        asked,
        lambda debit, _: check_can_spend(debit, amount),
        share_credit=share_credit,
    )


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
