"""Concurrency on PostgreSQL with real transactions: gap-free numbers, each item billed once."""

import threading

import pytest
from sqlalchemy import func, select

from marketplace.core.db import db
from marketplace.invoicing import operations
from marketplace.invoicing.models import BillableItem, Invoice, InvoiceLine, InvoiceStatus
from marketplace.invoicing.runs import run_invoices
from tests.invoicing.conftest import InvoicingWorld

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def together(app, jobs):
    """Run each job(session) in its own thread, app context and transaction, all released at once."""
    barrier = threading.Barrier(len(jobs))
    results = []

    def run(job):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(job(db.session))
                db.session.commit()
            except Exception as err:  # noqa: BLE001 - the test looks at every failure
                db.session.rollback()
                results.append(f"error: {err!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_sixteen_concurrent_issuers_take_gap_free_unique_numbers(app, session, make):
    world = InvoicingWorld(session, make)
    bookings = [world.delivered(units=1, days_ahead=10 + days) for days in range(8)]
    operations.record_billable_items(session, world.service_date(bookings[-1]))
    items = list(session.scalars(select(BillableItem).order_by(BillableItem.id)))
    assert len(items) == 16  # eight nights, each shared by the council and the ICB
    drafts = [operations.draft_invoice(session, [item]).id for item in items]
    session.commit()

    def issue(invoice_id):
        return lambda s: operations.issue_invoice(s, s.get(Invoice, invoice_id)).number

    results = together(app, [issue(i) for i in drafts])
    assert not [r for r in results if r.startswith("error")], results
    prefix = operations.number_prefix(world.provider_org.slug)
    assert sorted(results) == [f"{prefix}-{n:06d}" for n in range(1, 17)]
    session.expire_all()
    stored = sorted(session.scalars(select(Invoice.number).where(Invoice.status == InvoiceStatus.ISSUED)))
    assert stored == sorted(results)


@pytest.mark.parametrize("batch_size", [1, 3, 200])  # a batch per group, batches across providers, one
def test_two_runs_at_once_bill_each_item_once(app, session, make, batch_size):
    world = InvoicingWorld(session, make)
    last = None
    for days in range(6):
        last = world.delivered(units=1 + days % 2, days_ahead=10 + days)
    other_user, other_offer = world.other_provider()
    world.delivered(units=1, days_ahead=9, offer=other_offer)
    through = world.service_date(last)
    session.commit()

    results = together(app, [lambda s: run_invoices(s, through, batch_size=batch_size) for _ in range(2)])
    assert not [r for r in results if isinstance(r, str)], results
    assert not any(r.failed for r in results), [r.failed for r in results]
    session.expire_all()
    assert sum(len(r.issued) for r in results) == 4  # two providers × two payers
    items = list(session.scalars(select(BillableItem)))
    assert len(items) == 14 and all(i.invoice_id is not None for i in items)
    assert session.scalar(select(func.count(InvoiceLine.id))) == 14
    assert session.scalar(select(func.count(func.distinct(InvoiceLine.billable_item_id)))) == 14
    assert session.scalar(select(func.count(Invoice.id))) == 4
    assert sorted(n[-6:] for n in session.scalars(select(Invoice.number))) == [
        "000001",
        "000001",
        "000002",
        "000002",
    ]
    billed = session.scalar(select(func.sum(Invoice.total)))
    assert billed == sum(i.amount for i in items)
