"""The daily invoice run: every provider's unbilled items through yesterday, billed and issued.

`daily_invoice_job` is the scheduler's entry point (registered in `jobs`, which
marketplace/scheduler.py collects); `marketplace invoices run` and the providers' "Run invoices"
button call the same `runs.run_invoices`. The database decides what is billed (each item once),
so a run missed while the scheduler was down is simply caught up by the next one.
"""

import logging
from datetime import timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session

from marketplace.core.clock import LONDON, today
from marketplace.invoicing.models import RunSource
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
jobs = [INVOICE_RUN_JOB]
