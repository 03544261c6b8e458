"""Issued invoices of any amount and due date, for late-payment and aged-debt tests: a draft with
a total and no lines, issued through the real operation (so the ledger says the payer owes it)."""

from datetime import UTC, date, datetime, timedelta

from marketplace import ledger
from marketplace.invoicing import books
from marketplace.invoicing.models import Invoice, InvoiceStatus
from marketplace.invoicing.operations import issue_invoice


def issue(session, issuer, total, due, payer_org=None, payer_family=None, terms=30, po="PO-LATE"):
    """An invoice from `issuer` for `total` pence falling due on `due` (issued `terms` days before)."""
    invoice = Invoice(
        issuer_id=issuer.id,
        payer_org_id=payer_org.id if payer_org is not None else None,
        payer_family_id=payer_family.id if payer_family is not None else None,
        po_number=po,
        payment_terms_days=terms,
        status=InvoiceStatus.DRAFT,
        net_total=total,
        vat_total=0,
        total=total,
    )
    session.add(invoice)
    session.flush()
    return issue_invoice(session, invoice, due - timedelta(days=terms))


def settle_undated(session, invoice, pence, code="payment"):
    """What a payment the late-payment code has no date for looks like: the invoice says it is
    paid and the ledger agrees (receivable down, cash up), but no reduction source knows when."""
    ledger.transfer(
        session,
        books.receivable_account(session, invoice),
        books.cash_account(session, invoice.issuer_id),
        pence,
        code,
        reference=("test_payment", invoice.id),
        idempotency_key=f"test:{invoice.id}:{pence}",
        effective_date=invoice.due_date,
    )
    invoice.amount_paid += pence
    invoice.status = InvoiceStatus.PAID if invoice.amount_due == 0 else InvoiceStatus.PART_PAID
    session.flush()


def london_noon(day: date) -> datetime:
    """Midday in London on `day` (as UTC), for freezing the clock on a business date."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
