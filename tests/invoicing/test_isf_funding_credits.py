"""A credit note on an ISF funding invoice reduces what the ISF still expects from that funder
(isf_funding.still_to_receive), so a later payment of the invoice is received line by line
against what is still owed on each line."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.invoicing import credit_notes, isf_funding, payments
from marketplace.invoicing.models import Invoice, InvoiceStatus, IsfFundingReceipt
from marketplace.invoicing.runs import run_invoices
from tests.invoicing.test_isf_payments import pay
from tests.invoicing.test_isf_receipts import START, quarter_one
from tests.isf.conftest import IsfWorld


@pytest.fixture
def weekly(session, make) -> tuple[IsfWorld, Invoice]:
    """Amy's ISF paid weekly: two weeks of social care (£350.00 each) on one invoice."""
    world = IsfWorld(session, make)
    world.example_a(cycle="weekly")
    run_invoices(session, START + timedelta(days=7), world.hilltop, issue_date=START + timedelta(days=7))
    invoice = session.scalar(select(Invoice).where(Invoice.po_number == "BWC-SC-4471"))
    assert [line.amount for line in invoice.lines] == [35_000, 35_000]
    return world, invoice


def credit(session, invoice, position, amount):
    return credit_notes.issue_credit_note(
        session, invoice, reason="One night not delivered", lines=[{"line": position, "amount": amount}],
        actor=None,
    )  # fmt: skip


def test_a_credit_note_reduces_what_the_isf_still_expects_on_that_line(session, weekly):
    _, invoice = weekly
    first, second = invoice.lines
    credit(session, invoice, first.position, 10_000)
    assert isf_funding.still_to_receive(session, invoice.lines) == {first.id: 25_000, second.id: 35_000}


def test_after_a_credit_the_payment_of_what_is_due_is_received_against_each_lines_rest(session, weekly):
    world, invoice = weekly
    first, second = invoice.lines
    credit(session, invoice, first.position, 10_000)
    assert invoice.amount_due == 60_000
    pay(session, world, invoice, 35_000, "BACS-1", on=START + timedelta(days=8))
    parts = session.scalars(select(IsfFundingReceipt).order_by(IsfFundingReceipt.id)).all()
    assert [(p.invoice_line_id, p.amount) for p in parts] == [(first.id, 25_000), (second.id, 10_000)]
    pay(session, world, invoice, 25_000, "BACS-2", on=START + timedelta(days=9))
    assert invoice.status is InvoiceStatus.PAID
    assert isf_funding.still_to_receive(session, invoice.lines) == {first.id: 0, second.id: 0}
    assert world.available() + world.contingency() == 60_000  # what the funder paid, no more


def test_what_a_part_payment_left_and_a_credit_took_off_leaves_nothing_expected(session, make):
    world = IsfWorld(session, make)
    world.example_a()
    social = quarter_one(session, world)["social_care"]
    pay(session, world, social, 200_000, "REM-1")
    credit(session, social, social.lines[0].position, 255_000)  # the rest, credited
    assert isf_funding.still_to_receive(session, social.lines) == {social.lines[0].id: 0}


def test_a_reversed_payment_is_expected_again_less_the_credit(session, weekly):
    world, invoice = weekly
    first, second = invoice.lines
    payment = pay(session, world, invoice, 70_000, "BACS-1", on=START + timedelta(days=8))
    payments.reverse_payment(session, payment, "Recalled by the council's bank")
    credit(session, invoice, second.position, 5_000)
    assert isf_funding.still_to_receive(session, invoice.lines) == {first.id: 35_000, second.id: 30_000}
