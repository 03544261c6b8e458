"""The payer and the provider recording the same remittance at once, on PostgreSQL (threads, each
its own connection and transaction): one payment, paid once, whoever got there first recorded it."""

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.accounts.models import Organisation, User
from marketplace.core.clock import today
from marketplace.invoicing import books
from marketplace.invoicing.models import Invoice, Payment
from marketplace.invoicing.payments import record_payment
from tests.invoicing.test_payments_races import council_invoices
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def paying_as(world, user_id: int):
    """An attempt for `race`: `user_id` records the council's £200.00 under BWC-BACS-1, oldest first."""
    ids = (world.provider_org.id, world.council.id)

    def attempt(s):
        provider, council, actor = (
            s.get(Organisation, ids[0]),
            s.get(Organisation, ids[1]),
            s.get(User, user_id),
        )
        return lambda: record_payment(
            s, provider=provider, payer=council, amount=20000, received_on=today(),
            reference="BWC-BACS-1", actor=actor,
        )  # fmt: skip

    return attempt


def test_the_council_and_hilltop_recording_one_remittance_at_once_record_it_once(app, session, make):
    world, [invoice_id] = council_invoices(session, make)  # £393.33
    sides = [world.commissioner.id, world.provider.id] * 8
    results = race(app, *[paying_as(world, user_id) for user_id in sides])
    assert results == ["ok"] * 16, results  # each after the first a replay of it
    session.expire_all()
    [payment] = session.scalars(select(Payment)).all()
    assert payment.recorded_by_id in (world.commissioner.id, world.provider.id)
    invoice = session.get(Invoice, invoice_id)
    assert (invoice.amount_paid, invoice.amount_due) == (20000, 19333)
    assert (
        session.scalar(
            select(func.count()).select_from(ledger.Transfer).where(ledger.Transfer.code == "payment")
        )
        == 1
    )
    assert ledger.reconcile(session) == [] and books.reconcile_receivables(session) == []
