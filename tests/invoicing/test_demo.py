from datetime import date, datetime

from sqlalchemy import func, select

from marketplace.core.clock import LONDON, today
from marketplace.core.demo import load_demo as load_demo_today
from marketplace.invoicing.models import BillableItem, BillableKind, CreditNote, Invoice, InvoiceStatus
from marketplace.isf import books
from marketplace.isf.models import IsfDrawdown, IsfReceipt
from tests.isf.test_demo import LOADED_ON, on

Q1 = date(2026, 4, 6)


def load_demo(session):
    """The demo loaded on 15 May 2026: Amy's ISF (its dates follow the day of loading) began on
    6 April 2026, example A's date."""
    with on(LOADED_ON):
        return load_demo_today(session)


def test_demo_invoices_bens_delivered_stay_to_both_funders_once(session):
    load_demo(session)
    load_demo(session)
    care = session.scalars(
        select(Invoice).where(Invoice.issue_date != Q1).order_by(Invoice.total.desc())
    ).all()
    bens = [i for i in care if i.lines[0].description.startswith("Overnight short break")]
    assert [(i.payer_org.slug, i.total, i.status) for i in bens] == [
        ("brightwater-council", 39333, InvoiceStatus.PART_PAID),  # £200.00 paid (payment_demo.py)
        ("nhs-brightwater-icb", 19667, InvoiceStatus.ISSUED),
    ]
    assert {i.issuer.slug for i in care} == {"hilltop-hospice"}
    numbers = sorted(session.scalars(select(Invoice.number)))
    assert numbers == [f"HIL-{n:06d}" for n in range(1, len(numbers) + 1)]  # gap-free


def test_demo_issues_amys_quarter_one_funding_invoices_and_their_payment_is_the_receipt(session):
    ctx = load_demo(session)
    load_demo(session)
    q1 = session.scalars(select(Invoice).where(Invoice.issue_date == Q1).order_by(Invoice.number)).all()
    assert [(i.number, i.payer_org.slug, i.po_number, i.total) for i in q1] == [
        ("HIL-000001", "brightwater-council", "BWC-SC-4471", 455_000),
        ("HIL-000002", "brightwater-council", "BWC-SEN-2208", 65_000),  # its own PO: its own invoice
        ("HIL-000003", "nhs-brightwater-icb", "ICB-PHB-0192", 260_000),
    ]
    assert q1[0].lines[0].description == (
        f"ISF funding for A-{ctx['amys_isf'].budget.child_id:06d}: quarter 6 April to 5 July 2026 "
        "(quarterly in advance), Brightwater Council social care"
    )
    receipts = session.scalars(select(IsfReceipt).order_by(IsfReceipt.id)).all()
    assert [(r.amount, r.reference) for r in receipts] == [
        (455_000, "HIL-000001 BWC-SC-4471-Q1"),
        (260_000, "HIL-000003 ICB-PHB-0192-Q1"),
        (65_000, "HIL-000002 BWC-SEN-2208-Q1"),
    ]
    drawn = session.scalar(select(func.sum(IsfDrawdown.drawn)))  # six weeks, drawn after the receipts
    assert drawn == 6 * 57_000
    assert books.balances(session, ctx["amys_isf"]) == {"available": 741_000 - drawn, "contingency": 39_000}
    # Later quarters are billed as they fall due (the demo bills through today), once each:
    # loaded again on 10 July 2026 and on 10 January 2027, then twice more.
    for day in (date(2026, 7, 10), date(2027, 1, 10), date(2027, 1, 10)):
        with on(datetime(day.year, day.month, day.day, 12, tzinfo=LONDON)):
            load_demo_today(session)
            due = [d for d in (Q1, date(2026, 7, 6), date(2026, 10, 6), date(2027, 1, 6)) if d <= today()]
        instalments = session.scalars(
            select(BillableItem).where(BillableItem.kind == BillableKind.ISF_FUNDING)
        ).all()
        assert sorted({i.service_date for i in instalments}) == due
        assert len(instalments) == 3 * len(due) and all(i.invoice_id for i in instalments)
    assert len(due) == 4
    assert session.scalar(select(func.count(IsfReceipt.id))) == 3  # only quarter 1 is paid


def test_demo_credits_part_of_the_icbs_care_invoice_once_with_a_reason(session):
    load_demo(session)
    load_demo(session)
    [note] = session.scalars(select(CreditNote)).all()
    assert note.number == "HIL-CN-000001" and note.total == 3000
    assert note.payer_org.slug == "nhs-brightwater-icb" and note.invoice.amount_due == 19667 - 3000
    assert note.invoice.lines[0].description.startswith("Overnight short break")  # Ben's stay
    assert "hospital appointment" in note.reason and note.created_by.email == "finance@hilltop.example"
