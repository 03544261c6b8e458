"""Ways in: invitations (a family's account, or an organisation's staff), reset-sign-in links
and e-mail confirmation links. The only code that changes these; operations flush, callers commit.

Every link carries a token signed with the app's secret key (itsdangerous), so a changed token is
refused before the database is read. An invitation token also names a secret whose hash is
stored: it works once (the row's accepted_at, set under a row lock) and only until it expires.
A reset link names the user's session generation, which using it (or any later sign-out)
raises, so it too works once. E-mails are queued (core.notifications.email_address) and go out
only after the commit, and only where mail is configured.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from marketplace.accounts import operations
from marketplace.accounts.models import ApiToken, Family, Invitation, Organisation, OrgKind, Role, User
from marketplace.core import audit
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from marketplace.core.notifications import email_address

INVITATION_LIFETIME = timedelta(days=14)
RESET_LIFETIME = timedelta(hours=24)
CONFIRM_LIFETIME = timedelta(days=7)


class LinkNotValid(DomainError):
    """A link that is changed, expired or already used: the page says which, never why in detail."""

    status = 404
    code = "link_not_valid"


def _signer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _read(salt: str, token: str, lifetime: timedelta, what: str) -> dict:
    try:
        data = _signer(salt).loads(token or "", max_age=int(lifetime.total_seconds()))
    except SignatureExpired:
        raise LinkNotValid(f"This {what} link has expired. Ask for a new one.") from None
    except BadSignature:
        raise LinkNotValid(f"This {what} link is not valid. Check you copied all of it.") from None
    if not isinstance(data, dict):
        raise LinkNotValid(f"This {what} link is not valid. Check you copied all of it.")
    return data


# ---- invitations --------------------------------------------------------------------------


def unique_family_slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:60] or "family"
    slug, n = base, 1
    while session.scalar(select(Family.id).where(Family.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check_invitee(role: Role, family: Family | None, organisation: Organisation | None) -> None:
    errors = {}
    if role is Role.FAMILY and family is None:
        errors["family"] = ["Choose the family, or give the new family's name"]
    if role is Role.PROVIDER and (organisation is None or organisation.kind is not OrgKind.PROVIDER):
        errors["organisation"] = ["Choose the provider organisation they will work for"]
    if role is Role.COMMISSIONER and (organisation is None or organisation.kind is not OrgKind.COMMISSIONER):
        errors["organisation"] = ["Choose the commissioning organisation they will work for"]
    if errors:
        raise ValidationFailed("Check who you are inviting", fields=errors)


def invite(
    session: Session,
    *,
    actor: User,
    email: str,
    name: str,
    role: Role | str,
    family: Family | None = None,
    organisation: Organisation | None = None,
) -> tuple[Invitation, str]:
    """Invite someone to create an account. An admin invites anyone; a commissioner invites only a
    family's parent or carer (which families it may name is the caller's check: those it knows).
    Returns the invitation and its link's token (shown once; only the secret's hash is stored).
    Whether the address already has an account is not said here: the invitation then just
    cannot be accepted, so inviting reveals nothing about who is registered."""
    role = Role(role)
    if actor.role is Role.COMMISSIONER:
        if role is not Role.FAMILY:
            raise Forbidden("A commissioner can invite families only.")
    elif actor.role is not Role.ADMIN:
        raise Forbidden("Only commissioners and administrators send invitations.")
    email = operations.normalise_email(email)
    errors = {}
    if not operations.EMAIL.match(email):
        errors["email"] = ["Enter an e-mail address like name@example.org"]
    if not (name or "").strip():
        errors["name"] = ["Enter the name of the person you are inviting"]
    if errors:
        raise ValidationFailed("Check who you are inviting", fields=errors)
    _check_invitee(role, family, organisation)
    secret = secrets.token_urlsafe(24)
    invitation = Invitation(
        email=email,
        name=name.strip(),
        role=role,
        family=family if role is Role.FAMILY else None,
        organisation=organisation if role in (Role.PROVIDER, Role.COMMISSIONER) else None,
        invited_by=actor,
        inviter_org=actor.organisation if actor.role is Role.COMMISSIONER else None,
        secret_hash=_hash(secret),
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.flush()
    token = _signer("invitation").dumps({"i": invitation.id, "s": secret})
    audit.record(session, actor, "invitation.sent", invitation, role=role.value, email=email)
    email_address(
        session,
        email,
        "You are invited to the Short Breaks Marketplace",
        f"{actor.name} has invited you to create an account{_for_whom(invitation)}. "
        f"The link works once, until {invitation.expires_at:%-d %B %Y}.",
        f"/invitations/{token}",
    )
    return invitation, token


def invite_family(
    session: Session,
    *,
    actor: User,
    email: str,
    name: str,
    family: Family | None = None,
    family_name: str = "",
    child_name: str = "",
    date_of_birth=None,
    area: str | None = None,
) -> tuple[Invitation, str]:
    """Invite a parent or carer for `family`, or for a new family made here (its name and its
    first child, so a budget can be created for the child straight away)."""
    if family is None:
        errors = {}
        if not family_name.strip():
            errors["family_name"] = ["Enter the family's name, for example The Taylor family"]
        if not child_name.strip():
            errors["child_name"] = ["Enter the child's or young person's name"]
        if date_of_birth is None:
            errors["date_of_birth"] = ["Enter the child's date of birth, for example 31/12/2015"]
        elif not 0 <= utcnow().date().year - date_of_birth.year <= 26 or date_of_birth > utcnow().date():
            errors["date_of_birth"] = ["Enter a date of birth of someone aged 0 to 25"]
        if errors:
            raise ValidationFailed("Check the new family's details", fields=errors)
        if actor.role not in (Role.COMMISSIONER, Role.ADMIN):
            raise Forbidden("Only commissioners and administrators send invitations.")
        family = operations.create_family(
            session, slug=unique_family_slug(session, family_name), name=family_name.strip(), area=area
        )
        operations.add_child(session, family, name=child_name.strip(), date_of_birth=date_of_birth)
        audit.record(session, actor, "family.created", family)
    return invite(session, actor=actor, email=email, name=name, role=Role.FAMILY, family=family)


def _for_whom(invitation: Invitation) -> str:
    if invitation.family is not None:
        return f" for {invitation.family.name}"
    if invitation.organisation is not None:
        return f" as staff of {invitation.organisation.name}"
    return ""


def find_invitation(session: Session, token: str, *, lock: bool = False) -> Invitation:
    """The invitation a link names, if it can still be accepted; otherwise LinkNotValid saying
    whether it was changed, has expired or was used."""
    data = _read("invitation", token, INVITATION_LIFETIME, "invitation")
    query = select(Invitation).where(Invitation.id == data.get("i"))
    invitation = session.scalar(query.with_for_update() if lock else query)
    if invitation is None or invitation.secret_hash != _hash(str(data.get("s", ""))):
        raise LinkNotValid("This invitation link is not valid. Check you copied all of it.")
    if invitation.accepted_at is not None:
        raise LinkNotValid(
            "This invitation has already been used. Sign in with the e-mail address it was for."
        )
    if invitation.expires_at <= utcnow():
        raise LinkNotValid("This invitation has expired. Ask whoever invited you for a new one.")
    return invitation


def accept_invitation(session: Session, token: str, *, name: str, password: str) -> User:
    """Create the invited person's account with the password they chose, linked to the family or
    organisation of the invitation; the invitation is used up (once only, even when two tabs
    accept it at the same moment: the row is locked and marked in one conditional update)."""
    invitation = find_invitation(session, token, lock=True)
    try:
        user = operations.create_user(
            session,
            email=invitation.email,
            name=name or invitation.name,
            password=password,
            role=invitation.role,
            organisation=invitation.organisation,
            family=invitation.family,
        )
    except Conflict:
        raise Conflict(
            "There is already an account with this e-mail address: sign in instead.",
            fields={"email": ["Already has an account: sign in instead"]},
        ) from None
    now = utcnow()
    used = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=now, user_id=user.id)
    )
    if used.rowcount != 1:
        raise LinkNotValid(
            "This invitation has already been used. Sign in with the e-mail address it was for."
        )
    user.email_confirmed_at = now  # the link reached them at that address
    session.flush()
    audit.record(session, user, "invitation.accepted", invitation, user_id=user.id)
    return user


# ---- resetting someone's sign-in, deactivating ------------------------------------------------


def reset_token(user: User) -> str:
    return _signer("reset").dumps({"u": user.id, "g": user.session_generation})


def _revoke_tokens(session: Session, user: User, actor: User) -> None:
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        operations.revoke_api_token(session, token, actor)


def reset_sign_in(session: Session, user: User, actor: User) -> str:
    """An admin ends every session and API token of `user`, makes the old password stop working
    and sends a link to choose a new one (valid for RESET_LIFETIME, once). Returns its token."""
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32), method=operations.PASSWORD_METHOD)
    _revoke_tokens(session, user, actor)
    operations.end_sessions(session, user)
    audit.record(session, actor, "user.sign_in_reset", user)
    token = reset_token(user)
    email_address(
        session,
        user.email,
        "Choose a new password",
        "An administrator has reset your sign-in to the Short Breaks Marketplace. "
        "Choose a new password with this link; it works once, for 24 hours.",
        f"/reset-password/{token}",
    )
    return token


def user_for_reset(session: Session, token: str) -> User:
    data = _read("reset", token, RESET_LIFETIME, "password")
    user = session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.is_active or user.session_generation != data.get("g"):
        raise LinkNotValid("This password link has already been used. Ask an administrator for a new one.")
    return user


def choose_new_password(session: Session, token: str, password: str) -> User:
    """Set the password a reset link asks for; the link stops working (the sessions' generation moves on)."""
    user = user_for_reset(session, token)
    operations.check_password_strength(password)
    user.password_hash = generate_password_hash(password, method=operations.PASSWORD_METHOD)
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    audit.record(session, user, "user.password_reset", user)
    operations.end_sessions(session, user)
    return user


def deactivate_user(session: Session, user: User, actor: User) -> None:
    """Stop `user` signing in: every session and API token ends now. An admin cannot lock themself out."""
    if user.id == actor.id:
        raise Conflict("You cannot deactivate your own account.", fields={"user": ["That is you"]})
    if not user.is_active_account:
        return
    user.is_active_account = False
    _revoke_tokens(session, user, actor)
    operations.end_sessions(session, user)
    audit.record(session, actor, "user.deactivated", user)


def reactivate_user(session: Session, user: User, actor: User) -> None:
    """Let `user` sign in again (with their password; their old tokens stay revoked)."""
    if user.is_active_account:
        return
    user.is_active_account = True
    session.flush()
    audit.record(session, actor, "user.reactivated", user)


# ---- confirming an e-mail address -------------------------------------------------------------


def confirmation_token(user: User) -> str:
    return _signer("confirm").dumps({"u": user.id, "e": user.email})


def send_confirmation(session: Session, user: User) -> str:
    """Queue the e-mail that asks `user` to confirm the address is theirs."""
    token = confirmation_token(user)
    email_address(
        session,
        user.email,
        "Confirm your e-mail address",
        "Confirm this is your e-mail address for the Short Breaks Marketplace with this link.",
        f"/confirm-email/{token}",
    )
    return token


def user_for_confirmation(session: Session, token: str) -> User:
    data = _read("confirm", token, CONFIRM_LIFETIME, "confirmation")
    user = session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or user.email != data.get("e"):
        raise LinkNotValid("This confirmation link is not valid. Check you copied all of it.")
    return user


def confirm_email(session: Session, token: str) -> User:
    """Mark the address confirmed (confirming twice changes nothing)."""
    user = user_for_confirmation(session, token)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        session.flush()
        audit.record(session, user, "user.email_confirmed", user)
    return user


# ---- throttling public forms ------------------------------------------------------------------


def throttle(session: Session, form: str, client: str, free: int) -> None:
    """Count one use of a public form from the client address; past `free` uses the address must
    wait (doubling, as for sign-in) before the next is accepted. Raises operations.Throttled."""
    now = utcnow()
    (row,) = operations._locked_throttles(session, (f"{form}:ip:{client[:300]}",))
    if row.last_failure_at is not None and now - row.last_failure_at > operations.FORGET_FAILURES_AFTER:
        row.failures, row.blocked_until = 0, None
    if row.blocked_until is not None and row.blocked_until > now:
        wait = row.blocked_until - now
        raise operations.Throttled(
            "Too many attempts from your network",
            fields={
                "_form": [
                    f"Too many attempts from your network. Try again in {int(wait.total_seconds() // 60) + 1} minutes."
                ]
            },
            retry_after=int(wait.total_seconds()) + 1,
        )
    row.failures += 1
    row.last_failure_at = now
    delay = operations._delay(row.failures, free)
    row.blocked_until = now + delay if delay else None
    session.flush()
