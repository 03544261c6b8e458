"""JSON API for budgets: the budgets the caller may see, with live balances per stream."""

from flask import Blueprint
from flask_login import current_user
from sqlalchemy import func, select

from marketplace.accounts.permissions import visible
from marketplace.budgets.balances import budget_balances
from marketplace.budgets.models import Budget
from marketplace.budgets.permissions import budget_visibility, can_see_budget
from marketplace.budgets.schemas import BudgetListOut, BudgetOut, budget_json, id_or_none
from marketplace.core.api import page_args
from marketplace.core.auth import signed_in
from marketplace.core.db import db
from marketplace.core.openapi import describe

bp = Blueprint("budgets_api", __name__)


def _budget_or_404(budget_id: str) -> Budget:
    """The budget, or the same 404 whether it does not exist or the caller may not see it."""
    number = id_or_none(budget_id)
    budget = db.session.get(Budget, number) if number is not None else None
    return visible(budget, can_see_budget(current_user, budget), "budget")


@bp.get("/budgets")
@describe(
    "get",
    "/budgets",
    "Budgets the caller may see, with live balances",
    response=BudgetListOut,
    params=["page", "per_page"],
)
@signed_in
def list_budgets():
    page, per_page = page_args()
    condition = budget_visibility(current_user)
    total = db.session.scalar(select(func.count()).select_from(Budget).where(condition))
    budgets = db.session.scalars(
        select(Budget)
        .where(condition)
        .order_by(Budget.period_start.desc(), Budget.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    items = [budget_json(b, *budget_balances(db.session, b)) for b in budgets]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


@bp.get("/budgets/<budget_id>")
@describe(
    "get",
    "/budgets/{id}",
    "One budget: streams with allocated, held, spent and available; totals",
    response=BudgetOut,
)
@signed_in
def get_budget(budget_id: str):
    budget = _budget_or_404(budget_id)
    return budget_json(budget, *budget_balances(db.session, budget))
