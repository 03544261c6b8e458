"""Each offer's stored next open slot (Offer.next_open_at) follows every change that moves it —
slots added, closed or full, bookings made and cancelled, the emergency reserve — and search
never shows a stored value that time has overtaken."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import CancelledBy
from marketplace.catalog import availability, operations
from marketplace.catalog.models import Offer, Slot
from marketplace.catalog.search import OfferFilters, search_offers
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from tests.bookings.conftest import BookingWorld


def stored(session, offer):
    """The offer's stored next open slot once the transaction has committed."""
    session.commit()
    session.expire(offer)
    return offer.next_open_at


def test_slots_and_bookings_move_the_stored_next_open_slot(session, make):
    world = BookingWorld(session, make)
    offer = world.offer
    assert stored(session, offer) is None  # no slots yet
    later = world.make_slot(days_ahead=9, capacity=2)
    assert stored(session, offer) == later.starts_at
    sooner = world.make_slot(days_ahead=4, capacity=1)
    assert stored(session, offer) == sooner.starts_at

    booking = bookings.book(session, actor=world.parent, slot=sooner, budget=world.budget, units=1)
    assert stored(session, offer) == later.starts_at  # the sooner one is full now
    bookings.cancel(session, booking, world.parent, by=CancelledBy.FAMILY)
    assert stored(session, offer) == sooner.starts_at  # its place is free again

    operations.close_slot(session, sooner, None)
    assert stored(session, offer) == later.starts_at
    operations.update_offer(session, offer, {"emergency_reserve": 2}, None)
    assert stored(session, offer) is None  # both places of the later slot are held back now
    operations.update_offer(session, offer, {"emergency_reserve": 1}, None)
    assert stored(session, offer) == later.starts_at


def test_search_does_not_trust_a_stored_slot_that_has_started(session, make):
    world = BookingWorld(session, make)
    first = world.make_slot(days_ahead=2)
    second = world.make_slot(days_ahead=5)
    session.commit()
    assert stored(session, world.offer) == first.starts_at
    # a day after the first slot started, before any refresh: the second is the next open one
    then = first.starts_at + timedelta(days=1)
    result = search_offers(session, OfferFilters(), now=then, count_limit=None)
    assert [(h.offer.id, h.next_available) for h in result.hits] == [(world.offer.id, second.starts_at)]

    assert availability.refresh_stale(session, now=then) == 1
    assert stored(session, world.offer) == second.starts_at
    assert availability.refresh_stale(session, now=then) == 0  # nothing else had started


def test_a_search_of_a_moment_before_the_stored_slot_was_worked_out_asks_the_slot_table(session, make):
    world = BookingWorld(session, make)
    early = world.make_slot(days_ahead=1)
    later = world.make_slot(days_ahead=3)
    other = world.make_offer(title="Another break")
    world.make_slot(other, days_ahead=2)
    session.commit()
    # worked out tomorrow (after the first slot started): it knows only the later one
    assert availability.refresh(session, [world.offer.id], now=early.starts_at + timedelta(hours=1)) == 1
    assert stored(session, world.offer) == later.starts_at
    # a search as of now must still see the first slot
    for limit in (None, 1):  # ranking every match, and the broad way (more matches than 1)
        hits = search_offers(session, OfferFilters(sort="soonest", per_page=1), count_limit=limit).hits
        assert [(h.offer.id, h.next_available) for h in hits] == [(world.offer.id, early.starts_at)]


def test_work_rolled_back_is_not_worked_out(session, make):
    world = BookingWorld(session, make)
    slot = world.make_slot(days_ahead=3)
    assert stored(session, world.offer) == slot.starts_at
    operations.close_slot(session, slot, None)
    session.rollback()
    assert session.info.get(availability.PENDING) is None
    assert stored(session, world.offer) == slot.starts_at


def test_the_refresh_job_works_out_offers_whose_slot_has_started(app, session, make):
    world = BookingWorld(session, make)
    slot = world.make_slot(days_ahead=2)
    session.commit()
    # as if the stored slot had started: the job finds it and asks the slot table again
    session.execute(update(Offer).values(next_open_at=utcnow() - timedelta(hours=1)))
    session.commit()
    assert availability.refresh_job() == 1
    assert stored(session, world.offer) == slot.starts_at
    assert availability.refresh_job() == 0


def test_the_refresh_job_is_scheduled(app):
    from apscheduler.schedulers.background import BackgroundScheduler

    from marketplace.catalog.jobs import JOB_ID, jobs
    from marketplace.scheduler import add_job

    scheduler = BackgroundScheduler()
    add_job(scheduler, jobs[0])
    job = scheduler.get_job(JOB_ID)
    assert job.trigger.interval == timedelta(minutes=availability.REFRESH_MINUTES)


@pytest.mark.postgres
@pytest.mark.real_commits
def test_two_transactions_changing_one_offers_slots_at_once_leave_the_right_next_open_slot(
    app, session, make, monkeypatch
):
    """One transaction fills the first date while another closes the second date of the same
    offer, neither touching the offer row itself. The first is held open just after working the
    offer out, so the second works it out while the first is uncommitted: it must wait for it and
    see its change, or the offer would keep a full date as its next open one."""
    world = BookingWorld(session, make)
    first, second = (world.make_slot(days_ahead=3 + n, capacity=1) for n in range(2))
    later = world.make_slot(days_ahead=20, capacity=1)
    session.commit()
    assert session.get(Offer, world.offer.id).next_open_at == first.starts_at

    worked_out = threading.Event()
    original = availability.refresh

    def slow_refresh(session, offer_ids=None, now=None):
        updated = original(session, offer_ids, now)
        if threading.current_thread().name == "fills":
            worked_out.set()
            time.sleep(1.0)  # hold the transaction open, its offer row locked
        return updated

    monkeypatch.setattr(availability, "refresh", slow_refresh)
    errors = []

    def change(slot_id, wait, **values):
        with app.app_context():
            try:
                if wait:
                    assert worked_out.wait(10)
                slot = db.session.get(Slot, slot_id)
                for name, value in values.items():
                    setattr(slot, name, value)
                db.session.commit()
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(err)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=change, args=(first.id, False), kwargs={"booked": 1}, name="fills"),
        threading.Thread(target=change, args=(second.id, True), kwargs={"closed": True}, name="closes"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    session.expire_all()
    assert session.get(Slot, first.id).booked == 1 and session.get(Slot, second.id).closed
    assert session.get(Offer, world.offer.id).next_open_at == later.starts_at
