"""The scheduler process collects each domain's jobs (a domain's `jobs.py` lists `jobs`)."""

from apscheduler.schedulers.background import BackgroundScheduler

from marketplace.catalog.jobs import JOB_ID as CATALOG_JOB_ID
from marketplace.invoicing.jobs import JOB_ID as INVOICE_RUN_JOB_ID
from marketplace.invoicing.jobs import REMINDER_JOB_ID
from marketplace.isf.jobs import JOB_ID as DRAWDOWN_JOB_ID
from marketplace.payments.jobs import JOB_ID as CARD_SWEEP_JOB_ID
from marketplace.scheduler import JOB_DEFAULTS, JobSpec, build_scheduler, registered_jobs


def test_every_domains_jobs_are_registered_once_in_domain_order():
    specs = registered_jobs()
    assert all(isinstance(spec, JobSpec) for spec in specs)
    assert [spec.id for spec in specs] == [
        CATALOG_JOB_ID,
        DRAWDOWN_JOB_ID,
        INVOICE_RUN_JOB_ID,
        REMINDER_JOB_ID,
        CARD_SWEEP_JOB_ID,
    ]


def test_a_job_without_options_takes_the_schedulers_defaults():
    scheduler = build_scheduler(BackgroundScheduler)
    scheduler.start(paused=True)  # the defaults are applied as a job enters the job store
    try:
        job = scheduler.get_job(CATALOG_JOB_ID)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (
            JOB_DEFAULTS["coalesce"],
            JOB_DEFAULTS["max_instances"],
            JOB_DEFAULTS["misfire_grace_time"],
        )
        assert job.name == "Offers' next open slot"
    finally:
        scheduler.shutdown(wait=False)


def test_only_one_scheduler_may_run_for_a_database(app, tmp_path):
    """A second scheduler (another terminal, another machine on the same PostgreSQL) is refused
    while the first runs, and may start once the first has stopped."""
    from marketplace.core.db import db
    from marketplace.scheduler import sole_scheduler

    with app.app_context():
        with sole_scheduler(db.engine, tmp_path) as first, sole_scheduler(db.engine, tmp_path) as second:
            assert (first, second) == (True, False)
        with sole_scheduler(db.engine, tmp_path) as after:
            assert after is True


def test_the_scheduler_command_refuses_to_be_a_second_scheduler(app, runner, tmp_path, monkeypatch):
    from marketplace import scheduler
    from marketplace.core.db import db

    started = []
    monkeypatch.setattr(scheduler, "_run_scheduler", lambda: started.append(True))
    with app.app_context(), scheduler.sole_scheduler(db.engine, app.instance_path):
        refused = runner.invoke(args=["scheduler"])
    assert refused.exit_code == 1 and started == []
    assert "Another scheduler is already running" in refused.output
    assert runner.invoke(args=["scheduler"]).exit_code == 0 and started == [True]
