"""The catalogue's scheduled job: offers whose stored next open slot has started are worked out
again every few minutes (catalog.availability), so search rarely has to ask the slot table."""

from marketplace.catalog.availability import REFRESH_MINUTES, refresh_job

JOB_ID = "catalog-next-open-refresh"


def schedule(scheduler) -> None:
    from apscheduler.triggers.interval import IntervalTrigger

    scheduler.add_job(
        refresh_job,
        trigger=IntervalTrigger(minutes=REFRESH_MINUTES),
        id=JOB_ID,
        name="Offers' next open slot",
        replace_existing=True,  # (coalesce, one instance at a time: the scheduler's defaults)
    )
