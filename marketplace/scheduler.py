"""The scheduler process (`marketplace scheduler`): APScheduler in a process of its own.

Never started inside web workers: only the `scheduler` command builds and starts one. Each domain
registers its jobs as it registers views and commands: a domain's `jobs.py` lists them,
`jobs = [JobSpec(...)]`, and `build_scheduler` adds every domain's list (marketplace.domains), so
the invoice run and reminders can join without editing this file.
"""

import fcntl
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import text
from sqlalchemy.engine import Engine

from marketplace.core.clock import LONDON

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
SCHEDULER_LOCK_KEY = 0x5C4E_D01E  # "the one scheduler": held for the scheduler process's life


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


@contextmanager
def sole_scheduler(engine: Engine, lock_dir: str | Path) -> Iterator[bool]:
    """Claim the right to be the one scheduler process; yield whether it was claimed.

    On PostgreSQL a session advisory lock on a connection kept for as long as the scheduler runs
    (so a second scheduler on any machine sharing the database is refused); otherwise an exclusive
    lock on `lock_dir`/scheduler.lock (SQLite is one machine's file). The lock goes with the
    process, however it ends."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY})
            conn.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK_KEY})
                    conn.commit()
        return
    Path(lock_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(lock_dir) / "scheduler.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@click.command("scheduler")
def scheduler_command():
    """Run the scheduler process (the weekly ISF drawdown and every other domain's jobs).

    Only one may run against a database: a second one says so and exits with status 1."""
    from flask import current_app

    from marketplace.core.db import db

    with sole_scheduler(db.engine, current_app.instance_path) as sole:
        if not sole:
            click.echo(
                "Another scheduler is already running for this database; not starting a second.", err=True
            )
            raise SystemExit(1)
        _run_scheduler()


def _run_scheduler() -> None:
    scheduler = build_scheduler()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped by scripts/start: end cleanly
    for job in scheduler.get_jobs():
        click.echo(f"Scheduled {job.id}: {job.trigger}")
    click.echo("Scheduler running (Europe/London). Press Ctrl+C to stop.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")
