"""A funder's payment of an ISF funding invoice is the ISF's receipt (isf_funding.receive_payment):
the same receipts, contingency and availability as a receipt typed in by hand; a part payment is
a part receipt; a replay changes nothing."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.invoicing import isf_funding, operations
from marketplace.invoicing.models import Invoice, IsfFundingReceipt
from marketplace.invoicing.runs import run_invoices
from marketplace.isf.models import IsfReceipt
from tests.isf.conftest import IsfWorld

START = date(2026, 4, 6)


@pytest.fixture
def amy(session, make):
    world = IsfWorld(session, make)
    world.example_a()
    return world


def quarter_one(session, amy) -> dict[str, Invoice]:
    """Example A's quarter-1 funding invoices, issued by a real run: by stream kind."""
    run_invoices(session, START, issue_date=START)
    invoices = {}
    for invoice in session.scalars(select(Invoice)):
        kind = invoice.lines[0].description.rsplit(" ", 1)[1]
        invoices[{"care": "social_care"}.get(kind, kind)] = invoice
    return invoices


def transfers(session) -> int:
    return session.scalar(select(func.count()).select_from(ledger.Transfer))


def test_paying_the_quarter_one_invoices_makes_example_as_receipts(session, amy):
    invoices = quarter_one(session, amy)
    for kind in ("social_care", "health", "education"):
        invoice = invoices[kind]
        isf_funding.receive_payment(session, invoice, invoice.total, START, f"REM-{kind}")
    receipts = session.scalars(select(IsfReceipt).order_by(IsfReceipt.id)).all()
    # the figures the hand-typed receipts give (tests/isf/test_example_a.py)
    assert [(r.stream_id, r.amount, r.contingency) for r in receipts] == [
        (amy.social.id, 455_000, 22_750),
        (amy.health.id, 260_000, 13_000),
        (amy.education.id, 65_000, 3_250),
    ]
    assert [r.reference for r in receipts] == [
        f"{invoices['social_care'].number} REM-social_care",
        f"{invoices['health'].number} REM-health",
        f"{invoices['education'].number} REM-education",
    ]
    assert (amy.contingency(), amy.available()) == (39_000, 741_000)


def test_the_same_as_a_receipt_typed_in_by_hand(session, amy, make):
    invoices = quarter_one(session, amy)
    isf_funding.receive_payment(session, invoices["social_care"], 455_000, START, "REM-1")
    by_invoice = (amy.available(), amy.contingency())
    hand = IsfWorld(session, make)
    hand.example_a()
    hand.pay(hand.social)
    assert by_invoice == (hand.available(), hand.contingency()) == (432_250, 22_750)


def test_a_part_payment_is_a_part_receipt_and_the_rest_follows(session, amy):
    invoice = quarter_one(session, amy)["social_care"]
    [first] = isf_funding.receive_payment(session, invoice, 200_000, START, "REM-part-1")
    assert (first.amount, first.contingency) == (200_000, 10_000)
    assert (amy.available(), amy.contingency()) == (190_000, 10_000)
    [second] = isf_funding.receive_payment(session, invoice, 255_000, date(2026, 4, 20), "REM-part-2")
    assert (second.amount, second.received_on) == (255_000, date(2026, 4, 20))
    assert (amy.available(), amy.contingency()) == (432_250, 22_750)
    # the instalment is fully received: more money against this invoice makes no further receipt
    assert isf_funding.receive_payment(session, invoice, 1, date(2026, 4, 21), "REM-extra") == []
    assert session.scalar(select(func.sum(IsfReceipt.amount))) == 455_000


def test_replaying_a_payment_writes_nothing_and_a_different_one_under_its_reference_is_refused(session, amy):
    invoice = quarter_one(session, amy)["health"]
    [receipt] = isf_funding.receive_payment(session, invoice, 100_000, START, "REM-9")
    before = transfers(session)
    assert isf_funding.receive_payment(session, invoice, 100_000, START, " REM-9 ") == [receipt]
    assert transfers(session) == before and amy.available() == 95_000
    with pytest.raises(Conflict) as refused:
        isf_funding.receive_payment(session, invoice, 100_000, START + timedelta(days=1), "REM-9")
    assert refused.value.fields == {"reference": ["Already used for a different payment of this invoice"]}
    with pytest.raises(Conflict):
        isf_funding.receive_payment(session, invoice, 50_000, START, "REM-9")
    assert transfers(session) == before


def test_a_payment_spreads_over_the_invoices_instalments_oldest_first(session, amy, make):
    weekly = IsfWorld(session, make)
    weekly.example_a(cycle="weekly")  # £350.00 of social care every Monday
    run_invoices(session, START + timedelta(days=7), weekly.hilltop)  # two weeks on one invoice
    invoice = session.scalar(
        select(Invoice).where(Invoice.issuer_id == weekly.hilltop.id, Invoice.po_number == "BWC-SC-4471")
    )
    assert [line.amount for line in invoice.lines] == [35_000, 35_000]
    [receipt] = isf_funding.receive_payment(session, invoice, 50_000, START + timedelta(days=8), "BACS-1")
    assert receipt.amount == 50_000  # one receipt per stream, whatever the lines
    parts = session.scalars(select(IsfFundingReceipt).order_by(IsfFundingReceipt.id)).all()
    assert [(p.invoice_line_id, p.amount) for p in parts] == [
        (invoice.lines[0].id, 35_000),
        (invoice.lines[1].id, 15_000),
    ]
    [rest] = isf_funding.receive_payment(session, invoice, 20_000, START + timedelta(days=9), "BACS-2")
    assert rest.amount == 20_000
    assert isf_funding.still_to_receive(session, invoice.lines) == {line.id: 0 for line in invoice.lines}


def test_an_invoice_without_isf_funding_makes_no_receipt(session, amy, make):
    from tests.invoicing.conftest import InvoicingWorld

    care = InvoicingWorld(session, make)
    booking = care.delivered(units=1)
    operations.record_billable_items(session, care.service_date(booking))
    key = operations.unbilled_groups(session, care.service_date(booking), care.provider_org.id)[0]
    invoice = operations.invoice_group(session, key, care.service_date(booking))
    assert isf_funding.receive_payment(session, invoice, invoice.total, START, "REM-care") == []
    assert session.scalar(select(func.count(IsfReceipt.id))) == 0


@pytest.mark.parametrize(
    ("amount", "received_on", "reference", "field"),
    [
        (0, START, "REM-1", "amount"),
        (-5, START, "REM-1", "amount"),
        (1.5, START, "REM-1", "amount"),
        (100, None, "REM-1", "received_on"),
        (100, START, "  ", "reference"),
        (100, START, "R" * 120, "reference"),
        (100, date(2020, 1, 1), "REM-1", "received_on"),  # outside the ISF's window
    ],
)
def test_bad_payments_are_refused_naming_the_field_and_write_nothing(
    session, amy, amount, received_on, reference, field
):
    invoice = quarter_one(session, amy)["social_care"]
    before = transfers(session)
    with pytest.raises(ValidationFailed) as refused:
        isf_funding.receive_payment(session, invoice, amount, received_on, reference)
    assert field in refused.value.fields
    assert transfers(session) == before
    assert session.scalar(select(func.count(IsfReceipt.id))) == 0


def test_a_draft_is_not_paid(session, amy):
    operations.record_billable_items(session, START)
    key = operations.unbilled_groups(session, START)[0]
    draft = operations.draft_invoice(session, operations.unbilled_items(session, key, START))
    with pytest.raises(Conflict):
        isf_funding.receive_payment(session, draft, 100, START, "REM-1")
