"""`marketplace payments sweep`: what the scheduler's card-payment job does, run now."""

import click
from flask.cli import with_appcontext

from marketplace.core.db import db


@click.group("payments")
def payments_cli():
    """Card payments (Stripe)."""


@payments_cli.command("sweep")
@with_appcontext
def sweep_command():
    """Release bookings whose card top-up was not paid in time; prints their ids."""
    from marketplace.payments.jobs import _sweep

    released = _sweep(db.session)
    click.echo(
        f"Released {len(released)} booking(s) not paid in time" + (f": {released}" if released else "")
    )


commands = [payments_cli]
