"""The scheduler process (`marketplace scheduler`): APScheduler in a process of its own.

Never started inside web workers: only the `scheduler` command builds and starts one. Each domain
registers its jobs as it registers views and commands: a domain's `jobs.py` lists them,
`jobs = [JobSpec(...)]`, and `build_scheduler` adds every domain's list (marketplace.domains), so
the invoice run and reminders can join without editing this file.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger

from marketplace.core.clock import LONDON

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


@dataclass(frozen=True)
class JobSpec:
    """One scheduled job: a fixed id (adding it again replaces it), what runs, when, and any
    options beyond the scheduler's defaults (JOB_DEFAULTS)."""

    id: str
    func: Callable[[], Any]
    trigger: BaseTrigger
    name: str
    options: dict[str, Any] = field(default_factory=dict)


def add_job(scheduler: BaseScheduler, spec: JobSpec) -> None:
    """Add one job to `scheduler`, replacing any job of the same id."""
    scheduler.add_job(
        spec.func, trigger=spec.trigger, id=spec.id, name=spec.name, replace_existing=True, **spec.options
    )


def registered_jobs() -> list[JobSpec]:
    """Every domain's jobs (the `jobs` list of its `jobs.py`), in domain order."""
    from marketplace.domains import domain_modules

    return [spec for module in domain_modules("jobs") for spec in module.jobs]


def build_scheduler(scheduler_cls: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """A scheduler in Europe/London time holding every domain's jobs (in-memory job store: one
    scheduler process; the database, not the job store, decides what has run)."""
    scheduler = scheduler_cls(timezone=LONDON, job_defaults=dict(JOB_DEFAULTS))
    for spec in registered_jobs():
        add_job(scheduler, spec)
    return scheduler


@click.command("scheduler")
def scheduler_command():
    """Run the scheduler process (the weekly ISF drawdown and every other domain's jobs)."""
    scheduler = build_scheduler()
    for job in scheduler.get_jobs():
        click.echo(f"Scheduled {job.id}: {job.trigger}")
    click.echo("Scheduler running (Europe/London). Press Ctrl+C to stop.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")
