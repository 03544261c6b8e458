"""ISF funding instalments as billable items, their invoice lines, and their payment as the ISF's
receipt.

Each funder of an ISF pays on its cycle (`isf.schedule`): an instalment becomes billable the day
it falls due (in advance: its period's first day; in arrears: its last) and is recorded once per
(ISF, stream, period start), whatever runs it. The payer is the stream's funder, under the
stream's PO number and payment terms. Only agreed ISFs (the provider and a commissioner) on a
budget that is not closed are billed, and no period that starts after the ISF has ended.

A funder's payment of an ISF funding invoice IS the ISF's receipt: `receive_payment` records it
through `isf.operations.record_receipt`, so contingency and availability follow exactly as for a
receipt typed in by hand (which stays for money that arrives without an invoice). Reversing the
payment takes those receipts back out (`payment_receipts`, `isf.operations.reverse_receipt`).
"""

from collections import defaultdict
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from marketplace.budgets.models import Budget, BudgetStatus, FundingStream
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.sql import dialect_insert
from marketplace.invoicing.models import (
    EXEMPTION_REASON,
    BillableItem,
    BillableKind,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    IsfFundingReceipt,
    VatCategory,
)
from marketplace.invoicing.operations import child_reference
from marketplace.isf import operations as isf_operations
from marketplace.isf import schedule
from marketplace.isf.models import (
    AgreementParty,
    Isf,
    IsfAgreement,
    IsfFundingCycle,
    IsfReceipt,
    IsfReceiptReversal,
    PaymentCycle,
)

PERIOD_WORDS = {  # cycle: (one period, how often)
    PaymentCycle.WEEKLY: ("week", "weekly"),
    PaymentCycle.FOUR_WEEKLY: ("4 weeks", "4-weekly"),
    PaymentCycle.MONTHLY: ("month", "monthly"),
    PaymentCycle.QUARTERLY: ("quarter", "quarterly"),
}


# ---- what falls due ---------------------------------------------------------------------------


def _agreed_by(party: AgreementParty):
    return exists().where(IsfAgreement.isf_id == Isf.id, IsfAgreement.party == party)


def billable_isfs(session: Session, through: date, provider_id: int | None = None) -> list[Isf]:
    """ISFs whose funding is billed: agreed by the provider and a commissioner, started by
    `through`, on a budget that is not closed; with their cycles, streams and funders loaded."""
    query = (
        select(Isf)
        .join(Budget, Budget.id == Isf.budget_id)
        .where(
            Isf.start_date <= through,
            Budget.status != BudgetStatus.CLOSED,
            _agreed_by(AgreementParty.PROVIDER),
            _agreed_by(AgreementParty.COMMISSIONER),
        )
        .options(
            selectinload(Isf.cycles).selectinload(IsfFundingCycle.stream).selectinload(FundingStream.funder)
        )
        .order_by(Isf.id)
    )
    if provider_id is not None:
        query = query.where(Isf.provider_id == provider_id)
    return list(session.scalars(query))


def pending_instalments(session: Session, through: date, provider_id: int | None = None) -> list[dict]:
    """Instalments due on or before `through` and not yet recorded, as billable-item rows (read
    only: the run preview shows them, `record_due_instalments` writes them)."""
    isfs = billable_isfs(session, through, provider_id)
    if not isfs:
        return []
    recorded = set(
        session.execute(
            select(BillableItem.isf_id, BillableItem.stream_id, BillableItem.period_start).where(
                BillableItem.isf_id.in_([isf.id for isf in isfs])
            )
        ).all()
    )
    now = utcnow()
    rows = []
    for isf in isfs:
        streams = {cycle.stream.id: cycle.stream for cycle in isf.cycles}
        for instalment in schedule.funding_schedule(isf):
            if (
                instalment.due_on <= through
                and instalment.period_start <= isf.end_date
                and instalment.amount > 0
                and (isf.id, instalment.stream_id, instalment.period_start) not in recorded
            ):
                rows.append(_item_row(isf, streams[instalment.stream_id], instalment, now))
    return rows


def _item_row(isf: Isf, stream: FundingStream, instalment: schedule.Instalment, now) -> dict:
    return dict(
        kind=BillableKind.ISF_FUNDING.value,
        booking_payment_id=None,
        transfer_id=None,
        booking_id=None,
        isf_id=isf.id,
        period_start=instalment.period_start,
        period_end=instalment.period_end,
        stream_id=stream.id,
        provider_id=isf.provider_id,
        payer_org_id=stream.funder_id,
        payer_family_id=None,
        po_number=stream.po_number or "",
        payment_terms_days=stream.payment_terms_days,
        service_date=instalment.due_on,
        amount=instalment.amount,
        created_at=now,
    )


