"""Amending a funding stream: every changed field recorded with who, when and why; a new
amount moves the difference through the ledger."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.accounts.models import Family
from marketplace.budgets.books import funder_allocations_account, stream_account
from marketplace.budgets.models import BudgetAmendment, FundingStream
from marketplace.budgets.operations.budgets import CATEGORIES, MAX_TERMS_DAYS, is_pence
from marketplace.core import audit
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import format_pence
from marketplace.ledger.models import Account

AMENDABLE = ("amount", "po_number", "payment_terms_days", "categories")


def amend_stream(
    session: Session, stream: FundingStream, *, actor, reason: str, **changes
) -> list[BudgetAmendment]:
    """Change a stream's amount, PO number, payment terms or categories, never silently: each
    changed field is recorded (who, when, old, new, reason). A new amount moves the difference
    through the ledger — a top-up from the funder, or a reduction back to it, which is refused
    (409) if it would take the stream below what is already held or spent."""
    budget = stream.budget
    errors = _check_amendment(reason, changes)
    if errors:
        raise ValidationFailed("Check the amendment", fields=errors)
    # Serialise amendments of one stream: the old values and the delta moved through the ledger
    # must be read under the same lock that the write happens under. Locks follow the bookings'
    # order (bookings.operations: the family row, ..., then the stream accounts by id): the family
    # first, so a booking on this budget waits for the amendment or the amendment for it. The
    # stream row is locked FOR NO KEY UPDATE, which a booking's payment row referencing it (a KEY
    # SHARE lock) does not wait for: a plain FOR UPDATE here deadlocked against a booking that
    # held the stream's account and was inserting its payment.
    session.execute(select(Family.id).where(Family.id == budget.family_id).with_for_update()).scalar_one()
    session.execute(
        select(FundingStream)
        .where(FundingStream.id == stream.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if budget.is_closed:
        raise Conflict("This budget is closed; it cannot be amended", code="budget_closed")
    if changes.get("categories") is not None:
        changes["categories"] = sorted(set(changes["categories"]))
    changed = {f: v for f, v in changes.items() if v is not None and getattr(stream, f) != v}
    if not changed:
        raise ValidationFailed("Nothing was changed", fields={"reason": ["Change at least one field"]})
    delta = changed["amount"] - stream.amount if "amount" in changed else 0
    if delta:
        accounts = _lock_for_amount_change(session, stream, delta)
    rows = [
        BudgetAmendment(
            budget_id=budget.id,
            stream=stream,
            actor_id=getattr(actor, "id", None),
            field=field,
            old_value=getattr(stream, field),
            new_value=new,
            reason=reason.strip(),
        )
        for field, new in changed.items()
    ]
    session.add_all(rows)
    session.flush()
    if delta:
        amount_row = next(r for r in rows if r.field == "amount")
        _move_amendment_money(session, accounts, delta, amount_row)
    for field, new in changed.items():
        setattr(stream, field, new)
    audit.record(session, actor, "budget.stream_amended", budget, stream=stream.id, fields=sorted(changed))
    session.flush()
    return rows


def _check_amendment(reason, changes) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = set(changes) - set(AMENDABLE)
    if unknown:
        raise TypeError(f"cannot amend {sorted(unknown)}")
    if not isinstance(reason, str) or not reason.strip():
        errors["reason"] = ["Say why the stream is being changed"]
    amount = changes.get("amount")
    if amount is not None and not is_pence(amount, allow_zero=True):
        errors["amount"] = ["Enter the new amount as a whole number of pence"]
    terms = changes.get("payment_terms_days")
    if terms is not None and (
        not isinstance(terms, int) or isinstance(terms, bool) or not 0 <= terms <= MAX_TERMS_DAYS
    ):
        errors["payment_terms_days"] = [f"Enter a number of days from 0 to {MAX_TERMS_DAYS}"]
    po = changes.get("po_number")
    if po is not None and (not isinstance(po, str) or len(po) > 60):
        errors["po_number"] = ["A purchase-order number is at most 60 characters"]
    categories = changes.get("categories")
    if categories is not None and any(c not in CATEGORIES for c in categories):
        errors["categories"] = ["Use the catalogue's categories, like overnight_short_break"]
    return errors


def _lock_for_amount_change(session: Session, stream: FundingStream, delta: int) -> tuple[Account, Account]:
    """Lock the funder's and the stream's accounts; refuse a reduction below what is held or spent."""
    funder = funder_allocations_account(session, stream.funder)
    account = stream_account(session, stream)
    ledger.lock_accounts(session, funder, account)
    available = ledger.balance(account).available
    if -delta > available:
        committed = stream.amount - available
        raise Conflict(
            f"The {stream.kind.value.replace('_', ' ')} stream cannot be reduced by {format_pence(-delta)}: "
            f"{format_pence(committed)} is already held or spent, so the lowest it can go is "
            f"{format_pence(committed)}",
            fields={"amount": [f"Enter at least {format_pence(committed)}"]},
            code="below_committed",
        )
    return funder, account


def _move_amendment_money(
    session: Session, accounts: tuple[Account, Account], delta: int, row: BudgetAmendment
) -> None:
    funder, account = accounts
    reference = ("budget_amendment", row.id)
    key = f"budget_amendment:{row.id}"
    if delta > 0:
        ledger.transfer(session, funder, account, delta, "top_up", reference=reference, idempotency_key=key)
    else:
        ledger.transfer(
            session, account, funder, -delta, "reduction", reference=reference, idempotency_key=key
        )
