"""Demo invoices: everything billable up to today (Ben's delivered two nights at Hilltop, example
B's split: £393.33 to Brightwater Council, £196.67 to NHS Brightwater ICB), issued by one recorded
invoice run (so the run page's history shows it). Idempotent: a second load finds nothing
unbilled and records no run."""

from marketplace.accounts.demo import add_invoicing_details
from marketplace.core.clock import today
from marketplace.invoicing import operations
from marketplace.invoicing.models import InvoiceRun, RunSource


def load(session, ctx: dict) -> None:
    add_invoicing_details(session)  # the catalog's providers, added after the accounts' demo
    through = today()
    operations.record_billable_items(session, through)
    groups = operations.unbilled_groups(session, through)
    run = InvoiceRun(through=through, source=RunSource.COMMAND) if groups else None
    if run is not None:
        session.add(run)
        session.flush()
    ctx["invoices"] = [
        invoice
        for key in groups
        if (invoice := operations.invoice_group(session, key, through, run_id=run.id)) is not None
    ]
    if run is not None:
        run.finished_at = run.started_at
