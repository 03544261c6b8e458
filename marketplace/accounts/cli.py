"""`marketplace users create` and `marketplace tokens create`."""

import sys

import click
from sqlalchemy import select

from marketplace.accounts import operations
from marketplace.accounts.models import Family, Organisation, User
from marketplace.core.db import db
from marketplace.core.errors import DomainError

users_cli = click.Group("users", help="Manage users.")
tokens_cli = click.Group("tokens", help="Manage API bearer tokens.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["family", "provider", "commissioner", "admin"]))
@click.option("--org", "org_slug", help="The organisation's slug (provider and commissioner users).")
@click.option("--family", "family_slug", help="The family's slug (family users).")
def create_user(email, name, role, org_slug, family_slug):
    """Create a user. The password is read from standard input."""
    org = family = None
    if org_slug:
        org = db.session.scalar(select(Organisation).where(Organisation.slug == org_slug))
        if org is None:
            _fail(f"no organisation with slug '{org_slug}'. List them with the admin pages or load the demo.")
    if family_slug:
        family = db.session.scalar(select(Family).where(Family.slug == family_slug))
        if family is None:
            _fail(f"no family with slug '{family_slug}'.")
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = operations.create_user(
            db.session, email=email, name=name, password=password, role=role, organisation=org, family=family
        )
    except DomainError as err:
        db.session.rollback()
        details = "; ".join(f"{k}: {', '.join(v)}" for k, v in err.fields.items())
        _fail(f"{err.message}{' (' + details + ')' if details else ''}")
    db.session.commit()
    click.echo(f"Created {user.role.value} user {user.email} (id {user.id}).")


@tokens_cli.command("create")
@click.option("--email", required=True)
def create_token(email):
    """Print a new API bearer token for that user (only its hash is stored)."""
    user = db.session.scalar(select(User).where(User.email == operations.normalise_email(email)))
    if user is None:
        _fail(f"no user with e-mail {email}. Create one with 'marketplace users create'.")
    secret = operations.create_api_token(db.session, user)
    db.session.commit()
    click.echo(secret)


commands = [users_cli, tokens_cli]
