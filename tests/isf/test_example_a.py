"""DESIGN.md worked example A, figure for figure."""

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.core.errors import Conflict
from marketplace.isf import jobs, operations, schedule
from marketplace.isf.models import IsfDrawdown, ReleaseStatus

WEEKS = [date(2026, 4, 6), date(2026, 4, 13), date(2026, 4, 20), date(2026, 4, 27)]


def drawdowns(session, isf):
    return session.scalars(
        select(IsfDrawdown).where(IsfDrawdown.isf_id == isf.id).order_by(IsfDrawdown.week_start)
    ).all()


def test_quarter_one_funding_due_quarterly_in_advance(world):
    isf = world.example_a()
    first = schedule.funding_due(isf, None, date(2026, 4, 6))
    assert [(i.funder, i.amount, i.due_on, i.po_number) for i in first] == [
        ("Brightwater Council", 455_000, date(2026, 4, 6), "BWC-SC-4471"),
        ("NHS Brightwater ICB", 260_000, date(2026, 4, 6), "ICB-PHB-0192"),
        ("Brightwater Council", 65_000, date(2026, 4, 6), "BWC-SEN-2208"),
    ]
    second = schedule.funding_due(isf, date(2026, 4, 7), date(2026, 7, 6))
    assert [i.due_on for i in second] == [date(2026, 7, 6)] * 3


@pytest.mark.parametrize(
    ("cycle", "count"), [("weekly", 52), ("four_weekly", 13), ("monthly", 12), ("quarterly", 4)]
)
@pytest.mark.parametrize("timing", ["advance", "arrears"])
def test_a_years_instalments_sum_exactly_to_the_annual_amount(world, cycle, count, timing):
    isf = world.example_a(cycle=cycle, timing=timing)
    rows = schedule.funding_schedule(isf)
    for stream in (world.social, world.health, world.education):
        mine = [r for r in rows if r.stream_id == stream.id]
        assert len(mine) == count
        assert sum(r.amount for r in mine) == stream.amount
        assert max(r.amount for r in mine) - min(r.amount for r in mine) <= 1
        first = mine[0]
        assert first.due_on == (first.period_start if timing == "advance" else first.period_end)


def test_receipts_ring_fence_contingency(world):
    world.example_a()
    receipts = world.pay_quarter_one()
    assert [r.contingency for r in receipts] == [22_750, 13_000, 3_250]
    assert world.contingency() == 39_000
    assert world.available() == 741_000


def test_replaying_a_receipt_writes_nothing(world, session):
    world.example_a()
    first = world.pay(world.social)
    transfers = session.scalar(select(func.count()).select_from(ledger.Transfer))
    again = world.pay(world.social)
    assert again.id == first.id
    assert session.scalar(select(func.count()).select_from(ledger.Transfer)) == transfers
    assert world.available() == 432_250
    with pytest.raises(Conflict):
        world.pay(world.social, amount=1, reference=first.reference)


def test_four_weekly_drawdowns_through_29_april(world, session):
    isf = world.example_a()
    world.pay_quarter_one()
    jobs.run_weekly_drawdowns(session, date(2026, 4, 29))
    rows = drawdowns(session, isf)
    assert [(r.week_start, r.drawn, r.top_slice, r.delivery, r.shortfall) for r in rows] == [
        (week, 57_000, 4_560, 52_440, 0) for week in WEEKS
    ]
    assert world.available() == 513_000
    assert world.contingency() == 39_000
    assert world.delivery_income() == 209_760
    assert world.overhead() == 18_240
    assert ledger.reconcile(session) == []


def test_running_five_times_still_posts_four_drawdowns(world, session):
    isf = world.example_a()
    world.pay_quarter_one()
    summaries = [jobs.run_weekly_drawdowns(session, date(2026, 4, 29)) for _ in range(5)]
    assert [s.weeks_posted for s in summaries] == [4, 0, 0, 0, 0]
    assert len(drawdowns(session, isf)) == 4
    assert (world.available(), world.contingency(), world.delivery_income(), world.overhead()) == (
        513_000,
        39_000,
        209_760,
        18_240,
    )


