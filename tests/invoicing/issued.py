"""Issued invoices made quickly, for lists that need many (no bookings behind them): one line of
`amount`, issued through the real numbering and ledger; for the statement and reminder tests,
example B's pair and an invoice to a family; and money received, credited and reversed on a given
day through the real operations (`pay`, `receive`, `credit`, `reverse`)."""

from datetime import date, datetime

import time_machine
from sqlalchemy import select

from marketplace.core.clock import LONDON
from marketplace.invoicing import credit_notes, operations, payments
from marketplace.invoicing.models import CreditNote, Invoice, InvoiceLine, InvoiceStatus, Payment, VatCategory
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
    """`amount` received against the invoice on its issue date (the real `payments.record_payment`):
    part paid, or paid when nothing is left."""
    receive(session, invoice, amount, invoice.issue_date, f"TEST-{invoice.id}-{invoice.amount_paid}")
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


def _on(day: date):
    """The clock at noon on `day`: operations that refuse a date after today accept it then."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=LONDON), tick=False)


def receive(session, invoice: Invoice, amount: int, on: date, reference: str | None = None) -> Payment:
    """`amount` received from the invoice's payer on `on`, all of it to the invoice
    (`payments.record_payment`: the ledger, the invoice's figures and status)."""
    with _on(on):
        return payments.record_payment(
            session,
            provider=invoice.issuer,
            payer=invoice.payer_org or invoice.payer_family,
            amount=amount,
            received_on=on,
            reference=reference or f"REM-{invoice.number}-{on:%Y%m%d}",
            allocations=[(invoice, amount)],
        )


def credit(session, invoice: Invoice, amount: int, on: date) -> CreditNote:
    """A credit note for `amount` on the invoice, dated `on` (`credit_notes.issue_credit_note`)."""
    with _on(on):
        return credit_notes.issue_credit_note(
            session, invoice, reason="Corrected charge", amount=amount, actor=None, issue_date=on
        )


def reverse(session, payment: Payment, on: date):
    """The payment reversed on `on` (`payments.reverse_payment`)."""
    with _on(on):
        return payments.reverse_payment(session, payment, "The payer's bank recalled it")
