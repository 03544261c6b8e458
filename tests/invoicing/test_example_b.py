"""DESIGN.md worked example B, invoiced figure for figure; a late-cancellation charge; runs twice."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.bookings import operations as bookings
from marketplace.budgets.books import stream_account
from marketplace.invoicing import books
from marketplace.invoicing.models import BillableItem, Invoice, InvoiceLine, InvoiceStatus, VatCategory
from marketplace.invoicing.runs import run_invoices

ISSUED_ON = date(2026, 12, 5)


def invoices(session):
    return list(session.scalars(select(Invoice).order_by(Invoice.payer_org_id, Invoice.id)))


def test_a_delivered_two_night_stay_bills_393_33_to_the_council_and_196_67_to_the_icb(session, world):
    booking = world.delivered(units=2)
    assert booking.cost == 59000
    summary = run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    assert len(summary.issued) == 2 and summary.total == 59000
    by_payer = {i.payer_org_id: i for i in invoices(session)}
    council, icb = by_payer[world.council.id], by_payer[world.icb.id]
    assert (council.total, icb.total) == (39333, 19667)
    assert (council.po_number, icb.po_number) == ("BC-SB-2026-0142", "ICB-PHB-88213")
    assert council.issue_date == icb.issue_date == ISSUED_ON
    assert council.due_date == ISSUED_ON + timedelta(days=30) == date(2027, 1, 4)  # example D
    assert icb.due_date == ISSUED_ON + timedelta(days=45)
    for invoice in (council, icb):
        assert invoice.issuer_id == world.provider_org.id
        assert invoice.status is InvoiceStatus.ISSUED
        assert (invoice.amount_paid, invoice.amount_due) == (0, invoice.total)
        [line] = invoice.lines
        assert line.amount == invoice.total
        assert (line.quantity, line.unit, line.unit_price) == (2, "night", 29500)
        assert line.vat_category is VatCategory.EXEMPT and line.vat_rate_bp == 0
        assert line.service_start == world.service_date(booking)
        assert "Ben" not in line.child_reference and line.child_reference.startswith("B-")
    # what each invoice bills is what the ledger posted from that stream (the budget's statement)
    spent = [s.amount - stream_account(session, s).posted for s in world.budget.streams]
    assert spent == [council.total, icb.total]
    # and, in the ledger, each funder now owes Hilltop exactly its invoice
    assert [books.receivable_account(session, i).posted for i in (council, icb)] == [39333, 19667]
    assert books.invoiced_account(session, world.provider_org.id).posted == -59000


def test_numbers_are_the_providers_prefix_and_a_gap_free_sequence(session, world):
    world.delivered(units=2)
    booking = world.delivered(units=1, days_ahead=11)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    numbers = sorted(i.number for i in invoices(session))
    prefix = world.provider_org.slug.upper().replace("-", "")[:3]
    assert numbers == [f"{prefix}-000001", f"{prefix}-000002"]  # one per payer, both bookings on each


def test_a_late_cancellation_charge_is_billed_as_its_streams_paid_it(session, world):
    booking = world.cancelled_late(units=1)
    assert booking.charge == 14750
    shares = [p.hold.resolution.posted_amount for p in booking.payments]
    assert sum(shares) == 14750
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    by_payer = {i.payer_org_id: i for i in invoices(session)}
    assert [by_payer[world.council.id].total, by_payer[world.icb.id].total] == shares
    line = by_payer[world.council.id].lines[0]
    assert line.description.startswith("Late-cancellation charge")
    assert (line.quantity, line.unit, line.unit_price) == (1, "charge", 14750)


def test_a_no_show_charge_is_billed(session, world):
    booking = world.no_show(units=1)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    assert sum(i.total for i in invoices(session)) == booking.charge == 29500


def test_running_twice_bills_nothing_new(session, world):
    booking = world.delivered(units=2)
    first = run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    assert first.items_recorded == 2
    second = run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    assert (len(first.issued), len(second.issued), second.items_recorded) == (2, 0, 0)
    assert session.scalar(select(func.count(Invoice.id))) == 2
    assert session.scalar(select(func.count(InvoiceLine.id))) == 2
    assert ledger.reconcile(session) == []


def test_care_after_the_through_date_and_open_bookings_wait(session, world):
    delivered = world.delivered(units=1, days_ahead=10)
    summary = run_invoices(session, world.service_date(delivered) - timedelta(days=1))
    assert summary.issued == [] and summary.items_recorded == 0
    open_slot = world.make_slot(days_ahead=3)  # an open booking is never billable
    bookings.book(session, actor=world.parent, slot=open_slot, budget=world.budget, units=1)
    other = world.make.org("provider")
    assert run_invoices(session, world.service_date(delivered), other).issued == []
    summary = run_invoices(session, world.service_date(delivered), world.provider_org)
    assert len(summary.issued) == 2


def test_each_item_is_billed_on_exactly_one_invoice(session, world):
    world.delivered(units=2)
    booking = world.delivered(units=1, days_ahead=11)
    run_invoices(session, world.service_date(booking))
    items = list(session.scalars(select(BillableItem)))
    assert len(items) == 4 and all(i.invoice_id is not None for i in items)
    billed = list(session.scalars(select(InvoiceLine.billable_item_id)))
    assert sorted(billed) == sorted(i.id for i in items)


def test_third_party_streams_bill_their_funder_and_direct_payments_bill_the_family(session, world):
    from marketplace.budgets import operations as budgets

    family = world.make.family(children=("Zoe",))
    parent = world.make.user("family", family=family)
    broker = world.make.org("commissioner", name="Brightwater Brokerage")
    base = world.budget
    budget = budgets.create_budget(
        session,
        child=family.children[0],
        period_start=base.period_start,
        period_end=base.period_end,
        streams=[
            dict(kind="social_care", funder=broker, amount=300000, po_number="PO-TP", management="third_party",
                 categories=["overnight_short_break"], payment_terms_days=14),
            dict(kind="health", funder=world.icb, amount=150000, po_number="PO-DP", management="direct_payment",
                 categories=["overnight_short_break"]),
        ],
    )  # fmt: skip
    world.parent = parent
    booking = world.delivered(units=2, budget=budget)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    invoice, to_family = sorted(invoices(session), key=lambda i: i.payer_family_id is not None)
    assert (invoice.payer_org_id, invoice.po_number, invoice.total) == (broker.id, "PO-TP", 39333)
    assert invoice.due_date == date(2026, 12, 19)
    # the direct payment's share is the family's own money (rule 10): the family is invoiced,
    # without the funder's PO number, which is not the family's
    assert (to_family.payer_org_id, to_family.payer_family_id) == (None, family.id)
    assert (to_family.po_number, to_family.total) == ("", 19667)
    assert session.scalar(select(func.count(BillableItem.id))) == 2


@pytest.mark.damages_ledger
def test_the_books_check_notices_an_invoice_the_ledger_does_not_know(session, world):
    booking = world.delivered(units=2)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    assert books.reconcile_receivables(session) == []
    [council, _] = invoices(session)
    session.execute(
        Invoice.__table__.update().where(Invoice.id == council.id).values(total=council.total + 1)
    )
    problems = books.reconcile_receivables(session)
    assert len(problems) == 1 and "invoices say 39334 owed, the ledger 39333" in problems[0]
