"""The daily invoice run: every provider's unbilled items through yesterday, billed and issued;
and the daily reminders (reminders.py): due-soon and overdue notices to payers, and each
provider's weekly digest of what is overdue (`marketplace invoices remind` runs the same).

`daily_invoice_job` is the scheduler's entry point (registered in `jobs`, which
marketplace/scheduler.py collects); `marketplace invoices run` and the providers' "Run invoices"
button call the same `runs.run_invoices`. The database decides what is billed (each item once),
so a run missed while the scheduler was down is simply caught up by the next one.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session

from marketplace.core.clock import LONDON, today
from marketplace.invoicing import reminders
from marketplace.invoicing.models import Invoice, ReminderEvent, RunSource
from marketplace.invoicing.runs import RunSummary, run_invoices
from marketplace.scheduler import JobSpec

JOB_ID = "invoicing-daily-run"

log = logging.getLogger(__name__)


def daily_invoice_job() -> RunSummary:
    """The scheduler's job: run invoices through yesterday's London date (the last whole day).

    Uses the current app if there is one (tests, CLI), else builds one (the scheduler's thread).
    """
    from marketplace.core.jobs import in_app

    return in_app(_run_through_yesterday)


def _run_through_yesterday(session: Session) -> RunSummary:
    summary = run_invoices(session, today() - timedelta(days=1), source=RunSource.SCHEDULE)
    log.info(
        "daily invoice run through %s: %d items recorded, %d invoices issued, %d pence, %d failed",
        summary.through,
        summary.items_recorded,
        len(summary.issued),
        summary.total,
        len(summary.failed),
    )
    return summary


# Every day at 07:00 London time (after the 06:00 ISF drawdown), one fixed job id. A run missed
# while the scheduler was down is run once when it comes back (coalesce, no misfire grace limit).
INVOICE_RUN_JOB = JobSpec(
    id=JOB_ID,
    func=daily_invoice_job,
    trigger=CronTrigger(hour=7, minute=0, timezone=LONDON),
    name="Daily invoice run",
    options={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
)


# ---- reminders ---------------------------------------------------------------------------------

REMINDER_JOB_ID = "invoicing-reminders"


@dataclass
class ReminderSummary:
    on: date
    due_soon: int = 0
    overdue: int = 0
    digests: int = 0
    failed: dict[str, str] = field(default_factory=dict)


def run_reminders(session: Session, on: date) -> ReminderSummary:
    """Send every notice due on `on`: due-soon and overdue notices to payers (each invoice's in a
    transaction of its own) and the week's overdue digest to each provider (likewise). A notice
    already sent is skipped (reminders.claim), so a second run, or one on another process at
    the same time, sends nothing new; one that fails is logged and tried again by the next run."""
    summary = ReminderSummary(on)
    due_soon, overdue = reminders.due_soon(session, on), reminders.newly_overdue(session, on)
    providers = reminders.providers_with_overdue(session, on)
    session.commit()  # the lists are read; each notice is a transaction of its own
    for invoice_id in due_soon:
        summary.due_soon += _one(session, summary, _remind, invoice_id, ReminderEvent.DUE_SOON, on)
    for invoice_id in overdue:
        summary.overdue += _one(session, summary, _remind, invoice_id, ReminderEvent.OVERDUE, on)
    for provider_id in providers:
        summary.digests += _one(session, summary, reminders.send_digest, provider_id, on)
    return summary


def _remind(session: Session, invoice_id: int, event: ReminderEvent, on: date) -> bool:
    return reminders.remind(session, session.get(Invoice, invoice_id), event, on)


def _one(session: Session, summary: ReminderSummary, send: Callable[..., bool], *args) -> bool:
    """`send(session, *args)` in a transaction of its own; a failure is logged and noted."""
    try:
        sent = send(session, *args)
        session.commit()
        return sent
    except Exception as err:  # noqa: BLE001 - one bad notice never stops the others
        session.rollback()
        what = f"{send.__name__}{args}"
        log.exception("reminder %s failed", what)
        summary.failed[what] = repr(err)
        return False


def daily_reminder_job() -> ReminderSummary:
    """The scheduler's job: today's (London) reminders."""
    from marketplace.core.jobs import in_app

    return in_app(_remind_today)


def _remind_today(session: Session) -> ReminderSummary:
    summary = run_reminders(session, today())
    log.info(
        "reminders on %s: %d due soon, %d overdue, %d digests, %d failed",
        summary.on, summary.due_soon, summary.overdue, summary.digests, len(summary.failed),
    )  # fmt: skip
    return summary


# Every day at 08:00 London time (after the invoice run), one fixed job id; the database decides
# what has been sent, so a day missed while the scheduler was down is caught up the next day.
REMINDER_JOB = JobSpec(
    id=REMINDER_JOB_ID,
    func=daily_reminder_job,
    trigger=CronTrigger(hour=8, minute=0, timezone=LONDON),
    name="Daily payment reminders",
    options={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
)
jobs = [INVOICE_RUN_JOB, REMINDER_JOB]
