"""The weekly drawdown job: batches, retries, catch-up, parking, the CLI, the scheduler, races."""

import threading
from datetime import date, datetime

import pytest
import time_machine
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.catalog.jobs import JOB_ID as CATALOG_JOB_ID
from marketplace.core.clock import LONDON
from marketplace.core.db import db
from marketplace.invoicing.jobs import JOB_ID as INVOICE_RUN_JOB_ID
from marketplace.invoicing.jobs import REMINDER_JOB_ID
from marketplace.isf import jobs, operations
from marketplace.isf.models import IsfDrawdown
from marketplace.isf.operations import drawdown
from marketplace.payments.jobs import JOB_ID as CARD_SWEEP_JOB_ID
from marketplace.scheduler import add_job, build_scheduler


def weeks_of(session, isf):
    return session.scalars(
        select(IsfDrawdown.week_start).where(IsfDrawdown.isf_id == isf.id).order_by(IsfDrawdown.week_start)
    ).all()


def some_funds(world, n):
    funds = []
    for _ in range(n):
        world.example_a()
        world.pay_quarter_one()
        funds.append((world.isf, world.hilltop))
    return funds


def test_a_failing_fund_is_retried_alone_and_never_blocks_the_rest(world, session, monkeypatch):
    funds = some_funds(world, 4)
    bad = funds[2][0]
    real_transfer_many = drawdown.transfer_many
    poisoned = f"isf:{bad.id}:week:2026-04-20:isf_delivery"

    def failing_transfer_many(session, movements, **kw):
        # The ledger fails on the bad fund's third week (after its top-slice, before delivery),
        # in whichever batch holds it: the whole set is refused, then retried fund by fund.
        if any(m.idempotency_key == poisoned for m in movements):
            raise RuntimeError("disk on fire")
        return real_transfer_many(session, movements, **kw)

    monkeypatch.setattr(drawdown, "transfer_many", failing_transfer_many)
    summary = jobs.run_weekly_drawdowns(session, date(2026, 4, 29), batch_size=10)
    assert list(summary.failed) == [bad.id]
    assert summary.weeks_posted == 12
    for isf, _ in funds:
        assert len(weeks_of(session, isf)) == (0 if isf is bad else 4)
    assert world_available(session, bad) == 741_000  # untouched: all-or-nothing
    monkeypatch.setattr(drawdown, "transfer_many", real_transfer_many)
    again = jobs.run_weekly_drawdowns(session, date(2026, 4, 29))
    assert (again.weeks_posted, again.failed) == (4, {})
    assert ledger.reconcile(session) == []


def world_available(session, isf):
    from marketplace.isf import books

    return books.balances(session, isf)["available"]


def test_a_run_killed_midway_leaves_each_fund_drawn_or_untouched(world, session, monkeypatch):
    funds = some_funds(world, 5)
    real_post_fund = drawdown._post_fund

    def killed(session, isf, *args):
        if isf.id == funds[3][0].id:
            raise KeyboardInterrupt  # the process is killed: no retry, the run stops here
        return real_post_fund(session, isf, *args)

    monkeypatch.setattr(drawdown, "_post_fund", killed)
    with pytest.raises(KeyboardInterrupt):
        jobs.run_weekly_drawdowns(session, date(2026, 4, 29), batch_size=2)
    drawn = [len(weeks_of(session, isf)) for isf, _ in funds]
    assert drawn == [4, 4, 0, 0, 0]  # batch 1 committed; batch 2 rolled back; batch 3 never began
    monkeypatch.setattr(drawdown, "_post_fund", real_post_fund)
    summary = jobs.run_weekly_drawdowns(session, date(2026, 4, 29), batch_size=2)
    assert summary.weeks_posted == 12
    assert [len(weeks_of(session, isf)) for isf, _ in funds] == [4] * 5
    assert ledger.reconcile(session) == []


def test_a_fund_too_far_behind_is_parked_until_the_provider_unparks_it(world, session):
    isf = world.example_a()
    world.pay_quarter_one()
    summary = jobs.run_weekly_drawdowns(session, date(2026, 4, 29), catch_up_limit=3)
    assert (summary.parked, summary.weeks_posted) == ([isf.id], 0)
    assert isf.is_parked and "4 weeks" in isf.parked_reason
    assert jobs.run_weekly_drawdowns(session, date(2026, 4, 29), catch_up_limit=3).funds == 0
    outcome = operations.unpark_isf(session, isf, through=date(2026, 4, 29))
    assert len(outcome.rows) == 4 and not isf.is_parked
    assert world.available() == 513_000


