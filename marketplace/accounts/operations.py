"""The only code that changes users, organisations, families and tokens. Operations flush; callers commit."""

import hashlib
import hmac
import re
import secrets
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts.models import ApiToken, Child, Family, Membership, Organisation, OrgKind, Role, User
from marketplace.core import audit
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict, ValidationFailed

PASSWORD_METHOD = "scrypt"
MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_password_strength(password: str) -> None:
    """A password must be at least 10 characters and not all one kind of character."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "Password is too short", fields={"password": [f"Use at least {MIN_PASSWORD_LENGTH} characters"]}
        )
    if password.isdigit() or password.isalpha() and password.islower():
        raise ValidationFailed(
            "Password is too weak", fields={"password": ["Mix letters with numbers, capitals or symbols"]}
        )


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: Role | str,
    organisation: Organisation | None = None,
    family: Family | None = None,
) -> User:
    """Create a user with a strongly hashed password. Staff roles need an organisation, families a family."""
    email = normalise_email(email)
    role = Role(role)
    errors: dict[str, list[str]] = {}
    if not _EMAIL.match(email):
        errors["email"] = ["Enter an e-mail address like name@example.org"]
    if not (name or "").strip():
        errors["name"] = ["Enter a name"]
    if role in (Role.PROVIDER, Role.COMMISSIONER) and organisation is None:
        errors["org"] = [f"A {role.value} user belongs to an organisation"]
    if role is Role.PROVIDER and organisation is not None and organisation.kind is not OrgKind.PROVIDER:
        errors["org"] = ["That organisation is not a provider"]
    if (
        role is Role.COMMISSIONER
        and organisation is not None
        and organisation.kind is not OrgKind.COMMISSIONER
    ):
        errors["org"] = ["That organisation is not a commissioner"]
    if role is Role.FAMILY and family is None:
        errors["family"] = ["A family user belongs to a family"]
    if errors:
        raise ValidationFailed("Check the user's details", fields=errors)
    check_password_strength(password)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("A user with that e-mail already exists", fields={"email": ["Already registered"]})
    user = User(
        email=email,
        name=name.strip(),
        password_hash=generate_password_hash(password, method=PASSWORD_METHOD),
        role=role,
        family=family,
    )
    session.add(user)
    if organisation is not None:
        session.add(Membership(user=user, organisation=organisation))
    session.flush()
    audit.record(session, None, "user.created", user, role=role.value)
    return user


def create_organisation(session: Session, *, slug: str, name: str, kind: OrgKind | str) -> Organisation:
    org = Organisation(slug=slug, name=name, kind=OrgKind(kind))
    session.add(org)
    session.flush()
    return org


def create_family(session: Session, *, slug: str, name: str, area: str | None = None) -> Family:
    family = Family(slug=slug, name=name, area=area)
    session.add(family)
    session.flush()
    return family


def add_child(
    session: Session, family: Family, *, name: str, date_of_birth: date, needs: str | None = None
) -> Child:
    child = Child(family=family, name=name, date_of_birth=date_of_birth, needs=needs)
    session.add(child)
    session.flush()
    return child


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Check a sign-in. After 5 failures in a row the account is locked for 15 minutes.

    Returns the user, or None for a wrong e-mail or password; raises Conflict while locked.
    The user's row is locked for the check, so parallel guesses are counted one after another
    and cannot outrun the lock-out.
    """
    user = session.scalar(select(User).where(User.email == normalise_email(email)).with_for_update())
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        raise Conflict(
            "This account is locked after too many failed sign-ins. Try again in 15 minutes.", code="locked"
        )
    if not check_password_hash(user.password_hash, password or "") or not user.is_active:
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= MAX_FAILED_SIGN_INS:
            user.locked_until = now + LOCKOUT
            user.failed_sign_ins = 0
            audit.record(session, None, "user.locked", user)
        session.flush()
        return None
    user.failed_sign_ins = 0
    user.locked_until = None
    session.flush()
    return user


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(session: Session, user: User) -> str:
    """Make a new bearer token; the secret is returned once and only its hash is stored."""
    secret = "mkt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_hash_token(secret)))
    session.flush()
    audit.record(session, user, "api_token.created", user)
    return secret


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    digest = _hash_token(secret or "")
    token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    )
    if token is None or not hmac.compare_digest(token.token_hash, digest) or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    return token.user
