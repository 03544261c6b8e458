"""Payments under real concurrency on PostgreSQL (threads, each its own connection and
transaction): an invoice is never over-paid, a reference is recorded once, a payment is reversed
once — and the ledger agrees with the invoices (checked after each test too)."""

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.accounts.models import Organisation, User
from marketplace.core.clock import today
from marketplace.invoicing import books
from marketplace.invoicing.models import Invoice, InvoiceStatus, Payment, PaymentReversal
from marketplace.invoicing.payments import record_payment, reverse_payment
from marketplace.invoicing.runs import run_invoices
from marketplace.ledger.models import Transfer
from tests.invoicing.conftest import InvoicingWorld
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def council_invoices(session, make, nights=(2,)) -> tuple[InvoicingWorld, list[int]]:
    """Example B's world, each stay invoiced (issued today); the council's invoice ids, committed."""
    world = InvoicingWorld(session, make)
    for n, units in enumerate(nights):
        booking = world.delivered(units=units, days_ahead=10 + n)
        run_invoices(session, world.service_date(booking))
    ids = list(
        session.scalars(
            select(Invoice.id).where(Invoice.payer_org_id == world.council.id).order_by(Invoice.id)
        )
    )
    session.commit()
    return world, ids


def paying(world, amount, reference, invoice_id=None):
    """An attempt for `race`: record a payment from the council (to `invoice_id`, or oldest first)."""
    ids = (world.provider_org.id, world.council.id, world.provider.id)

    def attempt(s):
        provider, council, actor = (
            s.get(Organisation, ids[0]),
            s.get(Organisation, ids[1]),
            s.get(User, ids[2]),
        )
        allocations = [(s.get(Invoice, invoice_id), amount)] if invoice_id is not None else None
        return lambda: record_payment(
            s, provider=provider, payer=council, amount=amount, received_on=today(),
            reference=reference, allocations=allocations, actor=actor,
        )  # fmt: skip

    return attempt


def test_sixteen_payments_at_once_never_over_pay_an_invoice(app, session, make):
    world, [invoice_id] = council_invoices(session, make)  # £393.33
    attempts = [paying(world, 5000, f"REM-{n}", invoice_id if n % 2 else None) for n in range(16)]
    results = race(app, *attempts)
    assert not [r for r in results if r.startswith("error")], results
    assert sorted(results).count("ok") == 7  # 7 × £50.00 = £350.00; an eighth would be £400.00
    assert sorted(results).count("more_than_due") == 9
    session.expire_all()
    invoice = session.get(Invoice, invoice_id)
    assert (invoice.amount_paid, invoice.amount_due, invoice.status) == (35000, 4333, InvoiceStatus.PART_PAID)
    assert session.scalar(select(func.count(Payment.id))) == 7
    assert session.scalar(select(func.sum(Transfer.amount)).where(Transfer.code == "payment")) == 35000
    assert books.receivable_account(session, invoice).posted == 4333
    assert books.cash_account(session, world.provider_org.id).posted == 35000
    assert ledger.reconcile(session) == [] and books.reconcile_receivables(session) == []


def test_the_same_payment_sent_sixteen_times_at_once_is_recorded_once(app, session, make):
    world, [invoice_id] = council_invoices(session, make)
    results = race(app, *[paying(world, 20000, "BWC-0203", invoice_id) for _ in range(16)])
    assert results == ["ok"] * 16  # each a replay of the first
    session.expire_all()
    assert session.scalar(select(func.count(Payment.id))) == 1
    assert session.get(Invoice, invoice_id).amount_paid == 20000
    assert session.scalar(select(func.count(Transfer.id)).where(Transfer.code == "payment")) == 1


def test_one_reference_for_two_invoices_at_once_is_recorded_once(app, session, make):
    """The two requests lock different invoices, so only the unique reference stops the second."""
    world, [first, second] = council_invoices(session, make, nights=(1, 1))
    results = race(app, paying(world, 5000, "BWC-0203", first), paying(world, 5000, "BWC-0203", second))
    assert sorted(results) == ["ok", "reference_used"], results
    session.expire_all()
    assert session.scalar(select(func.count(Payment.id))) == 1
    assert sum(session.get(Invoice, i).amount_paid for i in (first, second)) == 5000


def test_a_payment_reversed_from_eight_requests_at_once_is_reversed_once(app, session, make):
    world, [invoice_id] = council_invoices(session, make)
    payment = record_payment(
        session, provider=world.provider_org, payer=world.council, amount=39333, received_on=today(),
        reference="BWC-ALL", actor=world.provider,
    )  # fmt: skip
    payment_id, actor_id = payment.id, world.provider.id
    session.commit()

    def reversing(s):
        found, actor = s.get(Payment, payment_id), s.get(User, actor_id)
        return lambda: reverse_payment(s, found, "Bounced", actor=actor)

    results = race(app, *[reversing] * 8)
    assert sorted(results) == ["already_reversed"] * 7 + ["ok"], results
    session.expire_all()
    assert session.scalar(select(func.count(PaymentReversal.id))) == 1
    assert session.scalar(select(func.count(Transfer.id)).where(Transfer.code == "payment_reversal")) == 1
    invoice = session.get(Invoice, invoice_id)
    assert (invoice.amount_paid, invoice.status) == (0, InvoiceStatus.ISSUED)
