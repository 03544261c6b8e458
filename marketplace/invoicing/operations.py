"""Invoicing verbs: record what is billable, draft an invoice, issue it under a gap-free number.

Operations flush; the caller commits. Locks, in this order: the provider's `InvoiceCounter` row
(several providers' in issuer id order), then the billable items being billed. Two runs therefore
meet first at the counter, and the second then finds the items already billed. The invoice run
(`runs.run_invoices`) issues many groups per transaction with `batch.issue_groups`, the same
rules set-based; `invoice_group` is the one-invoice path (the demo, tests and other callers).
"""

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from marketplace.accounts.invoicing_details import default_invoice_prefix
from marketplace.accounts.models import Child, Organisation
from marketplace.bookings.models import Booking, BookingPayment, BookingStatus
from marketplace.budgets.models import Budget, FundingStream, ManagementOption
from marketplace.catalog.models import Slot
from marketplace.core.clock import business_date, london_midnight, today, utcnow
from marketplace.core.errors import Conflict
from marketplace.core.sql import bulk_insert_new, dialect_insert
from marketplace.invoicing import books, lines
from marketplace.invoicing.models import (
    BillableItem,
    BillableKind,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceStatus,
    VatCategory,
)
from marketplace.ledger.models import Transfer

# The funder's money spent on the family's behalf: the funder (or broker) is invoiced (rule 10).
INVOICED_BY_FUNDER = (ManagementOption.MANAGED, ManagementOption.THIRD_PARTY)
# A direct payment is the family's own money: the family is invoiced (rule 10).
INVOICED_TO_FAMILY = (ManagementOption.DIRECT_PAYMENT,)
KIND_OF_STATUS = {
    BookingStatus.DELIVERED: BillableKind.CARE_DELIVERED,
    BookingStatus.CANCELLED: BillableKind.CANCELLATION_CHARGE,
    BookingStatus.NO_SHOW: BillableKind.NO_SHOW_CHARGE,
}


def pending_billable(through: date, provider_id: int | None = None):
    """The query for what is billable through `through` but not yet recorded (read only: the run
    preview shows it): (payment id, booking id, status, provider id, stream id, funder id, PO,
    terms, starts at, transfer id, amount, management, family id)."""
    return (
        select(
            BookingPayment.id,
            Booking.id,
            Booking.status,
            Booking.provider_id,
            FundingStream.id,
            FundingStream.funder_id,
            FundingStream.po_number,
            FundingStream.payment_terms_days,
            Slot.starts_at,
            Transfer.id,
            Transfer.amount,
            FundingStream.management,
            Budget.family_id,
        )
        .join(Booking, Booking.id == BookingPayment.booking_id)
        .join(FundingStream, FundingStream.id == BookingPayment.stream_id)
        .join(Budget, Budget.id == FundingStream.budget_id)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Transfer, Transfer.hold_id == BookingPayment.hold_id)
        .where(
            Booking.status.in_(list(KIND_OF_STATUS)),
            FundingStream.management.in_(INVOICED_BY_FUNDER + INVOICED_TO_FAMILY),
            Slot.starts_at < _end_of(through),
            *([Booking.provider_id == provider_id] if provider_id is not None else []),
            ~exists().where(BillableItem.booking_payment_id == BookingPayment.id),
        )
        .order_by(BookingPayment.id)
    )


def payer_columns(
    management: ManagementOption, funder_id: int, family_id: int, po_number: str | None
) -> dict:
    """Who pays a stream's share: the funder, under its PO number; or, for a direct payment, the
    family (the funder's PO is not the family's)."""
    if management in INVOICED_TO_FAMILY:
        return dict(payer_org_id=None, payer_family_id=family_id, po_number="")
    return dict(payer_org_id=funder_id, payer_family_id=None, po_number=po_number or "")


