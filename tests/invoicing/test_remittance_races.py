"""Remittance imports under real concurrency on PostgreSQL (threads, each its own connection and
transaction): the same file confirmed eight times at once is recorded once — the others find it
changed under the invoices' locks and record nothing — and two files naming the same invoices
never over-pay them."""

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Organisation, User
from marketplace.core.clock import today
from marketplace.invoicing import books
from marketplace.invoicing.models import Invoice, InvoiceStatus, Payment
from marketplace.invoicing.models.remittances import RemittanceImport
from marketplace.invoicing.remittance_csv import read_remittance
from marketplace.invoicing.remittances import import_remittance, preview_remittance
from marketplace.ledger.models import Transfer
from tests.invoicing.test_payments_races import council_invoices
from tests.invoicing.test_remittances import csv_bytes
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def importing(world, data: bytes):
    """An attempt for `race`: preview the file, then (once released) confirm that preview."""
    ids = (world.provider_org.id, world.council.id, world.provider.id)

    def attempt(s):
        provider, council, actor = (
            s.get(Organisation, ids[0]),
            s.get(Organisation, ids[1]),
            s.get(User, ids[2]),
        )
        lines = read_remittance(data)
        preview = preview_remittance(s, provider, council, lines)
        s.rollback()  # the preview's reads end with its request
        return lambda: import_remittance(
            s, provider=provider, payer=council, lines=lines, fingerprint=preview.fingerprint,
            filename="r.csv", actor=actor,
        )  # fmt: skip

    return attempt


def _numbers(session, ids):
    return [session.get(Invoice, i).number for i in ids]


def test_the_same_file_confirmed_eight_times_at_once_is_recorded_once(app, session, make):
    world, ids = council_invoices(session, make, nights=(2, 1))
    first, second = _numbers(session, ids)
    day = today().strftime("%d/%m/%Y")
    data = csv_bytes(f"{first},393.33,BACS-1,{day}", f"{second},50.00,BACS-1,{day}", f"X-9,1.00,BACS-1,{day}")
    session.commit()
    results = race(app, *[importing(world, data) for _ in range(8)])
    assert sorted(results) == ["ok"] + ["remittance_changed"] * 7, results
    session.expire_all()
    assert session.scalar(select(func.count(Payment.id))) == 1
    assert session.scalar(select(func.count(RemittanceImport.id))) == 1
    assert session.scalar(select(func.sum(Transfer.amount)).where(Transfer.code == "payment")) == 44_333
    assert session.get(Invoice, ids[0]).status is InvoiceStatus.PAID
    assert books.reconcile_receivables(session) == []


def test_two_files_paying_the_same_invoice_at_once_never_over_pay_it(app, session, make):
    world, [invoice_id] = council_invoices(session, make)  # £393.33
    [number] = _numbers(session, [invoice_id])
    day = today().strftime("%d/%m/%Y")
    files = [csv_bytes(f"{number},300.00,BACS-{n},{day}") for n in range(6)]
    session.commit()
    results = race(app, *[importing(world, data) for data in files])
    assert sorted(results) == ["ok"] + ["remittance_changed"] * 5, results
    session.expire_all()
    invoice = session.get(Invoice, invoice_id)
    assert (invoice.amount_paid, invoice.amount_due) == (30_000, 9_333)
    assert session.scalar(select(func.count(Payment.id))) == 1
