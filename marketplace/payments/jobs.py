"""The card-payment job: every five minutes, release bookings whose top-up was not paid in time
(sweep.py), attach intents whose id a stopped process never stored (flow.reconcile_orphans), and
refund paid top-ups of bookings that ended (refunds.py)."""

from apscheduler.triggers.interval import IntervalTrigger

from marketplace.scheduler import JobSpec

JOB_ID = "payments-top-up-sweep"


def sweep_job() -> list[int]:
    from marketplace.core.jobs import in_app

    return in_app(_sweep)


def _sweep(session) -> list[int]:
    from marketplace.payments import flow, gateway, refunds, sweep

    released = sweep.release_unpaid_top_ups(session)
    if gateway.enabled():
        flow.reconcile_orphans(session)
        refunds.refund_cancelled_top_ups(session)
    return released


jobs = [JobSpec(id=JOB_ID, func=sweep_job, trigger=IntervalTrigger(minutes=5), name="Unpaid card top-ups")]