def record_due_instalments(session: Session, through: date, provider_id: int | None = None) -> int:
    """Record, once each, every ISF funding instalment due on or before `through`: the day it
    falls due, not the day before. ON CONFLICT DO NOTHING on (ISF, stream, period start), so
    concurrent runs record each once. Returns how many were new."""
    rows = pending_instalments(session, through, provider_id)
    if not rows:
        return 0
    table = BillableItem.__table__
    statement = dialect_insert(session, table).on_conflict_do_nothing().returning(table.c.id)
    recorded = len(session.execute(statement, rows).all())
    session.flush()
    return recorded


# ---- the invoice line -------------------------------------------------------------------------


def _span(start: date, end: date) -> str:
    if start.year == end.year:
        return f"{start:%-d %B} to {end:%-d %B %Y}"
    return f"{start:%-d %B %Y} to {end:%-d %B %Y}"


def line_for(session: Session, item: BillableItem, position: int) -> InvoiceLine:
    """'ISF funding for A-000123: quarter 6 April to 5 July 2026 (quarterly in advance),
    Brightwater Council social care': one instalment at its amount, VAT-exempt like care."""
    return InvoiceLine(position=position, **_line_fields(session, item))


def isf_lines(session: Session, items) -> dict[int, dict]:
    """The invoice run's line builder for instalments (`lines.LINE_BUILDERS`): {item id: line
    fields}. Instalments are few beside bookings (one per funder per period), so one read each."""
    return {item.id: _line_fields(session, item) for item in items}


def _line_fields(session: Session, item) -> dict:
    isf = session.get(Isf, item.isf_id)
    cycle = session.scalar(
        select(IsfFundingCycle).where(
            IsfFundingCycle.isf_id == item.isf_id, IsfFundingCycle.stream_id == item.stream_id
        )
    )
    stream = cycle.stream
    period, often = PERIOD_WORDS[cycle.cycle]
    reference = child_reference(isf.budget.child)
    description = (
        f"ISF funding for {reference}: {period} {_span(item.period_start, item.period_end)} "
        f"({often} in {cycle.timing.value}), {stream.funder.name} {stream.kind.value.replace('_', ' ')}"
    )
    return dict(
        billable_item_id=item.id,
        description=description[:300],
        service_start=item.period_start,
        service_end=item.period_end,
        child_reference=reference,
        quantity=1,
        unit="instalment",
        unit_price=item.amount,
        vat_category=VatCategory.EXEMPT,
        vat_rate_bp=0,
        vat_exemption_reason=EXEMPTION_REASON,
        amount=item.amount,
    )


# ---- its payment is the ISF's receipt ---------------------------------------------------------


def funding_lines(session: Session, invoice: Invoice) -> list[tuple[InvoiceLine, BillableItem]]:
    """The invoice's ISF funding lines with their items, oldest period first."""
    rows = session.execute(
        select(InvoiceLine, BillableItem)
        .join(BillableItem, BillableItem.id == InvoiceLine.billable_item_id)
        .where(InvoiceLine.invoice_id == invoice.id, BillableItem.kind == BillableKind.ISF_FUNDING)
        .order_by(InvoiceLine.service_start, InvoiceLine.position)
    )
    return [tuple(row) for row in rows]


def still_to_receive(session: Session, lines: list[InvoiceLine]) -> dict[int, int]:
    """Per line id: what the ISF still expects from the funder for it — its amount, less what
    credit notes took off it (the funder no longer owes that), less what earlier payments of it
    put into the ISF and kept there (a receipt reversed with its payment no longer counts).
    Never below zero. ISF funding lines are VAT-exempt, so a credit's net amount is all of it."""
    ids = [line.id for line in lines]
    reversed_receipt = exists().where(IsfReceiptReversal.receipt_id == IsfFundingReceipt.isf_receipt_id)
    received = _sum_by_line(
        session, IsfFundingReceipt.invoice_line_id, IsfFundingReceipt.amount, ids, ~reversed_receipt
    )
    credited = _sum_by_line(session, CreditNoteLine.invoice_line_id, CreditNoteLine.amount, ids)
    return {
        line.id: max(line.amount - received.get(line.id, 0) - credited.get(line.id, 0), 0) for line in lines
    }


def _sum_by_line(session: Session, line_id, amount, ids: list[int], *where) -> dict[int, int]:
    rows = session.execute(
        select(line_id, func.sum(amount)).where(line_id.in_(ids), *where).group_by(line_id)
    )
    return {key: int(total or 0) for key, total in rows}


