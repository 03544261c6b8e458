"""Payments received (issue #15): DESIGN.md example D's payments figure for figure, allocation
across several invoices (oldest first, or as chosen), reversal, refusals, and a reference
recorded once. The ledger reconciles after every test (tests/conftest.py)."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.core.audit import AuditEntry
from marketplace.core.clock import LONDON
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.invoicing import books
from marketplace.invoicing.models import Invoice, InvoiceStatus, Payment, PaymentAllocation, PaymentReversal
from marketplace.invoicing.payments import record_payment, reverse_payment
from marketplace.invoicing.runs import run_invoices
from marketplace.ledger.models import Transfer

ISSUED_ON = date(2026, 12, 5)  # example D


def on(day: date):
    """The clock at noon, London time, on `day` (payments may not be dated in the future)."""
    return time_machine.travel(datetime(day.year, day.month, day.day, 12, tzinfo=LONDON), tick=False)


def council_invoice(session, world, units=2, days_ahead=10, issue_date=ISSUED_ON) -> Invoice:
    """Example B's stay invoiced: the council's share (£393.33 for two nights), issued on `issue_date`."""
    booking = world.delivered(units=units, days_ahead=days_ahead)
    run_invoices(session, world.service_date(booking), issue_date=issue_date)
    return session.scalar(
        select(Invoice).where(Invoice.payer_org_id == world.council.id).order_by(Invoice.id.desc()).limit(1)
    )


def pay(session, world, amount, received_on, reference, allocations=None, payer=None):
    return record_payment(
        session,
        provider=world.provider_org,
        payer=payer or world.council,
        amount=amount,
        received_on=received_on,
        reference=reference,
        allocations=allocations,
        actor=world.provider,
    )


def owed_in_ledger(session, invoice) -> int:
    return books.receivable_account(session, invoice).posted


# ---- example D -------------------------------------------------------------------------------


def test_example_d_200_part_pays_200_more_is_refused_193_33_pays_it(session, world):
    invoice = council_invoice(session, world)
    assert (invoice.number, invoice.total, invoice.due_date) == ("HIL-000001", 39333, date(2027, 1, 4))
    with on(date(2027, 2, 10)):
        first = pay(session, world, 20000, date(2027, 2, 3), "BWC-REM-0203", [(invoice, 20000)])
        assert (invoice.status, invoice.amount_paid, invoice.amount_due) == (
            InvoiceStatus.PART_PAID,
            20000,
            19333,
        )
        assert owed_in_ledger(session, invoice) == 19333

        with pytest.raises(Conflict) as refused:
            pay(session, world, 20000, date(2027, 2, 3), "BWC-REM-0203B", [(invoice, 20000)])
        assert refused.value.code == "more_than_due"
        assert refused.value.message == "£200.00 is more than the £193.33 due on HIL-000001"
        assert refused.value.fields == {"amount": ["More than the £193.33 due on HIL-000001"]}
        assert session.scalar(select(func.count(Payment.id))) == 1  # nothing written

        second = pay(session, world, 19333, date(2027, 2, 10), "BWC-REM-0210", [(invoice, 19333)])
    assert (invoice.status, invoice.amount_paid, invoice.amount_due) == (InvoiceStatus.PAID, 39333, 0)
    assert owed_in_ledger(session, invoice) == 0
    assert books.cash_account(session, world.provider_org.id).posted == 39333
    # one transfer per allocation, receivable -> cash, dated the day the money arrived
    transfers = {a.id: session.get(Transfer, a.transfer_id) for p in (first, second) for a in p.allocations}
    assert [(t.code, t.amount, t.effective_date) for t in transfers.values()] == [
        ("payment", 20000, date(2027, 2, 3)),
        ("payment", 19333, date(2027, 2, 10)),
    ]
    for allocation_id, transfer in transfers.items():
        assert (transfer.reference_type, transfer.reference_id) == ("payment_allocation", str(allocation_id))
        assert transfer.debit_account_id == books.receivable_account(session, invoice).id
        assert transfer.credit_account_id == books.cash_account(session, world.provider_org.id).id


def test_example_d_allocated_oldest_first_refuses_the_extra_200_the_same_way(session, world):
    invoice = council_invoice(session, world)
    with on(date(2027, 2, 10)):
        pay(session, world, 20000, date(2027, 2, 3), "BWC-1")
        with pytest.raises(Conflict, match=r"^£200.00 is more than the £193.33 due on HIL-000001$"):
            pay(session, world, 20000, date(2027, 2, 3), "BWC-2")
        pay(session, world, 19333, date(2027, 2, 10), "BWC-3")
    assert (invoice.status, invoice.amount_due) == (InvoiceStatus.PAID, 0)


# ---- allocation across several invoices ------------------------------------------------------


@pytest.fixture
def three_invoices(session, world):
    """Three council invoices, issued a week apart (so due a week apart), oldest first."""
    invoices = [
        council_invoice(
            session, world, units=1, days_ahead=10 + n, issue_date=date(2026, 12, 1) + timedelta(weeks=n)
        )
        for n in range(3)
    ]
    assert [i.total for i in invoices] == [19667, 19667, 19667]  # £295 split 3,000:1,500, council's share
    assert [i.due_date for i in invoices] == sorted(i.due_date for i in invoices)
    return invoices


def test_a_remittance_pays_the_oldest_invoices_first(session, world, three_invoices):
    old, middle, new = three_invoices
    with on(date(2027, 1, 20)):
        payment = pay(session, world, 30000, date(2027, 1, 20), "BWC-JAN")
    assert [(a.invoice_id, a.amount) for a in payment.allocations] == [(old.id, 19667), (middle.id, 10333)]
    assert [i.status for i in three_invoices] == [
        InvoiceStatus.PAID,
        InvoiceStatus.PART_PAID,
        InvoiceStatus.ISSUED,
    ]
    assert [i.amount_due for i in three_invoices] == [0, 9334, 19667]
    assert owed_in_ledger(session, old) == 9334 + 19667


def test_oldest_first_counts_only_invoices_issued_by_the_day_the_money_arrived(
    session, world, three_invoices
):
    old, middle, new = three_invoices  # issued 1, 8 and 15 December
    with on(date(2027, 1, 20)):
        with pytest.raises(Conflict) as refused:
            pay(session, world, 40000, date(2026, 12, 10), "BWC-DEC")
        assert refused.value.message == (
            f"£400.00 is more than the £393.34 due on all of Brightwater Council's open invoices "
            f"({old.number}, {middle.number})"
        )


def test_a_remittance_allocated_as_chosen(session, world, three_invoices):
    old, middle, new = three_invoices
    with on(date(2027, 1, 20)):
        payment = pay(session, world, 25000, date(2027, 1, 20), "BWC-CHOSEN", [(new, 19667), (middle, 5333)])
    assert sorted((a.invoice_id, a.amount) for a in payment.allocations) == [
        (middle.id, 5333),
        (new.id, 19667),
    ]
    assert [i.amount_due for i in three_invoices] == [19667, 14334, 0]
    assert [i.status for i in three_invoices] == [
        InvoiceStatus.ISSUED,
        InvoiceStatus.PART_PAID,
        InvoiceStatus.PAID,
    ]


def test_chosen_allocations_must_add_up_and_each_be_within_what_is_due(session, world, three_invoices):
    old, middle, new = three_invoices
    with on(date(2027, 1, 20)):
        with pytest.raises(ValidationFailed) as bad:
            pay(session, world, 25000, date(2027, 1, 20), "X", [(new, 19667), (middle, 5000)])
        assert bad.value.fields == {
            "amount": ["The amounts allocated add up to £246.67, not the £250.00 received"]
        }
        with pytest.raises(Conflict) as over:
            pay(session, world, 30000, date(2027, 1, 20), "X", [(old, 10000), (new, 20000)])
        assert over.value.message == f"£200.00 is more than the £196.67 due on {new.number}"
        assert over.value.fields == {"allocations.1.amount": [f"More than the £196.67 due on {new.number}"]}
        with pytest.raises(ValidationFailed) as twice:
            pay(session, world, 20000, date(2027, 1, 20), "X", [(old, 10000), (old, 10000)])
        assert twice.value.fields == {"allocations.1.invoice": [f"Invoice {old.number} is named twice"]}
    assert session.scalar(select(func.count(Payment.id))) == 0
    assert [i.amount_paid for i in three_invoices] == [0, 0, 0]


def test_an_invoice_to_another_payer_cannot_take_the_payment(session, world):
    council = council_invoice(session, world)
    icb = session.scalar(select(Invoice).where(Invoice.payer_org_id == world.icb.id))
    with on(date(2027, 1, 20)), pytest.raises(ValidationFailed) as bad:
        pay(session, world, 10000, date(2027, 1, 20), "X", [(council, 5000), (icb, 5000)])
    assert bad.value.fields == {"allocations.1.invoice": ["Not one of this payer's invoices from you"]}


# ---- refusals -----------------------------------------------------------------------------------


def test_a_payment_larger_than_everything_owed_is_refused(session, world):
    invoice = council_invoice(session, world)
    with on(date(2027, 1, 20)), pytest.raises(Conflict) as refused:
        pay(session, world, 39334, date(2027, 1, 20), "BWC-OVER")
    assert refused.value.message == "£393.34 is more than the £393.33 due on HIL-000001"
    assert invoice.amount_paid == 0 and session.scalar(select(func.count(Payment.id))) == 0


def test_nothing_to_pay_is_refused(session, world):
    council_invoice(session, world)
    other = world.make.org("commissioner", name="Elsewhere Council")
    with on(date(2027, 1, 20)), pytest.raises(Conflict) as refused:
        pay(session, world, 100, date(2027, 1, 20), "X", payer=other)
    assert refused.value.code == "nothing_due"


@pytest.mark.parametrize(
    ("amount", "received_on", "reference", "field"),
    [
        (0, date(2027, 1, 20), "R", "amount"),
        (-500, date(2027, 1, 20), "R", "amount"),
        (12.5, date(2027, 1, 20), "R", "amount"),
        (True, date(2027, 1, 20), "R", "amount"),
        (10**13, date(2027, 1, 20), "R", "amount"),
        (100, date(2027, 1, 21), "R", "received_on"),  # tomorrow
        (100, "2027-01-20", "R", "received_on"),
        (100, date(2027, 1, 20), "   ", "reference"),
        (100, date(2027, 1, 20), "R" * 121, "reference"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    session, world, amount, received_on, reference, field
):
    council_invoice(session, world)
    with on(date(2027, 1, 20)), pytest.raises(ValidationFailed) as bad:
        pay(session, world, amount, received_on, reference)
    assert list(bad.value.fields) == [field]
    assert session.scalar(select(func.count(Payment.id))) == 0


def test_money_received_before_the_invoice_was_issued_is_refused(session, world):
    invoice = council_invoice(session, world)
    with on(date(2027, 1, 20)), pytest.raises(ValidationFailed) as bad:
        pay(session, world, 100, date(2026, 12, 4), "EARLY", [(invoice, 100)])
    assert bad.value.fields == {
        "received_on": ["The money was received before invoice HIL-000001 was issued on 5 December 2026"]
    }


# ---- the same reference ---------------------------------------------------------------------


def test_the_same_payment_recorded_twice_is_recorded_once(session, world):
    invoice = council_invoice(session, world)
    with on(date(2027, 2, 10)):
        first = pay(session, world, 20000, date(2027, 2, 3), "BWC-REM-0203")
        again = pay(session, world, 20000, date(2027, 2, 3), "  BWC-REM-0203 ")
        chosen = pay(session, world, 20000, date(2027, 2, 3), "BWC-REM-0203", [(invoice, 20000)])
    assert again is first and chosen is first
    assert (invoice.amount_paid, session.scalar(select(func.count(Payment.id)))) == (20000, 1)
    assert session.scalar(select(func.count(Transfer.id)).where(Transfer.code == "payment")) == 1


def test_the_same_reference_for_a_different_payment_is_refused(session, world):
    council_invoice(session, world)
    with on(date(2027, 2, 10)):
        pay(session, world, 20000, date(2027, 2, 3), "BWC-REM-0203")
        with pytest.raises(Conflict) as refused:
            pay(session, world, 10000, date(2027, 2, 3), "BWC-REM-0203")
    assert refused.value.code == "reference_used"
    assert refused.value.message == (
        "Reference BWC-REM-0203 was already used for £200.00 received on 3 February 2027; "
        "a payment's reference is used once per payer"
    )


def test_references_are_per_payer(session, world):
    council = council_invoice(session, world)
    icb = session.scalar(select(Invoice).where(Invoice.payer_org_id == world.icb.id))
    with on(date(2027, 2, 10)):
        pay(session, world, 100, date(2027, 2, 3), "REM-1")
        pay(session, world, 100, date(2027, 2, 3), "REM-1", payer=world.icb)
    assert (council.amount_paid, icb.amount_paid) == (100, 100)


# ---- reversal --------------------------------------------------------------------------------


def test_reversing_a_payment_puts_back_what_is_owed_and_is_kept_beside_it(session, world, three_invoices):
    old, middle, new = three_invoices
    with on(date(2027, 1, 20)):
        keep = pay(session, world, 5000, date(2027, 1, 19), "BWC-KEEP", [(middle, 5000)])
        payment = pay(session, world, 30000, date(2027, 1, 20), "BWC-JAN")
    with on(date(2027, 1, 25)):
        reversal = reverse_payment(
            session, payment, "  The council's bank recalled it  ", actor=world.provider
        )
    assert (reversal.reason, reversal.reversed_on, reversal.reversed_by_id) == (
        "The council's bank recalled it",
        date(2027, 1, 25),
        world.provider.id,
    )
    assert payment.is_reversed and payment.amount == 30000 and len(payment.allocations) == 2  # never edited
    assert [i.amount_paid for i in three_invoices] == [0, 5000, 0]
    assert [i.status for i in three_invoices] == [
        InvoiceStatus.ISSUED,
        InvoiceStatus.PART_PAID,
        InvoiceStatus.ISSUED,
    ]
    assert owed_in_ledger(session, old) == 3 * 19667 - 5000
    assert not keep.is_reversed
    # each allocation's transfer reversed by a new transfer pointing at it, dated the day of reversal
    for allocation in payment.allocations:
        reversing = session.scalar(select(Transfer).where(Transfer.reverses_id == allocation.transfer_id))
        assert (reversing.code, reversing.amount, reversing.effective_date) == (
            "payment_reversal",
            allocation.amount,
            date(2027, 1, 25),
        )
    actions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.object_type == "invoice_payment", AuditEntry.object_id == str(payment.id)
        )
    ).all()
    assert sorted(actions) == ["invoicing.payment_recorded", "invoicing.payment_reversed"]


def test_a_payment_is_reversed_once(session, world):
    invoice = council_invoice(session, world)
    with on(date(2027, 2, 10)):
        payment = pay(session, world, 20000, date(2027, 2, 3), "BWC-1")
        reverse_payment(session, payment, "Recorded against the wrong payer", actor=world.provider)
        with pytest.raises(Conflict) as twice:
            reverse_payment(session, payment, "Again", actor=world.provider)
    assert twice.value.code == "already_reversed"
    assert session.scalar(select(func.count(PaymentReversal.id))) == 1
    assert session.scalar(select(func.count(Transfer.id)).where(Transfer.code == "payment_reversal")) == 1
    assert (invoice.amount_paid, invoice.status) == (0, InvoiceStatus.ISSUED)


def test_a_reversal_needs_a_reason(session, world):
    council_invoice(session, world)
    with on(date(2027, 2, 10)):
        payment = pay(session, world, 20000, date(2027, 2, 3), "BWC-1")
        with pytest.raises(ValidationFailed) as bad:
            reverse_payment(session, payment, "   ", actor=world.provider)
    assert bad.value.fields == {"reason": ["Enter why the payment is being reversed"]}
    assert not payment.is_reversed


def test_a_reversed_reference_is_not_silently_replayed(session, world):
    council_invoice(session, world)
    with on(date(2027, 2, 10)):
        payment = pay(session, world, 20000, date(2027, 2, 3), "BWC-1")
        reverse_payment(session, payment, "Bounced", actor=world.provider)
        with pytest.raises(Conflict, match="was reversed; record the money again under a new reference"):
            pay(session, world, 20000, date(2027, 2, 3), "BWC-1")
        pay(session, world, 20000, date(2027, 2, 3), "BWC-1/2")


def test_after_reversal_the_invoice_can_be_paid_in_full_again(session, world):
    invoice = council_invoice(session, world)
    with on(date(2027, 2, 10)):
        payment = pay(session, world, 39333, date(2027, 2, 3), "BWC-1")
        assert invoice.status is InvoiceStatus.PAID
        reverse_payment(session, payment, "Bounced", actor=world.provider)
        pay(session, world, 39333, date(2027, 2, 10), "BWC-2")
    assert (invoice.status, invoice.amount_due, owed_in_ledger(session, invoice)) == (
        InvoiceStatus.PAID,
        0,
        0,
    )


# ---- never edited or deleted -----------------------------------------------------------------


def test_payments_are_never_edited_or_deleted(session, world):
    council_invoice(session, world)
    with on(date(2027, 2, 10)):
        payment = pay(session, world, 20000, date(2027, 2, 3), "BWC-1")
    session.commit()
    payment.amount = 100
    with pytest.raises(Conflict, match="never changes"):
        session.flush()
    session.rollback()
    allocation = payment.allocations[0]
    allocation.transfer_id = None
    with pytest.raises(Conflict, match="never changes"):
        session.flush()
    session.rollback()
    session.delete(payment.allocations[0])
    with pytest.raises(Conflict, match="never deleted"):
        session.flush()
    session.rollback()
    assert session.scalar(select(func.count(PaymentAllocation.id))) == 1
    assert ledger.reconcile(session) == []
