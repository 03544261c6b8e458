"""Who may see and do what with an ISF.

See: the holding provider's staff, the family, a commissioner that funds it, admins (else 404).
Do: the provider records receipts, requests releases and un-parks; a funding commissioner
decides releases; either party agrees (else 403).
"""

from sqlalchemy import Select, false, select

from marketplace.accounts.models import Organisation, Role, User
from marketplace.accounts.permissions import (
    acts_for_family,
    acts_for_organisation,
    allowed,
    is_admin,
    visible,
)
from marketplace.budgets.models import Budget, FundingStream
from marketplace.core.db import db
from marketplace.isf.models import Isf, IsfFundingCycle


def may_see(user: User, isf: Isf) -> bool:
    if is_admin(user):
        return True
    if user.role is Role.FAMILY:
        return acts_for_family(user, isf.budget.family_id)
    if user.role is Role.PROVIDER:
        return acts_for_organisation(user, isf.provider_id)
    if user.role is Role.COMMISSIONER:
        return bool(user.organisation_ids & isf.funder_ids)
    return False


def visible_isfs(user: User) -> Select:
    """A query for the ISFs the user may see, oldest first."""
    query = select(Isf).order_by(Isf.id)
    if is_admin(user):
        return query
    if user.role is Role.FAMILY:
        return query.join(Budget, Budget.id == Isf.budget_id).where(Budget.family_id == user.family_id)
    if user.role is Role.PROVIDER:
        return query.where(Isf.provider_id.in_(user.organisation_ids or {-1}))
    if user.role is Role.COMMISSIONER:
        funded = (
            select(IsfFundingCycle.isf_id)
            .join(FundingStream, FundingStream.id == IsfFundingCycle.stream_id)
            .where(FundingStream.funder_id.in_(user.organisation_ids or {-1}))
        )
        return query.where(Isf.id.in_(funded))
    return query.where(false())


def get_visible(user: User, isf_id: int) -> Isf:
    isf = db.session.get(Isf, isf_id)
    return visible(isf, isf is not None and may_see(user, isf), "ISF")


def require_holder(user: User, isf: Isf) -> None:
    allowed(
        user.role is Role.PROVIDER and acts_for_organisation(user, isf.provider_id),
        "Only the provider holding this ISF can do that.",
    )


def funding_organisation(user: User, isf: Isf) -> Organisation:
    """The caller's organisation that funds the ISF (a 403 if there is none)."""
    orgs = [o for o in user.organisations if o.id in isf.funder_ids] if user.role is Role.COMMISSIONER else []
    allowed(bool(orgs), "Only a commissioner that funds this ISF can decide its contingency releases.")
    return orgs[0]


def agreeing_organisation(user: User, isf: Isf) -> Organisation:
    """The caller's organisation that is a party to the ISF (a 403 if there is none)."""
    for org in user.organisations:
        if org.id == isf.provider_id or (user.role is Role.COMMISSIONER and org.id in isf.funder_ids):
            return org
    allowed(False, "Only the holding provider or a funding commissioner can agree this ISF.")
