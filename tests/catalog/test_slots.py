"""Slots: weekly patterns in London local time, capacity left, closing, and the database's guard rails."""

from datetime import date, time, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from marketplace.catalog import operations
from marketplace.core.errors import Conflict, ValidationFailed


def test_weekly_pattern_across_the_clock_change(session, make_offer):
    offer = make_offer()
    slots = operations.generate_weekly_slots(
        session, offer, first=date(2026, 3, 23), last=date(2026, 4, 5), weekdays=[4, 5],
        start=time(17), end=time(10), capacity=4, actor=None,
    )  # fmt: skip
    # Fridays and Saturdays: 27/28 March (clocks go forward on the 29th) and 3/4 April
    assert [s.starts_at.isoformat() for s in slots] == [
        "2026-03-27T17:00:00+00:00",
        "2026-03-28T17:00:00+00:00",
        "2026-04-03T16:00:00+00:00",
        "2026-04-04T16:00:00+00:00",
    ]
    assert (slots[1].ends_at - slots[1].starts_at) == timedelta(hours=16)  # the short night
    assert all(s.capacity == 4 and s.capacity_left == 4 for s in slots)


def test_pattern_is_idempotent(session, make_offer):
    offer = make_offer()
    kwargs = dict(
        first=date(2026, 5, 4),
        last=date(2026, 5, 17),
        weekdays=[0, 2],
        start=time(10),
        end=time(16),
        capacity=6,
    )
    assert len(operations.generate_weekly_slots(session, offer, actor=None, **kwargs)) == 4
    assert operations.generate_weekly_slots(session, offer, actor=None, **kwargs) == []


def test_capacity_left_and_bookable(make_offer, make_slot):
    slot = make_slot(make_offer(emergency_reserve=1), capacity=4, booked=1)
    assert slot.capacity_left == 3
    assert slot.bookable == 2


def test_booked_can_never_exceed_capacity(session, make_offer, make_slot):
    slot = make_slot(make_offer(), capacity=2)
    slot.booked = 3
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_negative_capacity_refused(session, make_offer):
    offer = make_offer()
    with pytest.raises(ValidationFailed):
        operations.add_slot(
            session, offer, *operations.local_times(date(2026, 5, 1), time(9), time(10)), -1, None
        )


def test_two_slots_cannot_start_together(session, make_offer, make_slot):
    slot = make_slot(make_offer())
    with pytest.raises(Conflict):
        operations.add_slot(session, slot.offer, slot.starts_at, slot.ends_at, 2, None)


def test_closing_a_slot(client, session, make_offer, make_slot):
    offer = make_offer()
    slot = make_slot(offer)
    operations.close_slot(session, slot, None)
    assert slot.closed and slot.bookable == 0
    assert client.get(f"/api/v1/offers/{offer.id}/slots").get_json()["items"] == []


def test_slots_api_window(client, make_offer, make_slot):
    offer = make_offer()
    soon = make_slot(offer, days_ahead=2, booked=1)
    make_slot(offer, days_ahead=40)
    body = client.get(
        f"/api/v1/offers/{offer.id}/slots",
        query_string={"to": (date.today() + timedelta(days=10)).isoformat()},
    ).get_json()
    assert [s["id"] for s in body["items"]] == [str(soon.id)]
    assert body["items"][0]["capacity_left"] == 3
    bad = client.get(
        f"/api/v1/offers/{offer.id}/slots", query_string={"from": "2026-05-10", "to": "2026-05-01"}
    )
    assert bad.status_code == 422 and "to" in bad.get_json()["error"]["fields"]
