"""ISF funding instalments billed by the invoice run: on the day they fall due (not the day
before), once, to each stream's funder under its PO number — example A's quarter 1 and example C's
three-way split through real runs."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.budgets import operations as budgets
from marketplace.invoicing.models import BillableItem, BillableKind, Invoice, VatCategory
from marketplace.invoicing.runs import run_invoices
from marketplace.isf import operations as isf_operations
from tests.isf.conftest import IsfWorld

START = date(2026, 4, 6)


@pytest.fixture
def amy(session, make):
    """Example A's parties and ISF (tests/isf/conftest.py): Hilltop, the council, the ICB."""
    return IsfWorld(session, make)


def issued(session) -> list[Invoice]:
    return list(session.scalars(select(Invoice).order_by(Invoice.number)))


def figures(invoices) -> list[tuple]:
    return [(i.payer_org.name, i.po_number, i.total) for i in invoices]


def test_example_a_quarter_one_is_billed_on_the_day_it_falls_due_not_the_day_before(session, amy):
    amy.example_a()
    before = run_invoices(session, START - timedelta(days=1))
    assert (before.items_recorded, before.issued) == (0, [])
    run = run_invoices(session, START, issue_date=START)
    assert run.items_recorded == 3
    assert figures(issued(session)) == [
        ("Brightwater Council", "BWC-SC-4471", 455_000),
        ("Brightwater Council", "BWC-SEN-2208", 65_000),  # the council's other PO: its own invoice
        ("NHS Brightwater ICB", "ICB-PHB-0192", 260_000),
    ]
    first = issued(session)[0]
    assert (first.issuer_id, first.issue_date, first.due_date) == (amy.hilltop.id, START, date(2026, 5, 6))
    [line] = first.lines
    child = amy.isf.budget.child
    assert line.description == (
        f"ISF funding for A-{child.id:06d}: quarter 6 April to 5 July 2026 (quarterly in advance), "
        "Brightwater Council social care"
    )
    assert (line.quantity, line.unit, line.unit_price, line.amount) == (1, "instalment", 455_000, 455_000)
    assert (line.service_start, line.service_end) == (START, date(2026, 7, 5))
    assert (line.vat_category, line.vat_rate_bp, line.child_reference) == (
        VatCategory.EXEMPT,
        0,
        f"A-{child.id:06d}",
    )
    assert "Amy" not in line.description  # never the child's name on a document that leaves


def test_in_arrears_an_instalment_is_billed_at_its_periods_end(session, amy):
    amy.example_a(timing="arrears")
    assert run_invoices(session, date(2026, 7, 4)).issued == []
    run = run_invoices(session, date(2026, 7, 5))
    assert sorted(i.total for i in run.issued) == [65_000, 260_000, 455_000]
    assert "(quarterly in arrears)" in issued(session)[0].lines[0].description


def test_weekly_instalments_each_fall_due_on_their_own_day(session, amy):
    amy.example_a(cycle="weekly")  # £350.00 + £200.00 + £50.00 every Monday
    run_invoices(session, START)
    run_invoices(session, START + timedelta(days=6))
    assert session.scalar(select(func.count(BillableItem.id))) == 3
    run_invoices(session, START + timedelta(days=7))
    items = session.scalars(select(BillableItem).order_by(BillableItem.id)).all()
    assert [(i.service_date, i.amount) for i in items[3:]] == [
        (START + timedelta(days=7), a) for a in (35_000, 20_000, 5_000)
    ]
    assert "week 13 April to 19 April 2026 (weekly in advance)" in issued(session)[-1].lines[0].description


def test_a_second_run_bills_nothing_new(session, amy):
    amy.example_a()
    first = run_invoices(session, date(2026, 7, 6))  # quarters 1 and 2
    again = run_invoices(session, date(2026, 7, 6))
    assert (first.items_recorded, len(first.issued)) == (6, 3)
    assert (again.items_recorded, again.issued, again.failed) == (0, [], {})
    assert session.scalar(select(func.count(Invoice.id))) == 3
    assert sorted(i.total for i in issued(session)) == [130_000, 520_000, 910_000]  # two quarters each


