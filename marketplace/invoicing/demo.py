"""Demo invoices. First Amy's quarter-1 ISF funding (example A), invoiced on the day it fell due,
6 April 2026 — £4,550.00 to Brightwater Council (social care, PO BWC-SC-4471), £2,600.00 to NHS
Brightwater ICB and £650.00 to Brightwater Council (education, PO BWC-SEN-2208: its own PO, so
its own invoice) — and paid that day, the payments being the ISF's receipts. Then everything
billable up to today, issued: Ben's delivered two nights at Hilltop (example B's split: £393.33
to Brightwater Council, £196.67 to NHS Brightwater ICB) and Amy's later quarters as they fell
due. Idempotent: a second load finds nothing unbilled and replays the payments to no effect."""

from sqlalchemy import select

from marketplace.accounts.demo import add_invoicing_details
from marketplace.core.clock import today
from marketplace.invoicing import isf_funding, operations
from marketplace.invoicing.models import BillableItem, Invoice, InvoiceLine
from marketplace.isf.models import Isf


def load(session, ctx: dict) -> None:
    add_invoicing_details(session)  # the catalog's providers, added after the accounts' demo
    isf = ctx.get("amys_isf")
    if isf is not None:
        _bill(session, isf.start_date, isf.provider_id)
        _pay_first_instalments(session, isf)
    ctx["invoices"] = _bill(session, today())


def _bill(session, through, provider_id=None) -> list[Invoice]:
    """What an invoice run through `through` does, issued on that day, inside the demo's
    transaction (a run commits invoice by invoice)."""
    operations.record_billable_items(session, through, provider_id)
    return [
        invoice
        for key in operations.unbilled_groups(session, through, provider_id)
        if (invoice := operations.invoice_group(session, key, through, issue_date=through)) is not None
    ]


def _pay_first_instalments(session, isf: Isf) -> None:
    """Each funder pays its first instalment's invoice in full on the day it fell due, streams in
    their listed order (the ISF's receipts follow that order)."""
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
        if invoice is not None:
            isf_funding.receive_payment(
                session, invoice, invoice.total, invoice.issue_date, f"{invoice.po_number}-Q1"
            )
