"""Amy's ISF (DESIGN.md example A): held by Hilltop from Monday 2026-04-06, not yet drawn down.
Its quarter-1 funding is invoiced and paid by the invoicing demo (`invoicing/demo.py`): the
funders' payments of those invoices are the ISF's receipts."""

from datetime import date

from sqlalchemy import select

from marketplace.accounts.models import Child, Family, Organisation
from marketplace.budgets import operations as budgets
from marketplace.budgets.models import Budget
from marketplace.isf import operations
from marketplace.isf.models import Isf

START = date(2026, 4, 6)
STREAMS = [
    ("social_care", "brightwater-council", 1_820_000, "BWC-SC-4471"),
    ("health", "nhs-brightwater-icb", 1_040_000, "ICB-PHB-0192"),
    ("education", "brightwater-council", 260_000, "BWC-SEN-2208"),
]


def _org(session, slug):
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def _amy(session) -> Child | None:
    return session.scalar(select(Child).join(Family).where(Family.slug == "amys-family", Child.name == "Amy"))


def _amys_isf_budget(session, amy: Child) -> Budget:
    """Amy's budget whose streams are all managed as an ISF (created once)."""
    for budget in session.scalars(select(Budget).where(Budget.child_id == amy.id).order_by(Budget.id)):
        if budget.streams and all(s.management.value == "isf" for s in budget.streams):
            return budget
    return budgets.create_budget(
        session,
        child=amy,
        period_start=date(2026, 4, 1),
        period_end=date(2027, 3, 31),
        streams=[
            {
                "kind": kind,
                "funder": _org(session, slug),
                "amount": amount,
                "po_number": po,
                "management": "isf",
            }
            for kind, slug, amount, po in STREAMS
        ],
    )


def load(session, ctx: dict) -> None:
    amy, hilltop = _amy(session), _org(session, "hilltop-hospice")
    if amy is None or hilltop is None:
        return
    budget = _amys_isf_budget(session, amy)
    isf = session.scalar(select(Isf).where(Isf.budget_id == budget.id))
    if isf is None:
        isf = operations.create_isf(
            session,
            budget=budget,
            provider=hilltop,
            start_date=START,
            end_date=date(2027, 3, 31),
            weekly_amount=57_000,
            contingency_bp=500,
            top_slice_bp=800,
            surplus_threshold_weeks=8,
        )
        operations.agree_isf(session, isf, hilltop)
        operations.agree_isf(session, isf, _org(session, "brightwater-council"))
        operations.agree_isf(session, isf, _org(session, "nhs-brightwater-icb"))
    ctx["amys_isf"] = isf
