"""The catalogue's scheduled job: offers whose stored next open slot has started are worked out
again every few minutes (catalog.availability), so search rarely has to ask the slot table."""

from apscheduler.triggers.interval import IntervalTrigger

from marketplace.catalog.availability import REFRESH_MINUTES, refresh_job
from marketplace.scheduler import JobSpec

JOB_ID = "catalog-next-open-refresh"

# (coalesce, one instance at a time: the scheduler's defaults)
jobs = [
    JobSpec(
        id=JOB_ID,
        func=refresh_job,
        trigger=IntervalTrigger(minutes=REFRESH_MINUTES),
        name="Offers' next open slot",
    )
]
