from datetime import date

from sqlalchemy import func, select

from marketplace.core.demo import load_demo
from marketplace.isf import books
from marketplace.isf.models import Isf, IsfDrawdown, IsfReceipt


def test_demo_loads_amys_isf_with_quarter_one_paid_and_nothing_drawn(session):
    ctx = load_demo(session)
    load_demo(session)
    isf = ctx["amys_isf"]
    assert session.scalar(select(func.count()).select_from(Isf)) == 1
    assert (isf.provider.slug, isf.start_date, isf.weekly_amount) == (
        "hilltop-hospice",
        date(2026, 4, 6),
        57_000,
    )
    assert (isf.contingency_bp, isf.top_slice_bp, isf.drawdown_weekday, isf.is_agreed) == (500, 800, 0, True)
    receipts = session.scalars(select(IsfReceipt.amount).order_by(IsfReceipt.id)).all()
    assert receipts == [455_000, 260_000, 65_000]
    assert books.balances(session, isf) == {"available": 741_000, "contingency": 39_000}
    assert session.scalar(select(func.count()).select_from(IsfDrawdown)) == 0
