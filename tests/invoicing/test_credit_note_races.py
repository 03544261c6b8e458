"""Credit notes under concurrency, on PostgreSQL with real threads and real commits: numbers stay
gap-free and unique, refusals take no number, and one invoice is never credited beyond its total."""

import pytest
from sqlalchemy import func, select

from marketplace.invoicing import operations
from marketplace.invoicing.credit_notes import issue_credit_note
from marketplace.invoicing.models import BillableItem, CreditNote, Invoice
from tests.invoicing.conftest import InvoicingWorld
from tests.invoicing.test_races import together

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]


def issued_invoices(session, world, nights: int) -> list[int]:
    """One issued invoice per billable item (`nights` one-night stays: two payers each)."""
    bookings = [world.delivered(units=1, days_ahead=10 + day) for day in range(nights)]
    operations.record_billable_items(session, world.service_date(bookings[-1]))
    items = list(session.scalars(select(BillableItem).order_by(BillableItem.id)))
    ids = [operations.issue_invoice(session, operations.draft_invoice(session, [item])).id for item in items]
    session.commit()
    return ids


def credit(invoice_id, amount):
    def job(s):
        note = issue_credit_note(
            s, s.get(Invoice, invoice_id), reason="Not delivered", amount=amount, actor=None
        )
        return note.number

    return job


def test_sixteen_concurrent_issuers_take_gap_free_unique_numbers_and_refusals_take_none(app, session, make):
    world = InvoicingWorld(session, make)
    invoices = issued_invoices(session, world, nights=8)
    assert len(invoices) == 16
    jobs = [credit(i, 100) for i in invoices] + [
        credit(i, 10_000_000) for i in invoices[:4]
    ]  # 4 ask too much
    results = together(app, jobs)
    refused = [r for r in results if r.startswith("error")]
    assert len(refused) == 4 and all("more than that" in r for r in refused), refused
    numbers = sorted(r for r in results if not r.startswith("error"))
    assert numbers == [f"HIL-CN-{n:06d}" for n in range(1, 17)]
    session.expire_all()
    assert sorted(session.scalars(select(CreditNote.number))) == numbers
    assert session.scalar(select(func.sum(Invoice.amount_credited))) == 16 * 100


def test_concurrent_credits_of_one_invoice_never_exceed_it(app, session, make):
    world = InvoicingWorld(session, make)
    invoice_id = issued_invoices(session, world, nights=1)[0]  # the council's £196.67
    total = session.get(Invoice, invoice_id).total
    results = together(app, [credit(invoice_id, total * 6 // 10) for _ in range(8)])
    assert sorted(r.startswith("error") for r in results) == [False] + [True] * 7, results
    session.expire_all()
    invoice = session.get(Invoice, invoice_id)
    assert invoice.amount_credited == total * 6 // 10 and invoice.amount_due == total - total * 6 // 10
    assert session.scalar(select(func.count(CreditNote.id))) == 1
