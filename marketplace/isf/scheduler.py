"""The scheduler process (`marketplace scheduler`): APScheduler in a process of its own.

Never started inside web workers: only the `scheduler` command builds and starts one. Every
domain with a `jobs.py` offering `schedule(scheduler)` adds its jobs here, so the invoice run and
reminders can join without editing this file.
"""

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from marketplace.core.clock import LONDON

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def build_scheduler(scheduler_cls: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """A scheduler in Europe/London time holding every domain's jobs (in-memory job store: one
    scheduler process; the database, not the job store, decides what has run)."""
    from marketplace.domains import domain_modules

    scheduler = scheduler_cls(timezone=LONDON, job_defaults=dict(JOB_DEFAULTS))
    for jobs in domain_modules("jobs"):
        if hasattr(jobs, "schedule"):
            jobs.schedule(scheduler)
    return scheduler
