"""Reminders on PostgreSQL with real threads and transactions: each notice is sent once even when
the job runs on two processes at once, or eight requests claim the same notice together."""

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.core.notifications import Notification
from marketplace.invoicing import jobs, reminders
from marketplace.invoicing.models import Invoice, InvoiceReminder, OverdueDigest, ReminderEvent
from tests.invoicing.conftest import InvoicingWorld
from tests.invoicing.issued import example_b
from tests.invoicing.test_races import together
from tests.races import race

pytestmark = [pytest.mark.postgres, pytest.mark.real_commits]

BOTH_OVERDUE = date(2027, 1, 20)  # the council's fell due on 4 January, the ICB's on 19 January


def _notes(session, user, subject_part: str) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.subject.contains(subject_part))
    )


def test_two_jobs_at_once_send_each_notice_once(app, session, make):
    world = InvoicingWorld(session, make)
    council, icb = example_b(session, world)
    icb_user = make.user("commissioner", org=world.icb)
    session.commit()

    print(
        "DBG0",
        together(
            app,
            [
                lambda s: (
                    s.execute(select(Invoice.id, Invoice.status, Invoice.total, Invoice.amount_paid)).all(),
                    reminders.newly_overdue(s, BOTH_OVERDUE),
                )
            ],
        ),
    )
    results = together(app, [lambda s: jobs.run_reminders(s, BOTH_OVERDUE) for _ in range(2)])

    assert not [r for r in results if isinstance(r, str)], results
    assert not any(r.failed for r in results), [r.failed for r in results]
    print("DBG", results, session.execute(select(Invoice.id, Invoice.status, Invoice.due_date)).all())
    assert sum(r.overdue for r in results) == 2 and sum(r.digests for r in results) == 1
    session.expire_all()
    rows = session.execute(select(InvoiceReminder.invoice_id, InvoiceReminder.event)).all()
    assert sorted(rows) == sorted([(council.id, ReminderEvent.OVERDUE), (icb.id, ReminderEvent.OVERDUE)])
    assert _notes(session, world.commissioner, "is overdue") == 1
    assert _notes(session, icb_user, "is overdue") == 1
    assert _notes(session, world.provider, "overdue invoices") == 1
    assert session.scalar(select(func.count()).select_from(OverdueDigest)) == 1


def test_eight_claims_of_one_notice_at_once_send_it_once(app, session, make):
    world = InvoicingWorld(session, make)
    council_id = example_b(session, world)[0].id
    session.commit()
    outcomes = []

    def attempt(s):
        invoice = s.get(Invoice, council_id)
        reminders.payer_contacts(s, invoice)  # everything read before the barrier but the claim
        return lambda: outcomes.append(reminders.remind(s, invoice, ReminderEvent.OVERDUE, BOTH_OVERDUE))

    results = race(app, *[attempt] * 8)

    assert results == ["ok"] * 8
    assert sorted(outcomes) == [False] * 7 + [True]
    session.expire_all()
    assert _notes(session, world.commissioner, "is overdue") == 1
    assert session.scalar(select(func.count()).select_from(InvoiceReminder)) == 1
