"""Demo payments, small and believable: Brightwater Council has paid £200.00 of its £393.33
invoice for Ben's stay (so it is part paid), and a payment recorded against NHS Brightwater ICB's
invoice was reversed when the ICB's bank recalled it (so that invoice is still owed in full).
Idempotent: a payment already recorded under its reference is left as it is."""

from sqlalchemy import select

from marketplace.accounts.models import Organisation, User
from marketplace.core.clock import today
from marketplace.invoicing import payments
from marketplace.invoicing.models import (
    BillableItem,
    BillableKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
)

COUNCIL_PAID = ("brightwater-council", 20000, "BWC-BACS-000417")
ICB_RECALLED = ("nhs-brightwater-icb", 16667, "ICB-REM-2291")  # all it owed after its credit note


def load(session, ctx: dict) -> None:
    hilltop = session.scalar(select(Organisation).where(Organisation.slug == "hilltop-hospice"))
    finance = session.scalar(select(User).where(User.email == "finance@hilltop.example"))
    if hilltop is None:
        return
    _pay(session, hilltop, finance, *COUNCIL_PAID)
    recalled = _pay(session, hilltop, finance, *ICB_RECALLED)
    if recalled is not None and not recalled.is_reversed:
        payments.reverse_payment(session, recalled, "The ICB's bank recalled the payment", actor=finance)


def _pay(session, provider, actor, payer_slug: str, amount: int, reference: str) -> Payment | None:
    payer = session.scalar(select(Organisation).where(Organisation.slug == payer_slug))
    earlier = session.scalar(
        select(Payment).where(Payment.provider_id == provider.id, Payment.reference == reference)
    )
    if payer is None or earlier is not None:
        return earlier
    invoice = session.scalar(  # the payer's invoice for Ben's stay (not Amy's ISF funding)
        select(Invoice)
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .join(BillableItem, BillableItem.id == InvoiceLine.billable_item_id)
        .where(Invoice.issuer_id == provider.id, Invoice.payer_org_id == payer.id)
        .where(Invoice.status == InvoiceStatus.ISSUED, BillableItem.kind == BillableKind.CARE_DELIVERED)
        .order_by(Invoice.id)
        .limit(1)
    )
    if invoice is None:
        return None
    amount = min(amount, invoice.amount_due)  # (the ICB's was part credited)
    return payments.record_payment(
        session, provider=provider, payer=payer, amount=amount, received_on=today(),
        reference=reference, allocations=[(invoice, amount)], actor=actor,
    )  # fmt: skip
