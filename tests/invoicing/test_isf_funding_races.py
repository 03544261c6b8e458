"""ISF funding under real concurrency on PostgreSQL: two runs at once bill each instalment once;
payments of one invoice at once never receive more than it bills; reversing a payment that became
a receipt while the weekly drawdown runs never leaves the ISF negative."""

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.core.errors import Conflict
from marketplace.invoicing import isf_funding, payments
from marketplace.invoicing.models import BillableItem, Invoice, InvoiceLine, Payment, PaymentReversal
from marketplace.invoicing.runs import run_invoices
from marketplace.isf import jobs
from marketplace.isf.models import IsfDrawdown, IsfReceipt
from tests.invoicing.test_races import together
from tests.isf.conftest import IsfWorld

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]

START = date(2026, 4, 6)


def test_two_runs_at_once_bill_each_instalment_once(app, session, make):
    world = IsfWorld(session, make)
    world.example_a(cycle="monthly")
    session.commit()
    through = date(2026, 6, 6)  # three months of three streams

    results = together(app, [lambda s: run_invoices(s, through) for _ in range(2)])
    assert not [r for r in results if isinstance(r, str)], results
    assert not any(r.failed for r in results), [r.failed for r in results]
    session.expire_all()
    items = list(session.scalars(select(BillableItem)))
    assert len(items) == 9 and all(i.invoice_id is not None for i in items)
    assert sum(r.items_recorded for r in results) == 9
    assert session.scalar(select(func.count(func.distinct(InvoiceLine.billable_item_id)))) == 9
    assert session.scalar(select(func.count(Invoice.id))) == 3  # one per funder and PO
    assert session.scalar(select(func.sum(Invoice.total))) == sum(i.amount for i in items)


def test_payments_of_one_invoice_at_once_never_receive_more_than_it_bills(app, session, make):
    world = IsfWorld(session, make)
    world.example_a()
    run_invoices(session, START, issue_date=START)
    invoice_id = session.scalar(select(Invoice.id).where(Invoice.po_number == "BWC-SC-4471"))

    def pay(reference):
        def job(s):
            receipts = isf_funding.receive_payment(s, s.get(Invoice, invoice_id), 300_000, START, reference)
            return [r.amount for r in receipts]

        return job

    results = together(app, [pay("BACS-A"), pay("BACS-B"), pay("BACS-A")])
    assert not [r for r in results if isinstance(r, str)], results
    session.expire_all()
    amounts = sorted(session.scalars(select(IsfReceipt.amount)))
    assert amounts == [155_000, 300_000]  # the second payment takes only what is left; the replay nothing
    assert world.available() + world.contingency() == 455_000


def test_a_reversal_racing_the_weekly_drawdown_never_leaves_the_isf_negative(app, session, make):
    """Either the reversal takes the whole receipt back first (and the drawdown finds nothing to
    draw), or the drawdown draws first (and the reversal is refused, isf_receipt_drawn)."""
    world = IsfWorld(session, make)
    world.example_a()
    run_invoices(session, START, issue_date=START)
    invoice = session.scalar(select(Invoice).where(Invoice.po_number == "BWC-SC-4471"))
    payment = payments.record_payment(
        session, provider=invoice.issuer, payer=invoice.payer_org, amount=invoice.total,
        received_on=START, reference="REM-1", allocations=[(invoice, invoice.total)],
    )  # fmt: skip
    session.commit()
    payment_id = payment.id

    def reverse(s):
        try:
            payments.reverse_payment(s, s.get(Payment, payment_id), "The council's bank recalled it")
        except Conflict as refused:
            s.rollback()
            return refused.code
        return "reversed"

    def draw(s):
        return jobs.run_weekly_drawdowns(s, date(2026, 4, 29)).total_drawn

    results = together(app, [reverse, draw])
    assert not [r for r in results if isinstance(r, str) and r.startswith("error")], results
    session.expire_all()
    drawn = session.scalar(select(func.coalesce(func.sum(IsfDrawdown.drawn), 0)))
    reversed_ = session.scalar(select(func.count(PaymentReversal.id)))
    assert world.available() >= 0 and world.contingency() >= 0
    if reversed_:  # the reversal went first: nothing was left to draw
        assert "reversed" in results and drawn == 0
        assert (world.available(), world.contingency()) == (0, 0)
    else:  # the drawdown went first: four weeks drawn, the reversal refused
        assert results.count("isf_receipt_drawn") == 1, results
        assert drawn == 228_000 and world.available() == 432_250 - 228_000
    assert ledger.reconcile(session) == []
