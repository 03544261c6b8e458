"""Who may see a booking and who may move it."""

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.accounts.permissions import acts_for_family, acts_for_organisation, is_admin
from marketplace.bookings.models import Booking
from marketplace.budgets.models import Budget, FundingStream


def can_see(user: User, booking: Booking) -> bool:
    """The family, the provider's staff, a commissioner funding the budget, or an admin."""
    return (
        acts_for_family(user, booking.family_id)
        or acts_for_organisation(user, booking.provider_id)
        or bool(user.is_authenticated and user.organisation_ids & booking.budget.funder_ids)
    )


def acts_for_budget(user: User | None, budget: Budget | None) -> bool:
    """May ask for care paid from this budget: its family, a commissioner funding it, or an admin.
    (A provider may not: it books emergency capacity only on behalf of one of these.)"""
    if user is None or budget is None or not user.is_active:
        return False
    return acts_for_family(user, budget.family_id) or (
        user.role is Role.COMMISSIONER and bool(user.organisation_ids & budget.funder_ids)
    )


def provider_knows_budget(session: Session, provider_ids: set[int], budget: Budget | None) -> bool:
    """The provider already has a real link to the budget: the family has booked with it before
    (any booking on this budget, whatever became of it). A provider can guess a budget's id and a
    family member's id, so naming who asked is not enough on its own to reach a budget."""
    if budget is None or not provider_ids:
        return False
    found = session.scalar(
        select(Booking.id)
        .where(Booking.budget_id == budget.id, Booking.provider_id.in_(provider_ids))
        .limit(1)
    )
    return found is not None


def acts_as(user: User, booking: Booking) -> set[str]:
    """The sides the user can act for on this booking: "family", "provider" (admins: both)."""
    sides = set()
    if acts_for_family(user, booking.family_id):
        sides.add("family")
    if acts_for_organisation(user, booking.provider_id):
        sides.add("provider")
    return sides


def visible_bookings(user: User) -> Select:
    query = select(Booking)
    if is_admin(user):
        return query
    conditions = []
    if user.role is Role.FAMILY and user.family_id is not None:
        conditions.append(Booking.family_id == user.family_id)
    orgs = user.organisation_ids
    if orgs:
        conditions.append(Booking.provider_id.in_(orgs))
        conditions.append(
            Booking.budget_id.in_(select(FundingStream.budget_id).where(FundingStream.funder_id.in_(orgs)))
        )
    return query.where(or_(*conditions)) if conditions else query.where(Booking.id.is_(None))