def payment_receipts(session: Session, invoice_id: int, reference: str) -> list[IsfReceipt]:
    """The ISF receipts that the payment with `reference` of the invoice became, oldest first."""
    return list(
        session.scalars(
            select(IsfReceipt)
            .where(
                IsfReceipt.id.in_(
                    select(IsfFundingReceipt.isf_receipt_id).where(
                        IsfFundingReceipt.invoice_id == invoice_id,
                        IsfFundingReceipt.payment_reference == reference,
                    )
                )
            )
            .order_by(IsfReceipt.id)
        )
    )


def receive_payment(
    session: Session,
    invoice: Invoice,
    amount: int,
    received_on: date,
    reference: str,
    actor=None,
) -> list[IsfReceipt]:
    """A payment of `amount` pence against an issued invoice becomes the ISF's receipt for the
    invoice's ISF funding lines: spread over them oldest period first (a part payment is a part
    receipt; what is left after them pays the invoice's other lines, which need no receipt), one
    `record_receipt` per ISF and stream, so contingency and availability follow as for a receipt
    typed in by hand. Idempotent per (invoice, reference): a replay returns the first receipts
    and writes nothing. An invoice without ISF funding lines gives no receipt (returns []).
    Call it in the payment's transaction; it flushes, the caller commits."""
    lines = funding_lines(session, invoice)
    if not lines:
        return []
    reference = _check_payment(invoice, amount, received_on, reference)
    session.execute(select(Invoice.id).where(Invoice.id == invoice.id).with_for_update())
    earlier = _earlier_receipts(session, invoice, reference, amount, received_on)
    if earlier is not None:
        return earlier
    owed = still_to_receive(session, [line for line, _ in lines])
    parts: dict[tuple[int, int], list[tuple[InvoiceLine, int]]] = defaultdict(list)
    rest = amount
    for line, item in lines:
        take = min(rest, owed[line.id])
        if take > 0:
            parts[(item.isf_id, item.stream_id)].append((line, take))
            rest -= take
    receipts = []
    for (isf_id, stream_id), taken in parts.items():
        receipt = isf_operations.record_receipt(
            session,
            session.get(Isf, isf_id),
            stream=session.get(FundingStream, stream_id),
            amount=sum(take for _, take in taken),
            received_on=received_on,
            reference=f"{invoice.number} {reference}",
            actor=actor,
        )
        receipts.append(receipt)
        for line, take in taken:
            session.add(
                IsfFundingReceipt(
                    invoice_id=invoice.id,
                    invoice_line_id=line.id,
                    isf_receipt_id=receipt.id,
                    payment_reference=reference,
                    received_on=received_on,
                    amount=take,
                )
            )
    session.flush()
    return receipts


def _check_payment(invoice: Invoice, amount: int, received_on: date, reference: str) -> str:
    """Rule 8: each bad field named; a draft is not payable."""
    if invoice.status is InvoiceStatus.DRAFT:
        raise Conflict("A draft invoice cannot be paid; issue it first.", code="invoice_draft")
    errors = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = ["Enter the amount received as a whole number of pence above zero"]
    if not isinstance(received_on, date):
        errors["received_on"] = ["Enter the date the money was received"]
    reference = (reference or "").strip()
    longest = 120 - len(invoice.number) - 1  # the ISF receipt's reference is "<number> <reference>"
    if not reference or len(reference) > longest:
        errors["reference"] = [f"Enter the payment's reference (up to {longest} characters)"]
    if errors:
        raise ValidationFailed("Check the payment", fields=errors)
    return reference


def _earlier_receipts(session, invoice, reference, amount, received_on) -> list[IsfReceipt] | None:
    """The receipts an earlier call with this reference made (None if there was none); a replay
    with another date, or with less money than those receipts took, is refused."""
    rows = session.scalars(
        select(IsfFundingReceipt)
        .where(IsfFundingReceipt.invoice_id == invoice.id, IsfFundingReceipt.payment_reference == reference)
        .order_by(IsfFundingReceipt.id)
    ).all()
    if not rows:
        return None
    if rows[0].received_on != received_on or sum(r.amount for r in rows) > amount:
        raise Conflict(
            "That reference was already recorded for this invoice with a different amount or date",
            fields={"reference": ["Already used for a different payment of this invoice"]},
        )
    ids = list(dict.fromkeys(r.isf_receipt_id for r in rows))
    return [session.get(IsfReceipt, receipt_id) for receipt_id in ids]
