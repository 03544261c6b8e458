"""Demo invoices. First Amy's quarter-1 ISF funding (example A), invoiced on the day it fell due,
6 April 2026 — £4,550.00 to Brightwater Council (social care, PO BWC-SC-4471), £2,600.00 to NHS
Brightwater ICB and £650.00 to Brightwater Council (education, PO BWC-SEN-2208: its own PO, so
its own invoice) — and paid that day, the payments being the ISF's receipts. Amy's later quarters
are invoiced each on the day it fell due (6 July, 6 October ...), as the daily run would have,
and are not paid: those due before today are overdue, so the chasing view, aged debt and the
council's "Invoices to pay" have something to show. Ben's two nights at Hilltop 34 days ago are
billed the day after Hilltop marked them delivered, as the daily run would have (example B's split:
£393.33 to Brightwater Council on 30-day terms, so overdue today, and £196.67 to NHS Brightwater ICB
on 45-day terms). Then everything else billable up to today, issued today; and a credit note on the ICB's invoice for Ben's stay, for part
of it that was not delivered. Idempotent: a second load finds nothing unbilled, replays the
payments to no effect and finds the credit note already there. Each billing is a recorded invoice
run, so the run page's history shows them."""

from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.demo import add_invoicing_details
from marketplace.accounts.models import Organisation, User
from marketplace.core.clock import today
from marketplace.invoicing import credit_notes, operations, payment_demo, payments
from marketplace.invoicing.models import (
    BillableItem,
    BillableKind,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoiceStatus,
    RunSource,
)
from marketplace.isf.models import Isf

CREDIT_REASON = (
    "Ben went home after breakfast on the second day for a hospital appointment, so the nursing "
    "care planned for that afternoon was not delivered: NHS Brightwater ICB's share of it is credited."
)
CREDIT_AMOUNT = 3_000  # £30.00


def load(session, ctx: dict) -> None:
    add_invoicing_details(session)  # the catalog's providers, added after the accounts' demo
    isf = ctx.get("amys_isf")
    if isf is not None:
        _bill(session, isf.start_date, isf.provider_id)
        _pay_first_instalments(session, isf)
        _bill_instalments_as_they_fell_due(session, isf)
    ctx["invoices"] = _bill_care_as_delivered(session) + _bill(session, today())
    _credit_the_icb(session)
    payment_demo.load(session, ctx)  # a part payment and a reversed one (payment_demo.py)


def _bill(session, through, provider_id=None) -> list[Invoice]:
    """What an invoice run through `through` does, issued on that day, inside the demo's
    transaction (a run commits invoice by invoice), recorded as a run when it bills anything."""
    operations.record_billable_items(session, through, provider_id)
    groups = operations.unbilled_groups(session, through, provider_id)
    if not groups:
        return []
    run = InvoiceRun(through=through, provider_id=provider_id, source=RunSource.COMMAND)
    session.add(run)
    session.flush()
    invoices = [
        invoice
        for key in groups
        if (invoice := operations.invoice_group(session, key, through, issue_date=through, run_id=run.id))
        is not None
    ]
    run.finished_at = run.started_at
    return invoices


def _bill_care_as_delivered(session) -> list[Invoice]:
    """Care delivered before today, billed two days after its first night (the day after the
    demo's bookings are marked delivered), each day's as the daily invoice run would have."""
    operations.record_billable_items(session, today())
    days = session.scalars(
        select(BillableItem.service_date)
        .where(
            BillableItem.invoice_id.is_(None),
            BillableItem.kind == BillableKind.CARE_DELIVERED,
            BillableItem.service_date <= today() - timedelta(days=2),
        )
        .distinct()
        .order_by(BillableItem.service_date)
    ).all()
    return [invoice for day in days for invoice in _bill(session, day + timedelta(days=2))]


def _bill_instalments_as_they_fell_due(session, isf: Isf) -> None:
    """Amy's later instalments billed each on the day it fell due, as the daily invoice run would
    have: unpaid, they are overdue by today, so the chasing view, aged debt, the claim PDF and the
    council's "Invoices to pay" have something to show."""
    operations.record_billable_items(session, today(), isf.provider_id)
    days = session.scalars(
        select(BillableItem.service_date)
        .where(
            BillableItem.isf_id == isf.id,
            BillableItem.invoice_id.is_(None),
            BillableItem.service_date <= today(),
        )
        .distinct()
        .order_by(BillableItem.service_date)
    ).all()
    for day in days:
        _bill(session, day, isf.provider_id)


def _pay_first_instalments(session, isf: Isf) -> None:
    """Each funder pays its first instalment's invoice in full on the day it fell due, streams in
    their listed order: each payment is recorded against its invoice and becomes the ISF's receipt
    (the receipts follow that order)."""
    for stream in isf.streams:
        invoice = session.scalar(
            select(Invoice)
            .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
            .join(BillableItem, BillableItem.id == InvoiceLine.billable_item_id)
            .where(
                BillableItem.isf_id == isf.id,
                BillableItem.stream_id == stream.id,
                BillableItem.period_start == isf.start_date,
            )
        )
        if invoice is not None and invoice.amount_due:
            payments.record_payment(
                session,
                provider=invoice.issuer,
                payer=invoice.payer_org,
                amount=invoice.amount_due,
                received_on=invoice.issue_date,
                reference=f"{invoice.po_number}-Q1",
                allocations=[(invoice, invoice.amount_due)],
                actor=None,
            )


def _credit_the_icb(session) -> None:
    """Credit £30.00 of the ICB's invoice for Ben's delivered stay, once."""
    invoice = session.scalars(
        select(Invoice)
        .join(Organisation, Organisation.id == Invoice.payer_org_id)
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .join(BillableItem, BillableItem.id == InvoiceLine.billable_item_id)
        .where(
            Organisation.slug == "nhs-brightwater-icb",
            Invoice.status != InvoiceStatus.DRAFT,
            BillableItem.kind == BillableKind.CARE_DELIVERED,
        )
        .order_by(Invoice.id)
    ).first()
    if (
        invoice is None
        or invoice.credit_notes
        or credit_notes.creditable_amount(session, invoice) < CREDIT_AMOUNT
    ):
        return
    finance = session.scalar(select(User).where(User.email == "finance@hilltop.example"))
    credit_notes.issue_credit_note(
        session, invoice, reason=CREDIT_REASON, amount=CREDIT_AMOUNT, actor=finance
    )
