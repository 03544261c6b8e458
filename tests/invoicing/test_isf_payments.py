"""Recording a funder's payment of an ISF funding invoice (payments.record_payment) makes the ISF's
receipt in the same transaction: example A's figures; a part payment is a part receipt.
Reversing such a payment: test_isf_payment_reversals.py."""

import pytest
from sqlalchemy import select

from marketplace.invoicing import payments
from marketplace.invoicing.models import InvoiceStatus
from marketplace.isf.models import IsfReceipt
from tests.invoicing.test_isf_receipts import START, quarter_one
from tests.isf.conftest import IsfWorld


@pytest.fixture
def amy(session, make):
    world = IsfWorld(session, make)
    world.example_a()
    return world


def pay(session, world, invoice, amount, reference, on=START):
    return payments.record_payment(
        session, provider=invoice.issuer, payer=invoice.payer_org, amount=amount, received_on=on,
        reference=reference, allocations=[(invoice, amount)], actor=None,
    )  # fmt: skip


def test_paying_the_quarter_one_invoices_gives_example_as_contingency_and_available(session, amy):
    invoices = quarter_one(session, amy)
    for kind in ("social_care", "health", "education"):
        pay(session, amy, invoices[kind], invoices[kind].total, f"REM-{kind}")
    assert {i.status for i in invoices.values()} == {InvoiceStatus.PAID}
    receipts = session.scalars(select(IsfReceipt).order_by(IsfReceipt.id)).all()
    assert [r.amount for r in receipts] == [455_000, 260_000, 65_000]
    assert (amy.contingency(), amy.available()) == (39_000, 741_000)  # example A: £390.00, £7,410.00


def test_a_part_payment_is_a_part_receipt(session, amy):
    social = quarter_one(session, amy)["social_care"]
    pay(session, amy, social, 200_000, "REM-1")
    assert social.status is InvoiceStatus.PART_PAID and social.amount_due == 255_000
    [receipt] = session.scalars(select(IsfReceipt)).all()
    assert (receipt.amount, receipt.contingency) == (200_000, 10_000)
    assert (amy.contingency(), amy.available()) == (10_000, 190_000)
