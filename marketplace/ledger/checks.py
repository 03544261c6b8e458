"""Checking input before anything is written (rule 8: refused with a clear error naming the field).

Every refusal here is a LedgerError raised before the ledger writes a row, so a caller may catch
one and carry on with the same session.
"""

from marketplace.core.money import MAX_PENCE
from marketplace.ledger.errors import InsufficientFunds, LedgerError
from marketplace.ledger.models import Account


def check_amount(amount, field: str = "amount") -> None:
    """Amounts are integer pence, more than zero and less than `core.money.MAX_PENCE`, the one
    ceiling for money everywhere (rule 1)."""
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise LedgerError(f"{field}: amounts are integer pence, got {type(amount).__name__}", field=field)
    if amount <= 0:
        raise LedgerError(f"{field} must be more than zero pence", field=field, amount=amount)
    if amount >= MAX_PENCE:
        raise LedgerError(f"{field} is more than {pounds(MAX_PENCE - 1)}", field=field, amount=amount)


def check_text(field: str, value, limit: int) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise LedgerError(f"{field} must be text of 1 to {limit} characters", field=field)


def check_key(idempotency_key) -> None:
    """An idempotency key, when given, is text of 1 to 200 characters."""
    if idempotency_key is not None:
        check_text("idempotency_key", idempotency_key, 200)


def check_reference(reference) -> None:
    if reference is None:
        return
    if not isinstance(reference, tuple | list) or len(reference) != 2:
        raise LedgerError("reference must be a (type, id) pair", field="reference")
    check_text("reference type", reference[0], 40)
    if reference[1] is not None and len(str(reference[1])) > 60:
        raise LedgerError("reference id must be at most 60 characters", field="reference")


def check_movement(debit_id, credit_id, amount, code, reference, idempotency_key) -> None:
    """Everything a transfer or a hold is given, checked before any lock is taken."""
    check_amount(amount)
    if debit_id == credit_id:
        raise LedgerError("money moves between two different accounts", field="credit")
    check_text("code", code, 30)
    check_reference(reference)
    check_key(idempotency_key)


def pounds(pence: int) -> str:
    """12345 -> '£123.45' for messages people may read (the ledger depends on nothing else)."""
    sign = "-" if pence < 0 else ""
    whole, rem = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}.{rem:02d}"


def insufficient(name: str | None, available: int, needed: int) -> str:
    return f"{name or 'the account'} has {pounds(available)} available, {pounds(needed)} needed"


def check_can_spend(account: Account, amount: int) -> None:
    """A protected account never goes below zero, counting its pending holds (rule 4)."""
    if account.non_negative and account.posted - account.pending_out < amount:
        raise InsufficientFunds(
            insufficient(account.name, account.posted - account.pending_out, amount),
            account_id=account.id,
            available=account.posted - account.pending_out,
            needed=amount,
        )


def split_reference(reference) -> tuple[str | None, str | None]:
    """A checked (type, id) reference as the two columns it is stored in."""
    if not reference:
        return None, None
    ref_type, ref_id = reference
    return ref_type, None if ref_id is None else str(ref_id)
