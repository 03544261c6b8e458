"""`marketplace isf drawdown --through DATE` (the scheduler process is marketplace/scheduler.py)."""

import click
from flask import current_app

from marketplace.core.db import db
from marketplace.core.money import format_pence
from marketplace.isf import jobs

isf_cli = click.Group("isf", help="Individual Service Funds.")


def _progress(number: int, total: int, summary: jobs.DrawdownSummary) -> None:
    click.echo(
        f"  batch {number}/{total}: {summary.weeks_posted} weeks posted so far, "
        f"{format_pence(summary.total_drawn)} drawn",
        err=True,
    )


@isf_cli.command("drawdown")
@click.option("--through", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=None, help="Funds per transaction.")
def drawdown_command(through, batch_size):
    """Run every weekly drawdown due up to --through (idempotent; catches up missed weeks)."""
    through = through.date()
    config = current_app.config
    click.echo(f"Drawing down ISFs through {through.isoformat()} ...", err=True)
    summary = jobs.run_weekly_drawdowns(
        db.session,
        through,
        batch_size=batch_size or config.get("ISF_DRAWDOWN_BATCH_SIZE", jobs.DEFAULT_BATCH_SIZE),
        catch_up_limit=config.get("ISF_CATCH_UP_LIMIT_WEEKS", jobs.DEFAULT_CATCH_UP_LIMIT),
        progress=_progress,
    )
    click.echo(f"Funds considered: {summary.funds}")
    click.echo(f"Weeks posted: {summary.weeks_posted}")
    click.echo(
        f"Total drawn: {format_pence(summary.total_drawn)} "
        f"(top-slice {format_pence(summary.top_slice)}, delivery {format_pence(summary.delivery)})"
    )
    click.echo(f"Weeks with a shortfall: {summary.shortfall_weeks}")
    click.echo(
        f"Parked: {len(summary.parked)}"
        + (f" (ISF {', '.join(map(str, summary.parked))})" if summary.parked else "")
    )
    if summary.failed:
        for isf_id, error in summary.failed.items():
            click.echo(f"Failed: ISF {isf_id}: {error}", err=True)
        raise SystemExit(1)


commands = [isf_cli]
