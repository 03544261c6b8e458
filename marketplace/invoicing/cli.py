"""`marketplace invoices run --through YYYY-MM-DD [--provider SLUG]` and
`marketplace invoices remind [--on YYYY-MM-DD]`."""

import click
from sqlalchemy import select

from marketplace.accounts.models import Organisation
from marketplace.core.clock import today
from marketplace.core.db import db
from marketplace.core.money import format_pence
from marketplace.invoicing import jobs, runs

invoices_cli = click.Group("invoices", help="Invoices: runs, numbering, reminders.")


def _uk(day) -> str:
    return f"{day:%-d %B %Y}"


def _progress(number: int, total: int, issued: runs.IssuedInvoice | None) -> None:
    done = (
        f"{issued.number} to {issued.payer}"
        + (f" (PO {issued.po_number})" if issued.po_number else "")
        + f": {format_pence(issued.total)}, {issued.lines} line{'s' if issued.lines != 1 else ''}, "
        f"due {_uk(issued.due_date)}"
        if issued
        else "nothing left to bill (another run billed it)"
    )
    click.echo(f"  [{number}/{total}] {done}", err=True)


@invoices_cli.command("run")
@click.option("--through", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--provider", "provider_slug", default=None, help="Only this provider (its slug).")
def run_command(through, provider_slug):
    """Bill every delivered, unbilled item up to --through: one invoice per provider, payer and PO
    number, issued with the next number (idempotent: a second run bills nothing new)."""
    through = through.date()
    provider_id = None
    if provider_slug is not None:
        provider_id = db.session.scalar(select(Organisation.id).where(Organisation.slug == provider_slug))
        if provider_id is None:
            raise click.BadParameter(
                f"no organisation has the slug {provider_slug!r}", param_hint="--provider"
            )
    scope = f" for {provider_slug}" if provider_slug else ""
    click.echo(f"Invoicing care delivered up to {_uk(through)}{scope} ...", err=True)
    summary = runs.run_invoices(db.session, through, provider_id, progress=_progress)
    click.echo(f"Billable items recorded: {summary.items_recorded}")
    click.echo(f"Invoices issued: {len(summary.issued)}")
    click.echo(f"Total invoiced: {format_pence(summary.total)}")
    if summary.failed:
        for key, error in summary.failed.items():
            click.echo(
                f"Failed: provider {key[0]}, payer {key[1] or key[2]}, PO {key[3] or '-'}: {error}", err=True
            )
        click.echo("The failed invoices were not made; run again to bill them.", err=True)
        raise SystemExit(1)


@invoices_cli.command("remind")
@click.option("--on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="YYYY-MM-DD (today)")
def remind_command(on):
    """Send the reminders due on --on (today if not given): payers 7 days before an invoice falls
    due and the day after, providers their weekly overdue digest. Each is sent once, however
    often this runs."""
    on = on.date() if on else today()
    summary = jobs.run_reminders(db.session, on)
    click.echo(f"Reminders on {_uk(on)}")
    click.echo(f"Due-date reminders sent: {summary.due_soon}")
    click.echo(f"Overdue notices sent: {summary.overdue}")
    click.echo(f"Overdue digests sent to providers: {summary.digests}")
    if summary.failed:
        for what, error in summary.failed.items():
            click.echo(f"Failed: {what}: {error}", err=True)
        click.echo("The failed reminders were not sent; run again to send them.", err=True)
        raise SystemExit(1)


commands = [invoices_cli]
