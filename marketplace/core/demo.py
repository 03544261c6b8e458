"""`marketplace demo [--reset]`: migrate, then load each domain's demo data (idempotent)."""

import click
from flask import current_app
from flask_migrate import upgrade

from marketplace.core.db import db

DEMO_PASSWORD = "Short-breaks-demo-2026"


def load_demo(session) -> dict:
    """Run every domain's demo loader in dependency order; each is idempotent and may use
    what earlier loaders put in `ctx`. Then each domain's optional `finish(session, ctx)`, for
    what needs every domain's data first (the ISF's drawdowns need the invoicing demo's
    payments)."""
    from marketplace.domains import domain_modules

    ctx: dict = {"sign_ins": []}
    modules = list(domain_modules("demo"))
    for module in modules:
        module.load(session, ctx)
        session.flush()
    for module in modules:
        if hasattr(module, "finish"):
            module.finish(session, ctx)
            session.flush()
    return ctx


def reset_database() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(db.text("DROP TABLE IF EXISTS alembic_version"))


@click.command("demo")
@click.option("--reset", is_flag=True, help="Drop every table first, then rebuild and reload.")
def demo_command(reset: bool) -> None:
    """Upgrade the database to the latest migration and load the demo data (idempotent)."""
    if reset:
        click.echo("Dropping every table ...")
        reset_database()
    click.echo(f"Upgrading the database ({db.engine.url.render_as_string(hide_password=True)}) ...")
    upgrade(directory=current_app.extensions["migrate"].directory)
    click.echo("Loading the demo data ...")
    ctx = load_demo(db.session)
    db.session.commit()
    click.echo(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
    for role, email, what in ctx["sign_ins"]:
        click.echo(f"  {role:<13} {email:<36} {what}")
