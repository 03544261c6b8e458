"""Money paid into an ISF by a funder or the family: a share ring-fenced as contingency, the rest
available to draw down."""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.budgets.books import stream_account
from marketplace.budgets.models import FundingStream
from marketplace.core import audit
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import apply_bp
from marketplace.isf import books
from marketplace.isf.models import Isf, IsfReceipt
from marketplace.isf.operations.agreements import uk_date

RECEIPT_MARGIN = timedelta(days=366)


def record_receipt(
    session: Session,
    isf: Isf,
    *,
    stream: FundingStream | None,
    amount: int,
    received_on: date,
    reference: str,
    actor=None,
) -> IsfReceipt:
    """Money a funder (`stream`) or the family (`stream=None`) paid in enters the ISF's ledger.

    `contingency_bp` of the receipt (rounded half up to the penny) is ring-fenced in contingency;
    the rest becomes available. Idempotent on (ISF, payer, reference): a replay returns the first
    receipt and writes nothing; the same reference with different figures is refused.
    """
    errors = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = ["Enter the amount received as a whole number of pence above zero"]
    if stream is not None and stream.id not in {s.id for s in isf.streams}:
        errors["stream_id"] = ["That funding stream is not part of this ISF"]
    if not (reference or "").strip() or len(reference.strip()) > 120:
        errors["reference"] = ["Enter the payment's reference (up to 120 characters)"]
    if not isinstance(received_on, date):
        errors["received_on"] = ["Enter the date the money was received"]
    else:
        earliest, latest = receipt_window(isf)
        if not earliest <= received_on <= latest:
            errors["received_on"] = [
                f"Enter a date between {uk_date(earliest)} and {uk_date(latest)}: "
                "money is received at most a year before the ISF starts or after it ends"
            ]
    if errors:
        raise ValidationFailed("Check the receipt", fields=errors)
    reference = reference.strip()
    source_key = f"stream:{stream.id}" if stream is not None else "family"
    earlier = session.scalar(
        select(IsfReceipt).where(
            IsfReceipt.isf_id == isf.id,
            IsfReceipt.source_key == source_key,
            IsfReceipt.reference == reference,
        )
    )
    if earlier is not None:
        if (earlier.amount, earlier.received_on) != (amount, received_on):
            raise Conflict(
                "That reference was already recorded with a different amount or date",
                fields={"reference": ["Already used for a different payment"]},
            )
        return earlier
    receipt = IsfReceipt(
        isf_id=isf.id,
        stream_id=stream.id if stream else None,
        funder_id=stream.funder_id if stream else None,
        source_key=source_key,
        amount=amount,
        contingency=apply_bp(amount, isf.contingency_bp),
        received_on=received_on,
        reference=reference,
        recorded_by_id=getattr(actor, "id", None),
    )
    session.add(receipt)
    session.flush()
    _post_receipt(session, isf, receipt)
    audit.record(session, actor, "isf.receipt_recorded", isf, amount=amount, reference=reference)
    return receipt


def receipt_window(isf: Isf) -> tuple[date, date]:
    """The dates a receipt may carry: a year either side of the ISF's period (rule 8)."""
    return isf.start_date - RECEIPT_MARGIN, isf.end_date + RECEIPT_MARGIN


def _post_receipt(session: Session, isf: Isf, receipt: IsfReceipt) -> None:
    if receipt.stream_id is not None:
        # A funder's payment draws on its stream's allocation in the personal budget, so the
        # budget shows ISF money as spent, and a funder cannot pay in more than it allocated.
        source = stream_account(session, session.get(FundingStream, receipt.stream_id))
    else:
        source = books.family_source_account(session, isf.budget.family_id)
    available, contingency = books.available_account(session, isf), books.contingency_account(session, isf)
    ledger.lock_accounts(session, source, available, contingency)
    key = f"isf:{isf.id}:receipt:{receipt.id}"
    for account, amount, code in (
        (contingency, receipt.contingency, "isf_contingency"),
        (available, receipt.available, "isf_receipt"),
    ):
        if amount:
            ledger.transfer(
                session,
                source,
                account,
                amount,
                code,
                reference=("isf_receipt", receipt.id),
                idempotency_key=f"{key}:{code}",
                effective_date=receipt.received_on,
            )
