"""Demo invoices: everything billable up to today (Ben's delivered two nights at Hilltop, example
B's split: £393.33 to Brightwater Council, £196.67 to NHS Brightwater ICB), issued. Idempotent:
a second load finds nothing unbilled."""

from marketplace.accounts.demo import add_invoicing_details
from marketplace.core.clock import today
from marketplace.invoicing import operations, payment_demo


def load(session, ctx: dict) -> None:
    add_invoicing_details(session)  # the catalog's providers, added after the accounts' demo
    through = today()
    operations.record_billable_items(session, through)
    ctx["invoices"] = [
        invoice
        for key in operations.unbilled_groups(session, through)
        if (invoice := operations.invoice_group(session, key, through)) is not None
    ]
    payment_demo.load(session, ctx)  # a part payment and a reversed one (payment_demo.py)
