"""Reversing a funder's payment that became an ISF's receipt takes the receipt back out of the ISF
in the same transaction (available and contingency go back, the receipt is marked reversed), or
is refused with a 409 `isf_receipt_drawn` that names what has gone, and nothing is written."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.core.errors import Conflict
from marketplace.invoicing import isf_funding, payments
from marketplace.invoicing.models import InvoiceStatus, PaymentReversal
from marketplace.isf import operations as isf_operations
from marketplace.isf import statements
from marketplace.isf.models import IsfReceipt, IsfReceiptReversal
from tests.invoicing.test_isf_payments import pay
from tests.invoicing.test_isf_receipts import START, quarter_one
from tests.isf.conftest import IsfWorld

FOURTH_WEEK = date(2026, 4, 29)  # four drawdowns of £570.00 by then (example A)
LONDON = ZoneInfo("Europe/London")


def on(time_machine, day: date) -> None:
    time_machine.move_to(datetime(day.year, day.month, day.day, 12, tzinfo=LONDON), tick=False)


@pytest.fixture
def amy(session, make):
    world = IsfWorld(session, make)
    world.example_a()
    return world


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_reversing_the_payment_takes_the_receipt_back_out_of_the_isf(session, amy):
    social = quarter_one(session, amy)["social_care"]
    payment = pay(session, amy, social, social.total, "REM-1")
    assert (amy.contingency(), amy.available()) == (22_750, 432_250)

    payments.reverse_payment(session, payment, "The council's bank recalled it", actor=None)

    assert (amy.contingency(), amy.available()) == (0, 0)
    assert social.status is InvoiceStatus.ISSUED and social.amount_due == 455_000
    [receipt] = session.scalars(select(IsfReceipt)).all()
    assert receipt.amount == 455_000 and receipt.is_reversed  # the receipt stays, marked reversed
    assert receipt.reversal.reason == "Payment REM-1 reversed: The council's bank recalled it"
    assert ledger.reconcile(session) == []
    [line] = social.lines
    assert isf_funding.still_to_receive(session, [line]) == {line.id: 455_000}


def test_after_the_reversal_the_money_paid_again_is_a_new_receipt(session, amy):
    social = quarter_one(session, amy)["social_care"]
    payments.reverse_payment(session, pay(session, amy, social, social.total, "REM-1"), "Bounced")
    pay(session, amy, social, social.total, "REM-1-again")
    assert social.status is InvoiceStatus.PAID
    assert [r.is_reversed for r in session.scalars(select(IsfReceipt).order_by(IsfReceipt.id))] == [
        True,
        False,
    ]
    assert (amy.contingency(), amy.available()) == (22_750, 432_250)


def test_a_receipt_already_drawn_down_is_not_reversed_and_nothing_moves(session, amy):
    social = quarter_one(session, amy)["social_care"]
    payment = pay(session, amy, social, social.total, "REM-1")
    isf_operations.post_due_drawdowns(session, [amy.isf], FOURTH_WEEK)
    assert amy.available() == 204_250  # £4,322.50 − 4 × £570.00
    transfers = count(session, ledger.Transfer)

    with pytest.raises(Conflict) as refused:
        payments.reverse_payment(session, payment, "Bounced", actor=None)

    error = refused.value
    assert error.code == "isf_receipt_drawn"
    assert "REM-1" in error.message and "£4,550.00" in error.message
    assert "£2,280.00 of it has already been drawn down or released" in error.message
    assert "Nothing was reversed" in error.message
    assert count(session, ledger.Transfer) == transfers
    assert count(session, PaymentReversal) == count(session, IsfReceiptReversal) == 0
    assert social.status is InvoiceStatus.PAID and not payment.is_reversed
    assert (amy.contingency(), amy.available()) == (22_750, 204_250)


def test_released_contingency_cannot_be_taken_back(session, amy):
    social = quarter_one(session, amy)["social_care"]
    payment = pay(session, amy, social, social.total, "REM-1")
    release = isf_operations.request_release(session, amy.isf, amount=10_000, reason="Extra night")
    isf_operations.approve_release(session, release, organisation=amy.council)
    with pytest.raises(Conflict) as refused:
        payments.reverse_payment(session, payment, "Bounced", actor=None)
    assert refused.value.code == "isf_receipt_drawn" and "£100.00 of it" in refused.value.message
    assert (amy.contingency(), amy.available()) == (12_750, 432_250)


def test_other_funders_money_still_in_the_isf_lets_the_reversal_through(session, amy):
    """Money in an ISF is not earmarked by receipt: what counts is that the ISF still holds it."""
    invoices = quarter_one(session, amy)
    paid = {kind: pay(session, amy, invoices[kind], invoices[kind].total, f"REM-{kind}") for kind in invoices}
    isf_operations.post_due_drawdowns(session, [amy.isf], FOURTH_WEEK)
    assert amy.available() == 513_000  # example A: £5,130.00
    payments.reverse_payment(session, paid["social_care"], "Paid to the wrong provider")
    assert (amy.contingency(), amy.available()) == (39_000 - 22_750, 513_000 - 432_250)
    assert ledger.reconcile(session) == []


def test_the_statement_shows_the_reversal_and_still_adds_up(session, amy, time_machine):
    on(time_machine, date(2026, 4, 30))
    invoices = quarter_one(session, amy)
    paid = {kind: pay(session, amy, invoices[kind], invoices[kind].total, f"REM-{kind}") for kind in invoices}
    isf_operations.post_due_drawdowns(session, [amy.isf], FOURTH_WEEK)
    payments.reverse_payment(session, paid["education"], "Bounced")

    s = statements.statement(session, amy.isf, START, date(2026, 4, 30))
    assert s["receipts"] == 780_000 - 65_000 and s["contingency_set_aside"] == 39_000 - 3_250
    closing = s["opening"]["available"] + s["receipts"] - s["contingency_set_aside"] - s["drawn"]
    assert closing == s["closing"]["available"] == 513_000 - 61_750
    assert s["closing"]["contingency"] == 39_000 - 3_250
    [line] = [line for line in s["lines"] if line["type"] == "receipt_reversal"]
    assert line["date"] == date(2026, 4, 30) and line["amount"] == -65_000
    education = next(f for f in s["funders"] if f["stream"] == "education")
    assert (education["receipts"], education["contingency_set_aside"], education["contributed"]) == (0, 0, 0)


def test_the_api_refusal_is_a_409_naming_what_was_drawn(client, session, amy, bearer, make):
    social = quarter_one(session, amy)["social_care"]
    payment = pay(session, amy, social, social.total, "REM-1")
    isf_operations.post_due_drawdowns(session, [amy.isf], FOURTH_WEEK)
    session.commit()
    staff = make.user("provider", org=amy.hilltop)
    response = client.post(
        f"/api/v1/payments/{payment.id}/reversal", json={"reason": "Bounced"}, headers=bearer(staff)
    )
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "isf_receipt_drawn" and "£2,280.00" in error["message"]
    session.expire_all()
    assert not payment.is_reversed and amy.available() == 204_250


def test_the_isf_page_marks_the_receipt_reversed(client, session, amy, make, sign_in, time_machine):
    on(time_machine, date(2026, 5, 4))
    social = quarter_one(session, amy)["social_care"]
    payments.reverse_payment(session, pay(session, amy, social, social.total, "REM-1"), "Bounced")
    session.commit()
    sign_in(make.user("provider", org=amy.hilltop))
    page = client.get(f"/isfs/{amy.isf.id}").get_data(as_text=True)
    assert "Reversed 4 May 2026" in page


def test_the_reversal_page_says_what_was_drawn_and_reverses_nothing(
    client, session, amy, make, sign_in, csrf
):
    social = quarter_one(session, amy)["social_care"]
    payment = pay(session, amy, social, social.total, "REM-1")
    isf_operations.post_due_drawdowns(session, [amy.isf], FOURTH_WEEK)
    session.commit()
    sign_in(make.user("provider", org=amy.hilltop))
    response = client.post(
        f"/payments/{payment.id}/reversal", data={"reason": "Bounced", "csrf_token": csrf()}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and 'class="govuk-error-summary"' in page
    assert "£2,280.00 of it has already been drawn down or released" in page
    session.expire_all()
    assert not payment.is_reversed and amy.available() == 204_250
