"""A provider applies to join: its organisation, its (unverified) profile and its first user, in
one operation. A platform admin then verifies it as any provider (operations.verify_provider).

Nobody learns from the form whether an e-mail address is registered: an application naming one
that is creates nothing and tells that address's owner instead, and the applicant sees the same
page either way.
"""

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts import access
from marketplace.accounts import operations as accounts
from marketplace.accounts.models import Membership, Organisation, OrgKind, Role, User
from marketplace.catalog import operations
from marketplace.core import audit
from marketplace.core.errors import ValidationFailed
from marketplace.core.notifications import email_address, notify

APPLICATION_FIELDS = (
    "description", "charity_number", "company_number", "ofsted_urn", "cqc_location_id",
    "contact_phone", "website", "address", "postcode",
)  # fmt: skip


def _unique_org_slug(session: Session, name: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:70] or "provider"
    slug, n = base, 1
    while session.scalar(select(Organisation.id).where(Organisation.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def _check(data: dict) -> None:
    errors = {}
    if not data.get("organisation_name", "").strip():
        errors["organisation_name"] = ["Enter your organisation's name"]
    if not data.get("name", "").strip():
        errors["name"] = ["Enter your name"]
    if not accounts.EMAIL.match(accounts.normalise_email(data.get("email", ""))):
        errors["email"] = ["Enter an e-mail address like name@example.org"]
    if not any(
        data.get(k, "").strip() for k in ("charity_number", "company_number", "ofsted_urn", "cqc_location_id")
    ):
        errors["ofsted_urn"] = [
            "Give at least one registration: Ofsted URN, CQC location id, charity or company number"
        ]
    if errors:
        raise ValidationFailed("Check your application", fields=errors)
    accounts.check_password_strength(data.get("password", ""))


def apply_to_join(session: Session, data: dict) -> User | None:
    """Create the applying provider (unverified), its profile and its first user (the
    organisation's admin). Admins are told in their inbox; the applicant is asked to confirm the
    e-mail address. Returns the new user, or None when the address already has an account (then
    nothing is created and the address's owner is told)."""
    _check(data)
    email = accounts.normalise_email(data["email"])
    existing = session.scalar(select(User).where(User.email == email))
    if existing is not None:
        email_address(
            session,
            email,
            "Someone applied to join with your e-mail address",
            "An application to join the Short Breaks Marketplace as a provider named this address, "
            "which already has an account. Nothing was changed. Sign in as usual; if this was not you, "
            "you need do nothing.",
            "/sign-in",
        )
        return None
    name = data["organisation_name"].strip()
    org = accounts.create_organisation(
        session, slug=_unique_org_slug(session, name), name=name, kind=OrgKind.PROVIDER
    )
    user = accounts.create_user(
        session,
        email=email,
        name=data["name"],
        password=data["password"],
        role=Role.PROVIDER,
        organisation=org,
    )
    membership = session.scalar(select(Membership).where(Membership.user_id == user.id))
    membership.is_admin = True
    profile = operations.provider_profile(session, org)
    details = {k: (data.get(k) or "").strip() or None for k in APPLICATION_FIELDS}
    details["description"] = details["description"] or ""
    details["contact_email"] = email
    operations.update_profile(session, profile, details, user)
    audit.record(session, user, "provider.applied", profile, organisation=org.slug)
    admins = session.scalars(select(User).where(User.role == Role.ADMIN, User.is_active_account.is_(True)))
    notify(
        session,
        list(admins),
        f"{name} has applied to join",
        f"{user.name} applied for {name}. Check its registrations and verify it.",
        "/admin/providers",
    )
    access.send_confirmation(session, user)
    return user
