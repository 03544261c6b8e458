"""Issued invoices made quickly, for lists that need many (no bookings behind them): one line of
`amount`, issued through the real numbering and ledger; and a payment posted the way the books
say (receivable -> cash received), so `reconcile_receivables` stays clean."""

from datetime import date

from marketplace import ledger
from marketplace.invoicing import books, operations
from marketplace.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, VatCategory


def issue(session, issuer, *, org=None, family=None, po="", amount=10_000, on=date(2026, 12, 5), terms=30):
    """An issued invoice from `issuer` to `org` (or `family`) under `po` for `amount` pence."""
    invoice = Invoice(
        issuer_id=issuer.id,
        payer_org_id=org.id if org is not None else None,
        payer_family_id=family.id if family is not None else None,
        po_number=po,
        payment_terms_days=terms,
        net_total=amount,
        total=amount,
    )
    invoice.lines.append(
        InvoiceLine(
            position=1,
            description="Day session",
            service_start=on,
            service_end=on,
            child_reference="X-000001",
            quantity=1,
            unit="session",
            unit_price=amount,
            vat_category=VatCategory.EXEMPT,
            amount=amount,
        )
    )
    session.add(invoice)
    session.flush()
    return operations.issue_invoice(session, invoice, on)


def pay(session, invoice, amount):
    """`amount` received against the invoice: part paid, or paid when nothing is left."""
    ledger.transfer(
        session,
        books.receivable_account(session, invoice),
        books.cash_account(session, invoice.issuer_id),
        amount,
        "payment",
        reference=("test_payment", invoice.id),
        idempotency_key=f"test-payment:{invoice.id}:{invoice.amount_paid}",
        effective_date=invoice.issue_date,
    )
    invoice.amount_paid += amount
    invoice.status = InvoiceStatus.PAID if invoice.amount_due == 0 else InvoiceStatus.PART_PAID
    session.flush()
    return invoice
