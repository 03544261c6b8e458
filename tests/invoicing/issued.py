"""Issued invoices made quickly, for lists that need many (no bookings behind them): one line of
`amount`, issued through the real numbering and ledger; and a payment posted the way the books
say (receivable -> cash received), so `reconcile_receivables` stays clean; and, for the statement
and reminder tests, example B's pair and an invoice to a family."""

from datetime import date

from sqlalchemy import select

from marketplace import ledger
from marketplace.invoicing import books, operations
from marketplace.invoicing.models import Invoice, InvoiceLine, InvoiceStatus, VatCategory
from marketplace.invoicing.runs import run_invoices


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


ISSUED_ON = date(2026, 12, 5)  # example D: the council's invoice falls due on 4 January 2027


def example_b(session, world, issue_date: date = ISSUED_ON, units: int = 2, days_ahead: int = 10):
    """A stay of `units` nights delivered and invoiced on `issue_date`: (the council's, the ICB's)."""
    booking = world.delivered(units=units, days_ahead=days_ahead)
    summary = run_invoices(session, world.service_date(booking), issue_date=issue_date)
    ids = [i.id for i in summary.issued]
    invoices = session.scalars(select(Invoice).where(Invoice.id.in_(ids))).all()
    council = next(i for i in invoices if i.payer_org_id == world.council.id)
    icb = next(i for i in invoices if i.payer_org_id == world.icb.id)
    return council, icb


def to_family(session, provider, family, total: int, issue_date: date, terms: int = 14) -> Invoice:
    """An invoice to a family (as for care paid from a direct payment), issued by the real
    operation: numbered, dated and owed in the ledger. It has no lines: what is billed does not
    matter to what is owed."""
    draft = Invoice(
        issuer_id=provider.id,
        payer_family_id=family.id,
        payment_terms_days=terms,
        status=InvoiceStatus.DRAFT,
        net_total=total,
        total=total,
    )
    session.add(draft)
    session.flush()
    return operations.issue_invoice(session, draft, issue_date)
