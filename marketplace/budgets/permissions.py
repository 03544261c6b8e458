"""Who may see and change budgets, support plans and RAS.

- A family sees its own budgets; a commissioner the budgets it funds (any stream's funder is one
  of its organisations); an admin all; providers none. Every check here and every list goes
  through `budget_visibility`, so one rule covers pages, API and panels.
- Only a stream's funder (or an admin) amends that stream; any funder of a budget moves its status.
- Support plans are co-produced: the family and every funding commissioner may add outcomes and
  record progress on them (each change is audited).
- A commissioner sets up and publishes its own RAS; any signed-in family or commissioner may read
  a published RAS; a family answers it for its own children, a funding commissioner's worker for
  a child whose budget it funds. An assessment is seen by the child's family, the RAS's
  commissioner and admins.
"""

from sqlalchemy import ColumnElement, false, or_, select, true

from marketplace.accounts.models import Child, Family, Invitation, Role, User
from marketplace.accounts.permissions import acts_for_family, acts_for_organisation, is_admin
from marketplace.budgets.models import Budget, FundingStream, RasAssessment, ResourceAllocationSystem
from marketplace.core.db import db


def _is(user: User, role: Role) -> bool:
    return user.is_authenticated and user.role is role


def budget_visibility(user: User) -> ColumnElement:
    """A SQL condition on Budget: the budgets `user` may see."""
    if not user.is_authenticated:
        return false()
    if is_admin(user):
        return true()
    conditions = []
    if _is(user, Role.FAMILY) and user.family_id is not None:
        conditions.append(Budget.family_id == user.family_id)
    if _is(user, Role.COMMISSIONER) and user.organisation_ids:
        funded = select(FundingStream.budget_id).where(FundingStream.funder_id.in_(user.organisation_ids))
        conditions.append(Budget.id.in_(funded))
    return or_(*conditions) if conditions else false()


def visible_budgets(user: User) -> list[Budget]:
    """Every budget `user` may see, newest period first."""
    query = select(Budget).where(budget_visibility(user)).order_by(Budget.period_start.desc(), Budget.id)
    return list(db.session.scalars(query))


def can_see_budget(user: User, budget: Budget | None) -> bool:
    if budget is None or not user.is_authenticated:
        return False
    query = select(Budget.id).where(Budget.id == budget.id, budget_visibility(user))
    return db.session.scalar(query) is not None


def funds_budget(user: User, budget: Budget) -> bool:
    """The user is staff of one of the budget's funders (or an admin)."""
    if is_admin(user):
        return True
    return _is(user, Role.COMMISSIONER) and bool(user.organisation_ids & budget.funder_ids)


def known_families_condition(user: User) -> ColumnElement:
    """A SQL condition on Family: the families a commissioner knows — those with a budget it
    funds, and those its organisation invited (so a new family's first budget can be made)."""
    if is_admin(user):
        return true()
    if not _is(user, Role.COMMISSIONER) or not user.organisation_ids:
        return false()
    funded = select(Budget.family_id).where(budget_visibility(user))
    invited = select(Invitation.family_id).where(
        Invitation.inviter_org_id.in_(user.organisation_ids), Invitation.family_id.is_not(None)
    )
    return or_(Family.id.in_(funded), Family.id.in_(invited))


def known_families(user: User) -> list[Family]:
    """The families `user` may pick from (budget and invitation forms), by name."""
    query = select(Family).where(known_families_condition(user)).order_by(Family.name, Family.id)
    return list(db.session.scalars(query))


def knows_family(user: User, family) -> bool:
    """The user may already know who the family's children are: an admin, the family itself, or a
    commissioner that funds a budget of the family or invited it. Nobody else learns their names
    from a form."""
    if is_admin(user) or acts_for_family(user, family.id):
        return True
    query = select(Family.id).where(Family.id == family.id, known_families_condition(user))
    return db.session.scalar(query) is not None


def can_create_budget(user: User) -> bool:
    return is_admin(user) or _is(user, Role.COMMISSIONER)


def can_change_status(user: User, budget: Budget) -> bool:
    return funds_budget(user, budget)


def can_amend_stream(user: User, stream: FundingStream) -> bool:
    return is_admin(user) or (_is(user, Role.COMMISSIONER) and acts_for_organisation(user, stream.funder_id))


def can_edit_support_plan(user: User, budget: Budget) -> bool:
    return acts_for_family(user, budget.family_id) or funds_budget(user, budget)


def can_manage_ras(user: User, ras: ResourceAllocationSystem) -> bool:
    return is_admin(user) or (
        _is(user, Role.COMMISSIONER) and acts_for_organisation(user, ras.commissioner_id)
    )


def can_see_ras(user: User, ras: ResourceAllocationSystem | None) -> bool:
    if ras is None or not user.is_authenticated:
        return False
    if ras.live and (_is(user, Role.FAMILY) or _is(user, Role.COMMISSIONER)):
        return True
    return can_manage_ras(user, ras)


def assessable_children(user: User) -> list[Child]:
    """The children `user` may answer a RAS for."""
    if is_admin(user):
        return list(db.session.scalars(select(Child).order_by(Child.name, Child.id)))
    if _is(user, Role.FAMILY) and user.family is not None:
        return list(user.family.children)
    if _is(user, Role.COMMISSIONER):
        funded = select(Budget.child_id).where(budget_visibility(user))
        return list(
            db.session.scalars(select(Child).where(Child.id.in_(funded)).order_by(Child.name, Child.id))
        )
    return []


def assessment_visibility(user: User) -> ColumnElement:
    """A SQL condition on RasAssessment: the assessments `user` may see."""
    if not user.is_authenticated:
        return false()
    if is_admin(user):
        return true()
    conditions = []
    if _is(user, Role.FAMILY) and user.family_id is not None:
        conditions.append(RasAssessment.family_id == user.family_id)
    if _is(user, Role.COMMISSIONER) and user.organisation_ids:
        owned = select(ResourceAllocationSystem.id).where(
            ResourceAllocationSystem.commissioner_id.in_(user.organisation_ids)
        )
        conditions.append(RasAssessment.ras_id.in_(owned))
    return or_(*conditions) if conditions else false()


def can_see_assessment(user: User, assessment: RasAssessment | None) -> bool:
    if assessment is None or not user.is_authenticated:
        return False
    return acts_for_family(user, assessment.family_id) or can_manage_ras(user, assessment.ras)