def test_example_c_a_thousand_pound_instalment_set_bills_583_34_333_33_and_83_33(session, amy, make):
    """Amy's three streams in the proportions 18,200 : 10,400 : 2,600, funding £12,000 a year paid
    monthly in advance: each month's set is £1,000.00, split by largest remainder — all three
    remainders tie, so the first-listed stream takes the extra penny."""
    amy.example_a()  # the parties
    family = make.family(children=("Amy",))
    funders = {"social_care": amy.council, "health": amy.icb, "education": amy.council}
    budget = budgets.create_budget(
        session,
        child=family.children[0],
        period_start=date(2026, 4, 1),
        period_end=date(2027, 3, 31),
        streams=[
            dict(kind=kind, funder=funders[kind], amount=amount, management="isf", po_number=f"PO-C-{kind}")
            for kind, amount in (("social_care", 700_000), ("health", 400_000), ("education", 100_000))
        ],
    )
    isf = isf_operations.create_isf(
        session,
        budget=budget,
        provider=amy.hilltop,
        start_date=START,
        end_date=date(2027, 3, 31),
        weekly_amount=23_000,
        contingency_bp=500,
        top_slice_bp=800,
        cycles={k: ("monthly", "advance") for k in funders},
    )
    isf_operations.agree_isf(session, isf, amy.hilltop)
    isf_operations.agree_isf(session, isf, amy.council)
    run = run_invoices(session, START)
    example_c = sorted((i.total for i in run.issued if i.po_number.startswith("PO-C-")), reverse=True)
    assert example_c == [58_334, 33_333, 8_333] and sum(example_c) == 100_000
    run_invoices(session, date(2027, 3, 6))  # the rest of the year: every month's set is £1,000.00
    items = session.scalars(select(BillableItem).where(BillableItem.isf_id == isf.id)).all()
    by_month: dict[date, int] = {}
    for item in items:
        by_month[item.period_start] = by_month.get(item.period_start, 0) + item.amount
    assert len(by_month) == 12 and set(by_month.values()) == {100_000}
    assert sum(i.amount for i in items if i.stream_id == budget.streams[0].id) == 700_000


def test_a_funders_streams_share_an_invoice_when_their_po_numbers_are_the_same(session, amy):
    amy.example_a()
    amy.education.po_number = amy.social.po_number
    session.flush()
    run_invoices(session, START)
    council, icb = issued(session)
    assert (council.payer_org_id, council.po_number, council.total) == (
        amy.council.id,
        "BWC-SC-4471",
        520_000,
    )
    assert [line.amount for line in council.lines] == [455_000, 65_000]
    assert [line.description.rsplit(", ", 1)[1] for line in council.lines] == [
        "Brightwater Council social care",
        "Brightwater Council education",
    ]
    assert icb.total == 260_000


def test_an_isf_not_yet_agreed_or_on_a_closed_budget_is_not_billed(session, amy):
    amy.example_a(agreed=False)
    assert run_invoices(session, START).items_recorded == 0
    isf_operations.agree_isf(session, amy.isf, amy.hilltop)
    assert run_invoices(session, START).items_recorded == 0  # the commissioner has not agreed
    amy.isf.budget.status = "closed"
    isf_operations.agree_isf(session, amy.isf, amy.council)
    assert run_invoices(session, START).items_recorded == 0
    amy.isf.budget.status = "active"
    session.flush()
    assert run_invoices(session, START).items_recorded == 3


def test_no_instalment_is_billed_for_a_period_after_the_isf_ends(session, amy):
    amy.example_a()
    amy.isf.end_date = date(2026, 9, 30)  # quarter 3 starts on 6 October
    session.flush()
    run_invoices(session, date(2027, 3, 31))
    items = session.scalars(select(BillableItem).where(BillableItem.kind == BillableKind.ISF_FUNDING)).all()
    assert sorted({i.period_start for i in items}) == [START, date(2026, 7, 6)]


def test_a_run_for_another_provider_leaves_the_isf_alone(session, amy):
    amy.example_a()
    assert run_invoices(session, START, amy.other_provider).items_recorded == 0
    assert run_invoices(session, START, amy.hilltop).items_recorded == 3


def test_the_run_page_previews_instalments_due_then_bills_them(client, session, amy, make, sign_in, csrf):
    from tests.core.test_gets_write_nothing import writes

    amy.example_a()
    sign_in(make.user("provider", org=amy.hilltop))
    with writes() as written:
        early = client.get("/invoices/run?through=05/04/2026").get_data(as_text=True)
        page = client.get("/invoices/run?through=06/04/2026")
    assert written == [] and page.status_code == 200
    assert "Nothing is waiting to be billed through 5 April 2026" in early
    text = page.get_data(as_text=True)
    preview = text[text.index("would bill") :]
    for payer, po, amount in (
        ("Brightwater Council", "BWC-SC-4471", "£4,550.00"),
        ("Brightwater Council", "BWC-SEN-2208", "£650.00"),
        ("NHS Brightwater ICB", "ICB-PHB-0192", "£2,600.00"),
    ):
        row = preview[preview.index(po) - 200 : preview.index(po) + 300]
        assert payer in row and amount in row
    assert session.scalar(select(func.count(BillableItem.id))) == 0
    response = client.post("/invoices/run", data={"csrf_token": csrf(), "through": "2026-04-06"})
    assert "3 invoices issued, £7,800.00 in all" in response.get_data(as_text=True)


def test_the_hand_typed_receipt_form_says_it_is_for_money_without_an_invoice(client, amy, make, sign_in):
    amy.example_a()
    sign_in(make.user("provider", org=amy.hilltop))
    text = client.get(f"/isfs/{amy.isf.id}").get_data(as_text=True)
    form = text[text.index("Record a payment received") :]
    assert "only for money that arrives without an invoice" in form
