"""Amy's ISF (DESIGN.md example A), with dates relative to the day the demo is loaded: held by
Hilltop from the Monday five weeks before this week's (so Ben's stay a month ago, billed by the
invoicing demo, comes after the ISF's quarter-1 invoices), for a year. Its quarter-1 funding is
invoiced and paid by the invoicing demo (`invoicing/demo.py`): the funders' payments of those
invoices are the ISF's receipts. Once every domain has loaded, `finish` runs the weekly drawdown
for every week due up to today through the real operation, so the ISF reads as it would had the
scheduler been running all along: loaded on Friday 15 May 2026 it started on 6 April (example A)
and shows six weekly drawdowns of £570.00 (£3,990.00 available, £390.00 contingency), and so it
does on any other day. Loaded again later, it catches up the weeks since, as the scheduler would."""

from datetime import date, timedelta

from sqlalchemy import select

from marketplace.accounts.models import Child, Family, Organisation
from marketplace.budgets import operations as budgets
from marketplace.budgets.models import Budget
from marketplace.core.clock import today, week_start
from marketplace.isf import operations
from marketplace.isf.models import Isf
from marketplace.isf.schedule import add_months

WEEKS_RUNNING = 5  # whole weeks before this one since the ISF began
STREAMS = [
    ("social_care", "brightwater-council", 1_820_000, "BWC-SC-4471"),
    ("health", "nhs-brightwater-icb", 1_040_000, "ICB-PHB-0192"),
    ("education", "brightwater-council", 260_000, "BWC-SEN-2208"),
]


def _org(session, slug):
    return session.scalar(select(Organisation).where(Organisation.slug == slug))


def _amy(session) -> Child | None:
    return session.scalar(select(Child).join(Family).where(Family.slug == "amys-family", Child.name == "Amy"))


def start_date(day: date) -> date:
    """The demo ISF's first day when loaded on `day`: the Monday WEEKS_RUNNING weeks before
    `day`'s week."""
    return week_start(day) - timedelta(weeks=WEEKS_RUNNING)


def budget_period(start: date) -> tuple[date, date]:
    """A year from the first of the ISF's starting month (1 April to 31 March for an April start)."""
    first = start.replace(day=1)
    return first, add_months(first, 12) - timedelta(days=1)


def _amys_isf_budget(session, amy: Child, period: tuple[date, date]) -> Budget:
    """Amy's budget whose streams are all managed as an ISF (created once)."""
    for budget in session.scalars(select(Budget).where(Budget.child_id == amy.id).order_by(Budget.id)):
        if budget.streams and all(s.management.value == "isf" for s in budget.streams):
            return budget
    return budgets.create_budget(
        session,
        child=amy,
        period_start=period[0],
        period_end=period[1],
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
    start = start_date(today())
    period = budget_period(start)
    budget = _amys_isf_budget(session, amy, period)
    isf = session.scalar(select(Isf).where(Isf.budget_id == budget.id))
    if isf is None:
        isf = operations.create_isf(
            session,
            budget=budget,
            provider=hilltop,
            start_date=start,
            end_date=budget.period_end,
            weekly_amount=57_000,
            contingency_bp=500,
            top_slice_bp=800,
            surplus_threshold_weeks=8,
        )
        operations.agree_isf(session, isf, hilltop)
        operations.agree_isf(session, isf, _org(session, "brightwater-council"))
        operations.agree_isf(session, isf, _org(session, "nhs-brightwater-icb"))
    ctx["amys_isf"] = isf


def finish(session, ctx: dict) -> None:
    """After every domain has loaded (the invoicing demo pays quarter 1): post each week due up
    to today, as the scheduler's job would have, through the job's own operation."""
    isf = ctx.get("amys_isf")
    if isf is not None and not isf.is_parked:
        operations.post_due_drawdowns(session, [isf], today())
