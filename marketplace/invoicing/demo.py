"""Demo invoices: everything billable up to today (Ben's delivered two nights at Hilltop, example
B's split: £393.33 to Brightwater Council, £196.67 to NHS Brightwater ICB), issued; and a credit
note on the ICB's invoice for part of the stay that was not delivered. Idempotent: a second load
finds nothing unbilled and the credit note already there."""

from sqlalchemy import select

from marketplace.accounts.demo import add_invoicing_details
from marketplace.accounts.models import Organisation, User
from marketplace.core.clock import today
from marketplace.invoicing import credit_notes, operations
from marketplace.invoicing.models import Invoice, InvoiceStatus

CREDIT_REASON = (
    "Ben went home after breakfast on the second day for a hospital appointment, so the nursing "
    "care planned for that afternoon was not delivered: NHS Brightwater ICB's share of it is credited."
)
CREDIT_AMOUNT = 3_000  # £30.00


def load(session, ctx: dict) -> None:
    add_invoicing_details(session)  # the catalog's providers, added after the accounts' demo
    through = today()
    operations.record_billable_items(session, through)
    ctx["invoices"] = [
        invoice
        for key in operations.unbilled_groups(session, through)
        if (invoice := operations.invoice_group(session, key, through)) is not None
    ]
    _credit_the_icb(session)


def _credit_the_icb(session) -> None:
    invoice = session.scalars(
        select(Invoice)
        .join(Organisation, Organisation.id == Invoice.payer_org_id)
        .where(Organisation.slug == "nhs-brightwater-icb", Invoice.status != InvoiceStatus.DRAFT)
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