def test_social_care_only_runs_short_in_week_eight_then_catches_up(world, session):
    isf = world.example_a()
    world.pay(world.social)
    assert world.available() == 432_250
    summary = jobs.run_weekly_drawdowns(session, date(2026, 5, 25))
    rows = drawdowns(session, isf)
    assert [r.drawn for r in rows] == [57_000] * 7 + [33_250]
    assert sum(r.drawn for r in rows[:7]) == 399_000
    assert (rows[-1].shortfall, summary.shortfall_weeks) == (23_750, 1)
    assert world.available() == 0
    # Nothing more arrives: the next week draws nothing and the arrears grow; never negative.
    jobs.run_weekly_drawdowns(session, date(2026, 6, 1))
    week9 = drawdowns(session, isf)[-1]
    assert (week9.arrears, week9.drawn, week9.shortfall) == (23_750, 0, 80_750)
    assert world.available() == 0
    # Health pays: arrears are drawn before the current week.
    world.pay(world.health, on=date(2026, 6, 3))
    jobs.run_weekly_drawdowns(session, date(2026, 6, 8))
    week10 = drawdowns(session, isf)[-1]
    assert (week10.arrears, week10.due, week10.drawn, week10.shortfall) == (80_750, 137_750, 137_750, 0)
    assert world.available() == 247_000 - 137_750
    assert ledger.reconcile(session) == []


def test_partial_money_pays_arrears_first(world, session):
    isf = world.example_a()
    world.pay(world.social)
    jobs.run_weekly_drawdowns(session, date(2026, 5, 25))
    world.pay(world.education, amount=30_000, on=date(2026, 5, 28))  # 28,500 available after 5%
    jobs.run_weekly_drawdowns(session, date(2026, 6, 1))
    week9 = drawdowns(session, isf)[-1]
    assert (week9.due, week9.drawn, week9.shortfall) == (80_750, 28_500, 52_250)
    assert world.available() == 0


def test_contingency_release_approved_with_reason(world, session):
    isf = world.example_a()
    world.pay_quarter_one()
    release = operations.request_release(session, isf, amount=25_000, reason="Extra nights during a crisis")
    assert world.contingency() == 39_000  # requested: nothing moves
    operations.approve_release(session, release, organisation=world.council, note="Agreed")
    assert release.status is ReleaseStatus.APPROVED
    assert world.contingency() == 14_000
    assert world.delivery_income() == 25_000
    assert ledger.reconcile(session) == []


def test_unapproved_and_refused_releases_move_nothing(world, session):
    isf = world.example_a()
    world.pay_quarter_one()
    release = operations.request_release(session, isf, amount=25_000, reason="Equipment")
    with pytest.raises(Conflict):
        operations.spend_release(session, release)
    operations.refuse_release(session, release, organisation=world.icb, note="Use the equipment fund")
    with pytest.raises(Conflict):
        operations.spend_release(session, release)
    with pytest.raises(Conflict):
        operations.approve_release(session, release, organisation=world.council)
    assert world.contingency() == 39_000


def test_a_release_larger_than_the_contingency_is_refused_cleanly(world, session):
    isf = world.example_a()
    world.pay_quarter_one()
    with pytest.raises(Conflict) as err:  # refused when asked for, not only when approved
        operations.request_release(session, isf, amount=39_001, reason="Too much")
    assert err.value.code == "insufficient_contingency" and "£390.00" in err.value.message
    first, second = (
        operations.request_release(session, isf, amount=30_000, reason=why) for why in ("One", "Two")
    )
    operations.approve_release(session, first, organisation=world.council)
    with pytest.raises(Conflict) as err:  # the contingency shrank since the second was asked for
        operations.approve_release(session, second, organisation=world.council)
    assert err.value.code == "insufficient_contingency"
    assert second.status is ReleaseStatus.REQUESTED
    assert world.contingency() == 9_000


def test_receipts_draw_on_the_budget_streams(world, session):
    """Funders pay the ISF out of their allocations, so Amy's budget shows the money as spent."""
    from marketplace.budgets.balances import budget_balances
    from marketplace.ledger.errors import InsufficientFunds

    world.example_a()
    world.pay_quarter_one()
    streams, totals = budget_balances(session, world.isf.budget)
    assert [s.spent for s in streams] == [455_000, 260_000, 65_000]
    assert totals.available == 3_120_000 - 780_000
    with pytest.raises(InsufficientFunds):  # more than education's whole year
        world.pay(world.education, amount=260_000 - 65_000 + 1, reference="REM-too-much")
    assert ledger.reconcile(session) == []
