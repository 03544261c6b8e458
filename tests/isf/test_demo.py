"""The demo's ISF reads as if the scheduler had run all along, whatever day the demo is loaded."""

from datetime import date, datetime

import time_machine
from sqlalchemy import func, select

from marketplace.core.clock import LONDON
from marketplace.core.demo import load_demo
from marketplace.isf import books
from marketplace.isf.models import Isf, IsfDrawdown, IsfReceipt

# Example A's dates: loaded in the week of 11 May 2026, the ISF began on Monday 6 April.
LOADED_ON = datetime(2026, 5, 15, 12, tzinfo=LONDON)


def on(moment: datetime):
    return time_machine.travel(moment, tick=False)


def _drawdowns(session) -> list[tuple[date, int]]:
    rows = session.execute(select(IsfDrawdown.week_start, IsfDrawdown.drawn).order_by(IsfDrawdown.week_start))
    return [tuple(row) for row in rows]


def test_demo_loads_amys_isf_with_quarter_one_paid_and_drawn_down_to_this_week(session):
    with on(LOADED_ON):
        ctx = load_demo(session)
        load_demo(session)
    isf = ctx["amys_isf"]
    assert session.scalar(select(func.count()).select_from(Isf)) == 1
    assert (isf.provider.slug, isf.start_date, isf.end_date, isf.weekly_amount) == (
        "hilltop-hospice",
        date(2026, 4, 6),
        date(2027, 3, 31),
        57_000,
    )
    assert (isf.budget.period_start, isf.budget.period_end) == (date(2026, 4, 1), date(2027, 3, 31))
    assert (isf.contingency_bp, isf.top_slice_bp, isf.drawdown_weekday, isf.is_agreed) == (500, 800, 0, True)
    receipts = session.scalars(select(IsfReceipt.amount).order_by(IsfReceipt.id)).all()
    assert receipts == [455_000, 260_000, 65_000]
    # Example A's figures, drawn down through 15 May: six weeks of £570.00, however often loaded
    weeks = [date(2026, 4, d) for d in (6, 13, 20, 27)] + [date(2026, 5, 4), date(2026, 5, 11)]
    assert _drawdowns(session) == [(week, 57_000) for week in weeks]
    assert books.balances(session, isf) == {"available": 399_000, "contingency": 39_000}
    assert not isf.is_parked


def test_demo_loaded_on_another_day_starts_five_weeks_back_and_catches_up_when_reloaded(session):
    with on(datetime(2026, 11, 30, 8, tzinfo=LONDON)):  # a Monday: this week's drawdown is due today
        ctx = load_demo(session)
    isf = ctx["amys_isf"]
    assert (isf.start_date, isf.end_date) == (date(2026, 10, 26), date(2027, 9, 30))
    assert (isf.budget.period_start, isf.budget.period_end) == (date(2026, 10, 1), date(2027, 9, 30))
    weeks = [date(2026, 10, 26)] + [date(2026, 11, d) for d in (2, 9, 16, 23, 30)]
    assert _drawdowns(session) == [(week, 57_000) for week in weeks]
    assert books.balances(session, isf) == {"available": 399_000, "contingency": 39_000}
    with on(datetime(2026, 12, 8, 8, tzinfo=LONDON)):  # loaded again the next week
        load_demo(session)
    assert _drawdowns(session)[-1] == (date(2026, 12, 7), 57_000)
    assert books.balances(session, isf)["available"] == 399_000 - 57_000
