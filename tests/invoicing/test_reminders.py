"""Reminders: payers are told 7 days before an invoice falls due and the day after it does, once
each however often the job runs; providers get a weekly overdue digest; a provider can send a
reminder with the statement from the invoice page; the page says when it was last chased."""

import email
import email.policy
import io
import threading
from datetime import date, datetime

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from pypdf import PdfReader
from sqlalchemy import func, select

from marketplace.core.clock import LONDON
from marketplace.core.notifications import Notification
from marketplace.invoicing import jobs
from marketplace.invoicing.models import InvoiceReminder, OverdueDigest, ReminderEvent
from marketplace.scheduler import build_scheduler
from tests.core.test_email import SmtpSink
from tests.invoicing.issued import ISSUED_ON, credit, example_b, receive, to_family

COUNCIL_DUE, ICB_DUE = date(2027, 1, 4), date(2027, 1, 19)  # 30 and 45 days after 5 December 2026


@pytest.fixture
def mail(app):
    """Mail configured, through a local SMTP sink that keeps what it is sent."""
    server = SmtpSink()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app.config.update(MAIL_SMTP_HOST="127.0.0.1", MAIL_SMTP_PORT=server.server_address[1])
    yield server
    app.config.update(MAIL_SMTP_HOST="")
    server.shutdown()
    server.server_close()


@pytest.fixture
def invoices(session, world):
    return example_b(session, world)


def inbox(session, user) -> list[Notification]:
    return list(
        session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    )


def digests(session, user) -> list[Notification]:
    return [n for n in inbox(session, user) if "overdue invoice" in n.subject]


def sent(session, invoice, event=None) -> list[InvoiceReminder]:
    query = select(InvoiceReminder).where(InvoiceReminder.invoice_id == invoice.id)
    if event is not None:
        query = query.where(InvoiceReminder.event == event)
    return list(session.scalars(query))


def test_the_payer_is_told_exactly_seven_days_before_the_due_date(session, world, invoices):
    council, icb = invoices
    assert jobs.run_reminders(session, date(2026, 12, 27)).due_soon == 0  # 8 days before: nothing yet
    assert inbox(session, world.commissioner) == []

    summary = jobs.run_reminders(session, date(2026, 12, 28))  # 7 days before the council's due date

    assert (summary.due_soon, summary.overdue, summary.digests) == (1, 0, 0)
    [note] = inbox(session, world.commissioner)
    assert note.subject == f"Invoice {council.number} is due on 4 January 2027"
    assert "Hilltop Children's Hospice's invoice" in note.body and "£393.33" in note.body
    assert "BC-SB-2026-0142" in note.body and note.link == f"/invoices/{council.id}"
    assert sent(session, icb) == []  # the ICB's falls due on 19 January


def test_each_notice_is_sent_once_however_often_the_job_runs(session, world, invoices):
    council, _ = invoices
    for day in (date(2026, 12, 28), date(2026, 12, 28), date(2026, 12, 30), COUNCIL_DUE):
        jobs.run_reminders(session, day)
    assert [n.subject for n in inbox(session, world.commissioner)] == [
        f"Invoice {council.number} is due on 4 January 2027"
    ]
    assert jobs.run_reminders(session, COUNCIL_DUE).overdue == 0  # due today is not overdue

    assert jobs.run_reminders(session, date(2027, 1, 5)).overdue == 1  # the day after the due date
    assert jobs.run_reminders(session, date(2027, 1, 5)).overdue == 0
    assert jobs.run_reminders(session, date(2027, 1, 6)).overdue == 0
    subjects = [n.subject for n in inbox(session, world.commissioner)]
    assert subjects == [
        f"Invoice {council.number} is due on 4 January 2027",
        f"Invoice {council.number} is overdue",
    ]
    assert [(r.event, r.occasion) for r in sent(session, council)] == [
        (ReminderEvent.DUE_SOON, COUNCIL_DUE),
        (ReminderEvent.OVERDUE, COUNCIL_DUE),
    ]


def test_a_day_the_job_missed_is_caught_up(session, world, invoices):
    """Down from 27 December to 3 January: the first run back sends the due-date reminder."""
    council, _ = invoices
    assert jobs.run_reminders(session, date(2027, 1, 3)).due_soon == 1
    assert jobs.run_reminders(session, date(2027, 1, 20)).overdue == 2  # and overdue: both invoices, once
    assert len(sent(session, council, ReminderEvent.OVERDUE)) == 1


def test_the_scheduled_job_uses_londons_date(session, world, invoices):
    council, _ = invoices
    # 00:30 on 28 December in London is still the 28th when the clock is in UTC
    with time_machine.travel(datetime(2026, 12, 28, 0, 30, tzinfo=LONDON), tick=False):
        summary = jobs.daily_reminder_job()
    assert summary.on == date(2026, 12, 28) and summary.due_soon == 1