def record_billable_items(session: Session, through: date, provider_id: int | None = None) -> int:
    """Record, once each, every stream's posted share of a delivered booking or of a
    late-cancellation or no-show charge on a managed, third-party or direct-payment stream, for
    care on or before `through`, and every ISF funding instalment due by then
    (`isf_funding.record_due_instalments`). The amount is the ledger transfer that posted the
    stream's hold, so an invoice always agrees with the budget's statement. Returns how many were
    new (ON CONFLICT DO NOTHING on (kind, booking_payment_id): concurrent runs record each once)."""
    from marketplace.invoicing import isf_funding  # it builds on this module

    rows = session.execute(pending_billable(through, provider_id)).all()
    values = [
        dict(
            kind=KIND_OF_STATUS[status].value,
            booking_payment_id=payment_id,
            transfer_id=transfer_id,
            booking_id=booking_id,
            stream_id=stream_id,
            provider_id=provider,
            **payer_columns(management, funder_id, family_id, po_number),
            payment_terms_days=terms,
            service_date=business_date(starts_at),
            amount=amount,
            created_at=utcnow(),
        )
        for (payment_id, booking_id, status, provider, stream_id, funder_id, po_number, terms, starts_at,
             transfer_id, amount, management, family_id) in rows
    ]  # fmt: skip
    recorded = 0
    if values:
        recorded = bulk_insert_new(session, BillableItem.__table__, values)
        session.flush()
    return recorded + isf_funding.record_due_instalments(session, through, provider_id)


def _end_of(day: date):
    return london_midnight(day + timedelta(days=1))


def child_reference(child: Child) -> str:
    """The child as a document leaving the platform names them (`lines.child_reference`)."""
    return lines.child_reference(child.id, child.name)


def draft_invoice(session: Session, items: list[BillableItem], run_id: int | None = None) -> Invoice:
    """A draft invoice billing `items` (one issuer, one payer, one PO number, one set of terms;
    the caller has locked them and checked they are unbilled), made by run `run_id` if given. No
    number yet."""
    first = items[0]
    keys = {group_key(i) for i in items}
    if len(keys) != 1:
        raise Conflict("An invoice bills one payer under one PO number.", code="mixed_items")
    invoice = Invoice(
        issuer_id=first.provider_id,
        payer_org_id=first.payer_org_id,
        payer_family_id=first.payer_family_id,
        po_number=first.po_number,
        payment_terms_days=first.payment_terms_days,
        status=InvoiceStatus.DRAFT,
        run_id=run_id,
    )
    session.add(invoice)
    session.flush()
    fields = lines.line_fields(session, items)
    for position, item in enumerate(sorted(items, key=line_order), start=1):
        invoice.lines.append(InvoiceLine(position=position, **fields[item.id]))
        item.invoice_id = invoice.id
    _total(invoice)
    session.flush()
    return invoice


def _total(invoice: Invoice) -> None:
    """A draft's net, VAT and total from its lines (`invoice_totals`)."""
    invoice.net_total, invoice.vat_total, invoice.total = invoice_totals(
        (line.amount, line.vat_category, line.vat_rate_bp) for line in invoice.lines
    )


def line_order(item: BillableItem) -> tuple:
    """An invoice lists its lines by service date (then as recorded)."""
    return (item.service_date, item.id)