def test_unagreed_isfs_are_not_drawn(world, session):
    world.example_a(agreed=False)
    world.pay_quarter_one()
    assert jobs.run_weekly_drawdowns(session, date(2026, 4, 29)).weeks_posted == 0


def test_the_cli_shows_progress_and_a_summary(world, session, runner):
    world.example_a()
    world.pay_quarter_one()
    result = runner.invoke(args=["isf", "drawdown", "--through", "2026-04-29"])
    assert result.exit_code == 0, result.output
    assert "batch 1/1" in result.stderr
    assert "Weeks posted: 4" in result.stdout
    assert "Total drawn: £2,280.00 (top-slice £182.40, delivery £2,097.60)" in result.stdout
    again = runner.invoke(args=["isf", "drawdown", "--through", "2026-04-29"])
    assert "Weeks posted: 0" in again.stdout


def test_the_cli_refuses_a_bad_date(runner):
    result = runner.invoke(args=["isf", "drawdown", "--through", "29/04/2026"])
    assert result.exit_code == 2 and "--through" in result.output


def test_the_scheduler_is_configured_for_a_safe_weekly_run():
    scheduler = build_scheduler(BackgroundScheduler)
    job = scheduler.get_job(jobs.JOB_ID)
    assert job.func is jobs.weekly_drawdown_job
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
    assert isinstance(job.trigger, CronTrigger) and str(job.trigger.timezone) == "Europe/London"
    assert str(scheduler.timezone) == "Europe/London"
    after = datetime(2026, 4, 8, 12, 0, tzinfo=LONDON)
    assert job.trigger.get_next_fire_time(None, after) == datetime(2026, 4, 9, 6, 0, tzinfo=LONDON)  # daily
    assert not scheduler.running
    scheduler.start(paused=True)  # in the job store now: adding the job again replaces it
    try:
        add_job(scheduler, jobs.DRAWDOWN_JOB)
        assert sorted(j.id for j in scheduler.get_jobs()) == sorted(
            [jobs.JOB_ID, CATALOG_JOB_ID, INVOICE_RUN_JOB_ID, REMINDER_JOB_ID, CARD_SWEEP_JOB_ID]
        )
    finally:
        scheduler.shutdown(wait=False)


def test_the_scheduler_command_runs_a_blocking_scheduler(runner, monkeypatch):
    started = []
    monkeypatch.setattr(BlockingScheduler, "start", lambda self: started.append(self.get_jobs()))
    result = runner.invoke(args=["scheduler"])
    assert result.exit_code == 0 and jobs.JOB_ID in result.output
    assert sorted(j.id for j in started[0]) == sorted(
        [jobs.JOB_ID, CATALOG_JOB_ID, INVOICE_RUN_JOB_ID, REMINDER_JOB_ID, CARD_SWEEP_JOB_ID]
    )


def test_the_web_app_starts_no_scheduler(app):
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]


def test_frozen_clock_three_weeks_ahead_posts_exactly_three_weeks(world, session):
    isf = world.example_a()
    world.pay_quarter_one()
    with time_machine.travel(datetime(2026, 4, 6, 6, 0, tzinfo=LONDON), tick=False) as traveller:
        assert jobs.weekly_drawdown_job().weeks_posted == 1
        traveller.shift(21 * 24 * 3600)
        assert jobs.weekly_drawdown_job().weeks_posted == 3
        assert jobs.weekly_drawdown_job().weeks_posted == 0
    assert weeks_of(session, isf) == [
        date(2026, 4, 6),
        date(2026, 4, 13),
        date(2026, 4, 20),
        date(2026, 4, 27),
    ]


@pytest.mark.postgres
@pytest.mark.real_commits
def test_two_runs_at_the_same_moment_post_each_week_once(app, world, session):
    isf = world.example_a()
    world.pay_quarter_one()
    isf_id, provider_id = isf.id, world.hilltop.id
    session.commit()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(jobs.run_weekly_drawdowns(db.session, date(2026, 4, 29)))
            except Exception as err:  # pragma: no cover - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(r.weeks_posted for r in results) == [0, 4]
    assert (
        session.scalar(select(func.count()).select_from(IsfDrawdown).where(IsfDrawdown.isf_id == isf_id)) == 4
    )
    from marketplace.isf import books

    session.expire_all()
    assert books.balances(session, isf) == {"available": 513_000, "contingency": 39_000}
    assert books.delivery_income_account(session, provider_id).posted == 209_760
    assert books.overhead_account(session, provider_id).posted == 18_240
    assert ledger.reconcile(session) == []