def test_organisations_finance_contacts_are_told_in_app_and_their_mailbox_by_email(
    session, world, invoices, make, mail
):
    council, _ = invoices
    colleague = make.user("commissioner", org=world.council)
    world.council.finance_email = "accounts.payable@brightwater.example"
    session.commit()
    jobs.run_reminders(session, date(2027, 1, 5))
    assert [n.subject for n in inbox(session, colleague)] == [f"Invoice {council.number} is overdue"]
    assert len(inbox(session, world.commissioner)) == 1
    notices = [m for m in mail.messages if f"Subject: Invoice {council.number} is overdue" in m]
    to = sorted(line for m in notices for line in m.splitlines() if line.startswith("To: "))
    assert to == sorted(
        [
            f"To: {world.commissioner.email}",
            f"To: {colleague.email}",
            "To: accounts.payable@brightwater.example",
        ]
    )
    assert sent(session, council, ReminderEvent.OVERDUE)[0].recipients == 3


def test_families_are_reminded_through_their_own_users(session, world, make):
    invoice = to_family(session, world.provider_org, world.family, 14750, ISSUED_ON, terms=14)
    second_parent = make.user("family", family=world.family)
    other_family, other_parent, _ = world.another_family()
    jobs.run_reminders(session, date(2026, 12, 12))  # due 19 December
    for parent in (world.parent, second_parent):
        assert [n.subject for n in inbox(session, parent)] == [
            f"Invoice {invoice.number} is due on 19 December 2026"
        ]
    assert inbox(session, other_parent) == [] and inbox(session, world.commissioner) == []


def test_nothing_is_sent_for_what_is_paid_or_credited(session, world, invoices):
    council, icb = invoices
    receive(session, council, council.total, date(2026, 12, 20))
    credit(session, icb, icb.total, date(2026, 12, 20))
    summary = jobs.run_reminders(session, date(2027, 2, 1))
    assert (summary.due_soon, summary.overdue, summary.digests) == (0, 0, 0)
    assert inbox(session, world.commissioner) == []


def test_a_part_paid_invoice_is_chased_for_what_is_left(session, world, invoices):
    council, _ = invoices
    receive(session, council, 20000, date(2026, 12, 20))
    jobs.run_reminders(session, date(2027, 1, 5))
    [note] = inbox(session, world.commissioner)
    assert "£193.33 is unpaid" in note.body


def test_the_provider_gets_one_overdue_digest_a_week(session, world, invoices, make):
    council, icb = invoices
    colleague = make.user("provider", org=world.provider_org)
    jobs.run_reminders(session, date(2027, 1, 5))  # Tuesday: the council's is a day overdue
    [digest] = digests(session, world.provider)
    assert digest.subject == "1 overdue invoice, £393.33 in all"
    assert (
        f"{council.number} to Brightwater Council: £393.33, due 4 January 2027 (1 day overdue)" in digest.body
    )
    assert [n.subject for n in digests(session, colleague)] == [digest.subject]
    assert jobs.run_reminders(session, date(2027, 1, 8)).digests == 0  # the same week
    assert jobs.run_reminders(session, date(2027, 1, 20)).digests == 1  # Wednesday of the next week but one
    latest = digests(session, world.provider)[-1]
    assert latest.subject == "2 overdue invoices, £590.00 in all"
    assert latest.body.index(council.number) < latest.body.index(icb.number)  # most overdue first
    assert "due 19 January 2027 (1 day overdue)" in latest.body and "(16 days overdue)" in latest.body
    weeks = session.scalars(select(OverdueDigest.week_start).order_by(OverdueDigest.week_start)).all()
    assert weeks == [date(2027, 1, 4), date(2027, 1, 18)]


def test_the_scheduler_sends_reminders_every_morning_safely():
    scheduler = build_scheduler(BackgroundScheduler)
    job = scheduler.get_job(jobs.REMINDER_JOB_ID)
    assert job.func is jobs.daily_reminder_job
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
    assert isinstance(job.trigger, CronTrigger) and str(job.trigger.timezone) == "Europe/London"
    after = datetime(2026, 11, 29, 12, 0, tzinfo=LONDON)
    assert job.trigger.get_next_fire_time(None, after) == datetime(2026, 11, 30, 8, 0, tzinfo=LONDON)


def test_the_command_sends_the_days_reminders(runner, session, world, invoices):
    result = runner.invoke(args=["invoices", "remind", "--on", "2027-01-05"])
    assert result.exit_code == 0, result.output
    assert "Reminders on 5 January 2027" in result.output
    assert (
        "Overdue notices sent: 1" in result.output and "Overdue digests sent to providers: 1" in result.output
    )
    again = runner.invoke(args=["invoices", "remind", "--on", "2027-01-05"])
    assert "Overdue notices sent: 0" in again.output
    assert session.scalar(select(func.count()).select_from(InvoiceReminder)) == 1


