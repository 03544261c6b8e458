"""The demo loads Ben's managed budget (example B), his support plan and Brightwater's RAS, once."""

from sqlalchemy import func, select

from marketplace.accounts import demo as accounts_demo
from marketplace.budgets import demo
from marketplace.budgets.balances import budget_balances
from marketplace.budgets.models import Budget, ResourceAllocationSystem


def test_demo_is_example_b_and_idempotent(session):
    ctx = {"sign_ins": []}
    accounts_demo.load(session, ctx)
    demo.load(session, ctx)
    demo.load(session, ctx)
    budget = ctx["bens_budget"]
    assert session.scalar(select(func.count()).select_from(Budget)) == 1
    assert session.scalar(select(func.count()).select_from(ResourceAllocationSystem)) == 1
    assert [
        (s.kind.value, s.funder.slug, s.amount, s.po_number != "", s.payment_terms_days, s.management.value)
        for s in budget.streams
    ] == [
        ("social_care", "brightwater-council", 300000, True, 30, "managed"),
        ("health", "nhs-brightwater-icb", 150000, True, 45, "managed"),
    ]
    assert all(s.accepts("overnight_short_break") and s.accepts("day_session") for s in budget.streams)
    assert (str(budget.period_start), str(budget.period_end)) == ("2026-04-01", "2027-03-31")
    assert budget_balances(session, budget)[1].available == 450000
    assert len(budget.outcomes) == 2 and ctx["brightwater_ras"].live
