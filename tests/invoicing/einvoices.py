"""Set-ups for e-invoice tests: example B's parties with the demo's invoicing details, the platform
with a Peppol id of its own, an invoice run, and an invoice a family pays itself."""

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts.demo import INVOICING_DETAILS
from marketplace.accounts.invoicing_details import update_invoicing_details
from marketplace.invoicing import operations
from marketplace.invoicing.models import EXEMPTION_REASON, Invoice, InvoiceLine, VatCategory
from marketplace.invoicing.runs import run_invoices

ISSUED_ON = date(2026, 12, 5)
PLATFORM_GLN = "5012345000039"


def with_demo_details(session, world):
    """Hilltop (GLN, bank details, no VAT number), the council (GLN, VAT number) and the ICB
    (Peppol id 9932 + its VAT number), as the demo has them."""
    for org, slug in (
        (world.provider_org, "hilltop-hospice"),
        (world.council, "brightwater-council"),
        (world.icb, "nhs-brightwater-icb"),
    ):
        update_invoicing_details(session, org, INVOICING_DETAILS[slug], None)
    return world


def platform_with_peppol_id(session, make):
    """The platform organisation with its own Peppol id: it delivers e-invoices to parties with none."""
    org = make.org("platform", slug="short-breaks-platform", name="Short Breaks Platform")
    org.peppol_id = f"0088:{PLATFORM_GLN}"
    session.flush()
    return org


def invoiced(session, world, through) -> dict[int, Invoice]:
    """Run invoices through `through` (issued on 5 December 2026): the invoices by paying organisation."""
    run_invoices(session, through, issue_date=ISSUED_ON)
    return {i.payer_org_id: i for i in session.scalars(select(Invoice))}


def family_invoice(session, world) -> Invoice:
    """A top-up the family pays itself (payer = the family, no PO), issued."""
    invoice = Invoice(issuer_id=world.provider_org.id, payer_family_id=world.family.id, payment_terms_days=14)
    session.add(invoice)
    session.flush()
    day = ISSUED_ON - timedelta(days=3)
    invoice.lines.append(
        InvoiceLine(
            position=1,
            description=f"Overnight short break: family top-up for 1 night on {day:%-d %B %Y}",
            service_start=day,
            service_end=day,
            child_reference=operations.child_reference(world.family.children[0]),
            quantity=1,
            unit="night",
            unit_price=4500,
            vat_category=VatCategory.EXEMPT,
            vat_rate_bp=0,
            vat_exemption_reason=EXEMPTION_REASON,
            amount=4500,
        )
    )
    operations._total(invoice)
    return operations.issue_invoice(session, invoice, ISSUED_ON)
