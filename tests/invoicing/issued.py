"""Issued invoices for the statement and reminder tests: example B's pair, and one to a family."""

from datetime import date

from sqlalchemy import select

from marketplace.invoicing import operations
from marketplace.invoicing.models import Invoice, InvoiceStatus
from marketplace.invoicing.runs import run_invoices

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