def invoice_totals(amounts: Iterable[tuple[int, VatCategory, int]]) -> tuple[int, int, int]:
    """(net, VAT, total) of an invoice's lines given as (amount, VAT category, VAT rate bp): VAT is
    worked out per rate over the standard-rated lines and rounded once (half up)."""
    net = 0
    by_rate: dict[int, int] = {}
    for amount, category, rate_bp in amounts:
        net += amount
        if category is VatCategory.STANDARD:
            by_rate[rate_bp] = by_rate.get(rate_bp, 0) + amount
    vat = sum((amount * bp + 5000) // 10000 for bp, amount in by_rate.items())
    return net, vat, net + vat


def number_prefix(slug: str) -> str:
    """'hilltop-hospice' -> 'HIL': the default prefix, the first three letters or digits of the
    provider's slug (a provider may choose its own on its invoicing details)."""
    return default_invoice_prefix(slug)


def lock_counter(session: Session, issuer_id: int) -> InvoiceCounter:
    """The provider's number counter, created if new and locked FOR UPDATE."""
    return lock_counters(session, [issuer_id])[issuer_id]


def lock_counters(session: Session, issuer_ids) -> dict[int, InvoiceCounter]:
    """Providers' number counters, created if new (ON CONFLICT DO NOTHING) and locked FOR UPDATE
    in issuer id order (so two runs over the same providers cannot deadlock). Each carries its
    provider's prefix as it is now: a change applies to the numbers issued after it, and the
    sequence runs on through it (so numbers stay unique per provider whatever the prefix)."""
    ids = sorted(set(issuer_ids))
    prefixes = {
        org_id: prefix or number_prefix(slug)
        for org_id, slug, prefix in session.execute(
            select(Organisation.id, Organisation.slug, Organisation.invoice_prefix).where(
                Organisation.id.in_(ids)
            )
        )
    }
    session.execute(
        dialect_insert(session, InvoiceCounter.__table__).on_conflict_do_nothing(),
        [dict(issuer_id=i, prefix=prefixes[i], last_number=0) for i in ids],
    )
    counters = session.scalars(
        select(InvoiceCounter)
        .where(InvoiceCounter.issuer_id.in_(ids))
        .order_by(InvoiceCounter.issuer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    locked = {counter.issuer_id: counter for counter in counters}
    for issuer_id, counter in locked.items():
        if counter.prefix != prefixes[issuer_id]:
            counter.prefix = prefixes[issuer_id]
    return locked


def take_number(counter: InvoiceCounter) -> str:
    """The next number of the provider's gap-free sequence ('HIL-000123'); the counter is locked
    by the caller, so a rollback gives the number back."""
    counter.last_number += 1
    return f"{counter.prefix}-{counter.last_number:06d}"


def issue_invoice(session: Session, invoice: Invoice, issue_date: date | None = None) -> Invoice:
    """Issue a draft: the next number of the provider's gap-free sequence (taken under the
    counter's row lock, in this transaction, so a rollback gives the number back), the issue date,
    and the due date after the payer's terms. Issuing twice is refused."""
    counter = lock_counter(session, invoice.issuer_id)
    invoice = session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invoice.status is not InvoiceStatus.DRAFT:
        raise Conflict(
            f"Invoice {invoice.number} is already issued; it never changes.", code="already_issued"
        )
    issue_date = issue_date or today()
    invoice.number = take_number(counter)
    invoice.status = InvoiceStatus.ISSUED
    invoice.issue_date = issue_date
    invoice.due_date = issue_date + timedelta(days=invoice.payment_terms_days)
    invoice.issued_at = utcnow()
    session.flush()
    books.post_issue(session, invoice)  # the payer now owes it, in the same transaction
    return invoice


def unbilled_items(session: Session, key: tuple, through: date, *, lock: bool = False) -> list[BillableItem]:
    """The unbilled items of one (provider, payer org, payer family, PO, terms) group, by id."""
    query = (
        select(BillableItem)
        .where(in_group(key), BillableItem.invoice_id.is_(None), BillableItem.service_date <= through)
        .order_by(BillableItem.id)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return list(session.scalars(query))


def in_group(key: tuple):
    """The condition for a billable item of the (provider, payer org, payer family, PO, terms) group."""
    provider_id, payer_org_id, payer_family_id, po_number, terms = key
    return and_(
        BillableItem.provider_id == provider_id,
        _same(BillableItem.payer_org_id, payer_org_id),
        _same(BillableItem.payer_family_id, payer_family_id),
        BillableItem.po_number == po_number,
        BillableItem.payment_terms_days == terms,
    )


def group_key(item: BillableItem) -> tuple:
    return (
        item.provider_id,
        item.payer_org_id,
        item.payer_family_id,
        item.po_number,
        item.payment_terms_days,
    )


def _same(column, value):
    return column.is_(None) if value is None else column == value


def unbilled_groups(session: Session, through: date, provider_id: int | None = None) -> list[tuple]:
    """The (provider, payer org, payer family, PO, terms) groups that have unbilled items."""
    query = (
        select(
            BillableItem.provider_id,
            BillableItem.payer_org_id,
            BillableItem.payer_family_id,
            BillableItem.po_number,
            BillableItem.payment_terms_days,
        )
        .where(BillableItem.invoice_id.is_(None), BillableItem.service_date <= through)
        .distinct()
    )
    if provider_id is not None:
        query = query.where(BillableItem.provider_id == provider_id)
    return sorted(
        (tuple(row) for row in session.execute(query)),
        key=lambda k: (k[0], k[1] or 0, k[2] or 0, k[3], k[4]),
    )


def invoice_group(
    session: Session, key: tuple, through: date, issue_date: date | None = None, run_id: int | None = None
) -> Invoice | None:
    """Bill one group's unbilled items on one invoice and issue it, or None when another run has
    billed them meanwhile. The counter is locked first, so a concurrent run waits here and then
    reads the items afresh."""
    lock_counter(session, key[0])
    items = unbilled_items(session, key, through, lock=True)
    if not items:
        return None
    return issue_invoice(session, draft_invoice(session, items, run_id), issue_date)