# ---- the provider's "Send a reminder" and "last chased" ----------------------------------------


def test_the_provider_sends_a_reminder_with_the_statement(client, session, world, sign_in, csrf, invoices):
    council, _ = invoices
    sign_in(world.provider)
    page = client.get(f"/invoices/{council.id}").get_data(as_text=True)
    assert "Not chased yet" in page and "Send a reminder to Brightwater Council" in page

    with time_machine.travel(datetime(2027, 1, 12, 10, 0, tzinfo=LONDON), tick=False):
        sign_in(world.provider)
        response = client.post(
            f"/invoices/{council.id}/remind", data={"csrf_token": csrf()}, follow_redirects=True
        )
        page = response.get_data(as_text=True)
        assert "Reminder sent to Brightwater Council" in page
        assert "Last chased 12 January 2027 10:00: reminder sent by the provider" in page
        again = client.post(
            f"/invoices/{council.id}/remind", data={"csrf_token": csrf()}, follow_redirects=True
        )
        assert f"A reminder for invoice {council.number} was already sent today" in again.get_data(
            as_text=True
        )

    [note] = inbox(session, world.commissioner)
    assert (
        note.subject
        == f"A reminder from Hilltop Children's Hospice: invoice {council.number}, £393.33 to pay"
    )
    assert "fell due on 4 January 2027" in note.body and "statement of account" in note.body
    assert note.link == f"/statements/{world.provider_org.id}/org/{world.council.id}"
    [reminder] = sent(session, council, ReminderEvent.MANUAL)
    assert (reminder.sent_by_id, reminder.occasion, reminder.recipients) == (
        world.provider.id,
        date(2027, 1, 12),
        1,
    )
    sign_in(world.commissioner)  # the payer follows the link to its statement
    assert client.get(note.link).status_code == 200


def test_the_invoice_page_shows_when_it_was_last_chased(client, session, world, sign_in, invoices):
    council, _ = invoices
    with time_machine.travel(datetime(2027, 1, 5, 8, 0, tzinfo=LONDON), tick=False):
        jobs.daily_reminder_job()
    sign_in(world.commissioner)
    page = client.get(f"/invoices/{council.id}").get_data(as_text=True)
    assert "Last chased 5 January 2027 08:00: overdue notice" in page
    assert "Send a reminder" not in page  # the payer does not remind itself


def test_only_the_issuer_may_send_a_reminder(client, session, world, sign_in, csrf, invoices, make):
    council, _ = invoices
    for user, status in ((world.commissioner, 403), (make.user("provider"), 404), (make.user("admin"), 403)):
        sign_in(user)
        assert (
            client.post(f"/invoices/{council.id}/remind", data={"csrf_token": csrf()}).status_code == status
        )
    assert client.post(f"/invoices/{council.id}/remind", data={}).status_code == 400  # no CSRF token
    assert inbox(session, world.commissioner) == [] and sent(session, council) == []


def test_an_invoice_with_nothing_to_pay_is_not_chased(client, session, world, sign_in, csrf, invoices):
    council, _ = invoices
    receive(session, council, council.total, date(2026, 12, 20))
    sign_in(world.provider)
    assert "Send a reminder" not in client.get(f"/invoices/{council.id}").get_data(as_text=True)
    page = client.post(f"/invoices/{council.id}/remind", data={"csrf_token": csrf()}, follow_redirects=True)
    assert f"Invoice {council.number} has nothing left to pay" in page.get_data(as_text=True)
    assert inbox(session, world.commissioner) == []


def test_the_providers_reminder_e_mail_carries_the_statement_as_a_pdf(
    client, session, world, sign_in, csrf, invoices, mail
):
    council, _ = invoices
    world.council.finance_email = "accounts.payable@brightwater.example"
    session.commit()
    with time_machine.travel(datetime(2027, 1, 12, 10, 0, tzinfo=LONDON), tick=False):
        sign_in(world.provider)
        client.post(f"/invoices/{council.id}/remind", data={"csrf_token": csrf()})
    messages = [email.message_from_string(m, policy=email.policy.default) for m in mail.messages]
    reminders = [m for m in messages if m["Subject"].startswith("A reminder from Hilltop")]
    assert sorted(m["To"] for m in reminders) == sorted(
        [world.commissioner.email, "accounts.payable@brightwater.example"]
    )
    for message in reminders:
        assert "attached to the e-mail, as a PDF" in message.get_body(("plain",)).get_content()
        [pdf] = list(message.iter_attachments())
        assert pdf.get_content_type() == "application/pdf" and pdf.get_filename().endswith(".pdf")
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.get_content())).pages)
        assert "STATEMENT OF ACCOUNT" in text and council.number in text and "£393.33" in text
