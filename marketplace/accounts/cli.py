"""`marketplace users create` and `marketplace tokens create / list / revoke`."""

import sys

import click
from sqlalchemy import select

from marketplace.accounts import operations
from marketplace.accounts.models import ApiToken, Family, Organisation, User
from marketplace.core.db import db
from marketplace.core.errors import DomainError
from marketplace.core.templating import uk_date

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


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == operations.normalise_email(email)))
    if user is None:
        _fail(f"no user with e-mail {email}. Create one with 'marketplace users create'.")
    return user


@tokens_cli.command("create")
@click.option("--email", required=True)
@click.option(
    "--days",
    type=click.IntRange(1, operations.MAX_TOKEN_DAYS),
    default=operations.DEFAULT_TOKEN_DAYS,
    show_default=True,
    help="How many days the token works for.",
)
def create_token(email, days):
    """Print a new API bearer token for that user (only its hash is stored)."""
    secret = operations.create_api_token(db.session, _user(email), days=days)
    db.session.commit()
    click.echo(secret)


@tokens_cli.command("list")
@click.option("--email", required=True)
def list_tokens(email):
    """List that user's tokens: id, created, last used, expires, status (never the secret)."""
    tokens = operations.tokens_of(db.session, _user(email))
    if not tokens:
        click.echo(f"{email} has no API tokens.")
        return
    for token in tokens:
        if token.revoked_at is not None:
            status = f"revoked {uk_date(token.revoked_at)}"
        else:
            status = "active" if operations.token_is_live(token) else "expired"
        used = uk_date(token.last_used_at) if token.last_used_at else "never"
        click.echo(
            f"{token.id}\t{status}\tcreated {uk_date(token.created_at)}\tlast used {used}"
            f"\texpires {uk_date(operations.token_expiry(token))}"
        )


@tokens_cli.command("revoke")
@click.argument("token_id")
def revoke_token(token_id):
    """Revoke the token with that id: it stops working at once."""
    token = db.session.get(ApiToken, int(token_id)) if token_id.isdigit() and int(token_id) < 2**31 else None
    if token is None:
        _fail(f"no API token with id {token_id}. List them with 'marketplace tokens list --email E'.")
    operations.revoke_api_token(db.session, token, None)
    db.session.commit()
    click.echo(f"Revoked token {token.id} of {token.user.email}.")


commands = [users_cli, tokens_cli]
