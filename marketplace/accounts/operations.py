"""The only code that changes users, organisations, families and tokens. Operations flush; callers commit."""

import hashlib
import hmac
import re
import secrets
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts.models import (
    ApiToken,
    Child,
    Family,
    Membership,
    Organisation,
    OrgKind,
    Role,
    SignInThrottle,
    User,
)
from marketplace.core import audit
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict, DomainError, ValidationFailed

PASSWORD_METHOD = "scrypt"
# Sign-in throttle: free failures per account from one address, and per address over all
# accounts; then a wait before the next attempt, doubling with each further failure.
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=15)
FORGET_FAILURES_AFTER = timedelta(hours=24)
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366
MIN_PASSWORD_LENGTH = 10
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class Throttled(DomainError):
    """Too many failed sign-ins from this address (for this account, or for any): wait."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


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
    if not EMAIL.match(email):
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


def _throttle_keys(email: str, client: str) -> tuple[str, str]:
    """The keys a sign-in is counted under: the client address, and the account from that
    address (the e-mail hashed, so addresses people mistype are not stored)."""
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()[:40]
    return f"ip:{client[:300]}", f"account:{digest}|ip:{client[:300]}"


def _locked_throttles(session: Session, keys: tuple[str, ...]) -> list[SignInThrottle]:
    """The throttle rows for `keys`, in that order (made if missing), locked for this transaction
    (in sorted key order, so two sign-ins never wait for each other's locks in a cycle)."""
    rows = {}
    for key in sorted(keys):
        query = select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
        row = session.scalar(query)
        if row is None:
            try:
                with session.begin_nested():
                    row = SignInThrottle(key=key, failures=0)
                    session.add(row)
            except IntegrityError:  # another sign-in made it first: wait for its lock
                row = session.scalar(query.execution_options(populate_existing=True))
        rows[key] = row
    return [rows[key] for key in keys]


def _delay(failures: int, free: int) -> timedelta | None:
    if failures < free:
        return None
    return min(FIRST_DELAY * 2 ** (failures - free), MAX_DELAY)


def authenticate(session: Session, email: str, password: str, client: str = "unknown") -> User | None:
    """Check a sign-in from the client address `client`.

    Returns the user, or None for a wrong e-mail or password (the same for an address nobody
    has). No account is ever locked: failures are counted per client address and per account
    from that address, and past a few of them (MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS)
    that key must wait before its next attempt is even checked, twice as long after each further
    failure (FIRST_DELAY up to MAX_DELAY); raises Throttled meanwhile. The right password from
    another address still works. The rows are locked for the check, so parallel guesses are
    counted one after another and cannot outrun the throttle.
    """
    now = utcnow()
    by_address, by_account = _locked_throttles(session, _throttle_keys(email, client))
    for row in (by_address, by_account):
        if row.last_failure_at is not None and now - row.last_failure_at > FORGET_FAILURES_AFTER:
            row.failures, row.blocked_until = 0, None
    waits = [
        row.blocked_until - now
        for row in (by_address, by_account)
        if row.blocked_until and row.blocked_until > now
    ]
    if waits:
        minutes = max(1, -(-int(max(waits).total_seconds()) // 60))
        session.flush()
        raise Throttled(
            "Too many sign-in attempts. Wait "
            + ("a minute" if minutes == 1 else f"{minutes} minutes")
            + " and try again.",
            fields={
                "email": [
                    f"Too many sign-in attempts. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
                ]
            },
            retry_after=int(max(waits).total_seconds()) + 1,
        )
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        right = False
    else:
        right = check_password_hash(user.password_hash, password or "") and user.is_active
    if not right:
        for row, free in ((by_address, MAX_FAILURES_PER_ADDRESS), (by_account, MAX_FAILURES_PER_ACCOUNT)):
            row.failures += 1
            row.last_failure_at = now
            delay = _delay(row.failures, free)
            row.blocked_until = now + delay if delay else None
        session.flush()
        return None
    by_account.failures, by_account.blocked_until = 0, None
    session.flush()
    return user


def end_sessions(session: Session, user: User) -> None:
    """End every session the user has, on every device (the cookie names the old generation)."""
    user.session_generation = (user.session_generation or 0) + 1
    session.flush()
    audit.record(session, user, "user.sessions_ended", user)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """A new password, given the current one; every session the user has ends with it."""
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationFailed(
            "Your current password is not right",
            fields={"current_password": ["Your current password is not right"]},
        )
    try:
        check_password_strength(new)
    except ValidationFailed as err:
        raise ValidationFailed(err.message, fields={"new_password": err.fields["password"]}) from None
    user.password_hash = generate_password_hash(new, method=PASSWORD_METHOD)
    audit.record(session, user, "user.password_changed", user)
    end_sessions(session, user)


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(session: Session, user: User, days: int = DEFAULT_TOKEN_DAYS) -> str:
    """Make a new bearer token that works for `days` days; the secret is returned once and only
    its hash is stored."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            "Choose how long the token lasts",
            fields={"days": [f"Must be a whole number from 1 to {MAX_TOKEN_DAYS}"]},
        )
    secret = "mkt_" + secrets.token_urlsafe(32)
    session.add(
        ApiToken(user=user, token_hash=_hash_token(secret), expires_at=utcnow() + timedelta(days=days))
    )
    session.flush()
    audit.record(session, user, "api_token.created", user, days=days)
    return secret


def token_expiry(token: ApiToken):
    """When the token stops working (tokens made before expiry existed: DEFAULT_TOKEN_DAYS on)."""
    return token.expires_at or token.created_at + timedelta(days=DEFAULT_TOKEN_DAYS)


def token_is_live(token: ApiToken) -> bool:
    return token.revoked_at is None and token_expiry(token) > utcnow()


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_api_token(session: Session, token: ApiToken, actor: User | None) -> ApiToken:
    """Stop a token working from now on (revoking one already revoked changes nothing)."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
        audit.record(session, actor, "api_token.revoked", token.user, token_id=token.id)
    return token


def user_for_token(session: Session, secret: str) -> User | None:
    """The active user a live (not revoked, not expired) bearer token belongs to, or None."""
    digest = _hash_token(secret or "")
    token = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    )
    if token is None or not hmac.compare_digest(token.token_hash, digest) or not token.user.is_active:
        return None
    now = utcnow()
    if token_expiry(token) <= now:
        return None
    token.last_used_at = now
    return token.user
