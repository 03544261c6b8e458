"""Ways in: invitations (a family's account, or an organisation's staff). The only code that
changes them; operations flush, callers commit. (Resetting, deactivating and confirming e-mail
addresses are in accounts.access, with the same signed links.)

Every link carries a token signed with the app's secret key (itsdangerous), so a changed token is
refused before the database is read. An invitation token also names a secret whose hash is
stored: it works once (the row's accepted_at, set under a row lock) and only until it expires.
E-mails are queued (core.notifications.email_address) and go out
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

from marketplace.accounts import operations
from marketplace.accounts.models import Family, Invitation, Organisation, OrgKind, Role, User
from marketplace.core import audit
from marketplace.core.clock import utcnow
from marketplace.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from marketplace.core.notifications import email_address

INVITATION_LIFETIME = timedelta(days=14)


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
