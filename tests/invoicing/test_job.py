"""The daily invoice run in `marketplace scheduler`: through yesterday's London date, once a day."""

from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from marketplace.core.clock import LONDON
from marketplace.invoicing import jobs
from marketplace.invoicing.models import BillableItem
from marketplace.scheduler import build_scheduler


def test_the_daily_job_bills_care_delivered_through_yesterday_only(session, world, monkeypatch):
    yesterdays = world.delivered(units=2, days_ahead=10)
    todays = world.delivered(units=2, days_ahead=11)
    monkeypatch.setattr(jobs, "today", lambda: world.service_date(todays))
    assert world.service_date(yesterdays) == world.service_date(todays) - timedelta(days=1)

    summary = jobs.daily_invoice_job()

    assert summary.through == world.service_date(yesterdays)
    assert {i.payer for i in summary.issued} == {world.council.name, world.icb.name}
    assert {i.po_number for i in summary.issued} == {"BC-SB-2026-0142", "ICB-PHB-88213"}
    assert sum(i.total for i in summary.issued) == 59000  # yesterday's stay, split between its funders
    billed = set(session.scalars(select(BillableItem.booking_id).where(BillableItem.invoice_id.is_not(None))))
    assert billed == {yesterdays.id}  # today's care waits for tomorrow's run
    assert jobs.daily_invoice_job().issued == []  # a second run the same day bills nothing new


def test_the_scheduler_runs_invoices_every_morning_safely():
    scheduler = build_scheduler(BackgroundScheduler)
    job = scheduler.get_job(jobs.JOB_ID)
    assert job.func is jobs.daily_invoice_job and job.name == "Daily invoice run"
    assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
    assert isinstance(job.trigger, CronTrigger) and str(job.trigger.timezone) == "Europe/London"
    after = datetime(2026, 11, 29, 12, 0, tzinfo=LONDON)
    assert job.trigger.get_next_fire_time(None, after) == datetime(2026, 11, 30, 7, 0, tzinfo=LONDON)
