"""DESIGN.md worked example D (paying late), figure for figure: Hilltop's £393.33 invoice to
Brightwater Council, issued 5 December 2026 on 30-day terms, due 4 January 2027; reference rate
4.00% for January–June 2027. On 3 February 2027, unpaid: 30 days overdue, interest £3.88,
compensation £40.00, claimable £43.88, and £393.33 in aged debt's 1–30 days column."""

from datetime import date
from fractions import Fraction

import pytest
import time_machine
from sqlalchemy import select

from marketplace.core.clock import today
from marketplace.core.errors import Conflict
from marketplace.invoicing import aged_debt, late_payment, payments
from marketplace.invoicing.models import Invoice
from marketplace.invoicing.runs import run_invoices
from tests.invoicing.overdue import london_noon
from tests.invoicing.test_pdf import pdf_text

ISSUED_ON = date(2026, 12, 5)
ON = date(2027, 2, 3)


@pytest.fixture
def invoice(session, world):
    booking = world.delivered(units=2)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    council = session.scalars(select(Invoice).where(Invoice.payer_org_id == world.council.id)).one()
    assert (council.total, council.due_date) == (39_333, date(2027, 1, 4))
    return council


@pytest.fixture
def on_3_february():
    with time_machine.travel(london_noon(ON), tick=False):
        yield


def test_on_3_february_unpaid(session, invoice, on_3_february):
    claim = late_payment.for_invoice(session, invoice)
    assert claim.on == ON == today()
    assert claim.days_overdue == 30
    assert claim.rate.reference_bp == 400 and claim.rate.statutory_bp == 1200
    [period] = claim.periods
    assert period.interest == Fraction(39_333 * 1200 * 30, 10_000 * 365)  # 387.94 pence
    assert f"{float(period.interest):.2f}" == "387.94"
    assert (claim.interest, claim.compensation, claim.claimable) == (388, 4000, 4388)


def test_aged_debt_shows_393_33_in_1_to_30_days(session, world, invoice, on_3_february):
    aged = aged_debt.aged_debt(session, world.provider_org.id, today())
    council = next(r for r in aged.rows if r.party.name == "Brightwater Council")
    assert council.amounts["days_1_30"] == 39_333 and council.total == 39_333


def test_part_paid_on_3_february_then_paid_on_10_february(invoice, session):
    """£200.00 on 3 February (that day is still late) leaves £193.33, paid on 10 February."""
    paid = [(date(2027, 2, 3), 20_000), (date(2027, 2, 10), 19_333)]
    on_3 = late_payment.for_invoice(session, invoice, ON, paid)
    assert (on_3.outstanding, on_3.interest, on_3.claimable) == (19_333, 388, 4388)
    on_10 = late_payment.for_invoice(session, invoice, date(2027, 2, 10), paid)
    assert (on_10.outstanding, on_10.days_overdue) == (0, 0)
    assert on_10.interest == 432  # 387.94 + 7 days on £193.33 (44.49) = 432.43
    assert on_10.claimable == 4432


def test_the_chasing_page_and_the_claim(client, sign_in, world, invoice, on_3_february):
    sign_in(world.provider)
    page = client.get("/invoices/chasing").get_data(as_text=True)
    row = page[page.index(invoice.number) :]
    row = row[: row.index("</tr>")]
    for figure in ("4 January 2027", ">30<", "£393.33", "£3.88", "£40.00", "£43.88"):
        assert figure in row, figure
    assert "4%" in page and "12%" in page and "January–June 2027" in page
    response = client.get(f"/invoices/{invoice.id}/claim.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"late-payment-claim-{invoice.number}.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.get_data())
    for figure in (
        invoice.number,
        "BC-SB-2026-0142",
        "Due date 4 January 2027",
        "30 days",
        "Amount outstanding £393.33",
        "4%",
        "12%",
        "Statutory interest £3.88",
        "Fixed compensation £40.00",
        "Total claimable £43.88",
        "£3.8794",
        "Late Payment of Commercial Debts (Interest) Act 1998",
    ):
        assert figure in text, figure


def test_the_invoice_page_shows_the_claim_to_its_issuer_only(client, sign_in, world, invoice, on_3_february):
    sign_in(world.provider)
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    claim = page[page.index('id="late-payment"') :]
    claim = claim[: claim.index("</p>")]
    for figure in ("30 days overdue", "statutory interest of £3.88", "compensation of £40.00", "£43.88"):
        assert figure in claim, figure
    assert f'href="/invoices/{invoice.id}/claim.pdf"' in claim
    sign_in(world.commissioner)  # the payer reads the invoice, not the provider's claim on it
    assert 'id="late-payment"' not in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)


def test_the_invoice_page_shows_no_claim_before_the_due_date(client, sign_in, world, invoice):
    with time_machine.travel(london_noon(date(2027, 1, 4)), tick=False):
        sign_in(world.provider)
        page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'id="late-payment"' not in page and "claim.pdf" not in page


def test_the_api_gives_the_figures_in_pence(client, bearer, world, invoice, on_3_february):
    body = client.get(f"/api/v1/invoices/{invoice.id}", headers=bearer(world.commissioner)).get_json()
    assert body["late_payment"] == {
        "on": "2027-02-03",
        "days_overdue": 30,
        "outstanding": 39_333,
        "reference_rate_bp": 400,
        "statutory_rate_bp": 1200,
        "interest": 388,
        "compensation": 4000,
        "claimable": 4388,
        "not_claimable": None,
    }
    aged = client.get("/api/v1/aged-debt", headers=bearer(world.provider)).get_json()
    council = next(r for r in aged["rows"] if r["party"]["name"] == "Brightwater Council")
    assert council["days_1_30"] == 39_333 and council["party"]["id"] == str(world.council.id)


def test_recorded_payments_carry_example_d_through(session, world, invoice):
    """The same, with the payments recorded (their dates feed the interest; £200.00 more on
    3 February is refused as more than is due), and a reversed payment counting as never paid."""
    with time_machine.travel(london_noon(date(2027, 2, 10)), tick=False):
        first = payments.record_payment(
            session, provider=world.provider_org, payer=world.council, amount=20_000,
            received_on=ON, reference="BWC-0203", actor=world.provider,
        )  # fmt: skip
        assert (invoice.status.label, invoice.amount_due) == ("Part paid", 19_333)
        with pytest.raises(Conflict) as refused:
            payments.record_payment(
                session, provider=world.provider_org, payer=world.council, amount=20_000,
                received_on=ON, reference="BWC-0203-B", allocations=[(invoice, 20_000)], actor=world.provider,
            )  # fmt: skip
        assert "£193.33" in refused.value.message
        payments.record_payment(
            session, provider=world.provider_org, payer=world.council, amount=19_333,
            received_on=date(2027, 2, 10), reference="BWC-0210", actor=world.provider,
        )  # fmt: skip
        assert invoice.status.label == "Paid"
        claim = late_payment.for_invoice(session, invoice)
        assert (claim.outstanding, claim.interest, claim.claimable) == (0, 432, 4432)
        payments.reverse_payment(session, first, "Bounced", actor=world.provider)
        claim = late_payment.for_invoice(session, invoice)  # £200.00 owed since 4 January
        assert claim.outstanding == 20_000 and claim.interest > 432
