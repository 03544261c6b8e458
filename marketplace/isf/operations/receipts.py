"""Money paid into an ISF by a funder or the family: a share ring-fenced as contingency, the rest
available to draw down; and a receipt taken back out when the payment behind it is reversed."""

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import ledger
from marketplace.budgets.books import stream_account
from marketplace.budgets.models import FundingStream
from marketplace.core import audit
from marketplace.core.clock import today
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.money import apply_bp, format_pence
from marketplace.isf import books, notices
from marketplace.isf.models import Isf, IsfReceipt, IsfReceiptReversal
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


def _source_account(session: Session, isf: Isf, receipt: IsfReceipt):
    if receipt.stream_id is not None:
        # A funder's payment draws on its stream's allocation in the personal budget, so the
        # budget shows ISF money as spent, and a funder cannot pay in more than it allocated.
        return stream_account(session, session.get(FundingStream, receipt.stream_id))
    return books.family_source_account(session, isf.budget.family_id)


def _lock_receipt_accounts(session: Session, isf: Isf, receipt: IsfReceipt):
    """(source, available, contingency), locked together in the ledger's one order."""
    source = _source_account(session, isf, receipt)
    available, contingency = books.available_account(session, isf), books.contingency_account(session, isf)
    ledger.lock_accounts(session, source, available, contingency)
    return source, available, contingency


def _post_receipt(session: Session, isf: Isf, receipt: IsfReceipt) -> None:
    source, available, contingency = _lock_receipt_accounts(session, isf, receipt)
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


# ---- taking a receipt back out ------------------------------------------------------------------

REVERSAL_CODE = "isf_receipt_reversal"


def check_receipt_reversible(session: Session, receipt: IsfReceipt, *, because: str = "") -> None:
    """Lock the receipt's accounts and refuse (409 `isf_receipt_drawn`, nothing written) taking it
    back out when the ISF no longer holds it: its available share has been drawn down, or its
    contingency share released, since (rule 4: neither account ever goes below zero). Money in an
    ISF is not earmarked by receipt, so what counts is what the ISF holds now."""
    isf = session.get(Isf, receipt.isf_id)
    if receipt.is_reversed:
        raise Conflict(f"The ISF receipt {receipt.reference} was already reversed", code="already_reversed")
    _, available, contingency = _lock_receipt_accounts(session, isf, receipt)
    held = ledger.balance(available).available, ledger.balance(contingency).available
    if held[0] >= receipt.available and held[1] >= receipt.contingency:
        return
    gone = max(receipt.available - held[0], 0) + max(receipt.contingency - held[1], 0)
    raise Conflict(
        f"{because or 'The receipt'} put {format_pence(receipt.amount)} into the ISF "
        f"({format_pence(receipt.available)} available, {format_pence(receipt.contingency)} contingency), "
        f"but the ISF now holds {format_pence(held[0])} available and {format_pence(held[1])} contingency: "
        f"{format_pence(gone)} of it has already been drawn down or released. Nothing was reversed. "
        "Reverse it once further funding has been received into the ISF, or agree the correction with "
        "the funder (for example a credit note on a later funding invoice).",
        code="isf_receipt_drawn",
    )


def reverse_receipt(session: Session, receipt: IsfReceipt, *, reason: str, actor=None) -> IsfReceiptReversal:
    """Take a receipt back out of the ISF (its payment was reversed): each of its ledger transfers
    (contingency and available) reversed by a new, opposite transfer dated today, and a reversal
    row says who, when and why; the receipt itself never changes. Refused (409, nothing written) if
    the ISF no longer holds the money (`check_receipt_reversible`)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Check the reversal", fields={"reason": ["Enter why the receipt is reversed"]})
    check_receipt_reversible(session, receipt)
    originals = session.scalars(
        select(ledger.Transfer)
        .where(
            ledger.Transfer.reference_type == "isf_receipt",
            ledger.Transfer.reference_id == str(receipt.id),
            ledger.Transfer.reverses_id.is_(None),
        )
        .order_by(ledger.Transfer.id)
    ).all()
    on = today()
    for original in originals:
        ledger.reverse(
            session,
            original,
            code=REVERSAL_CODE,
            effective_date=on,
            idempotency_key=f"isf:{receipt.isf_id}:receipt:{receipt.id}:{original.code}:reversal",
        )
    reversal = IsfReceiptReversal(
        isf_id=receipt.isf_id,
        receipt=receipt,
        reason=reason,
        reversed_on=on,
        reversed_by_id=getattr(actor, "id", None),
    )
    session.add(reversal)
    session.flush()
    isf = session.get(Isf, receipt.isf_id)
    audit.record(session, actor, "isf.receipt_reversed", isf, receipt=receipt.id, amount=receipt.amount)
    notices.receipt_reversed(session, isf, receipt, reason)
    return reversal
