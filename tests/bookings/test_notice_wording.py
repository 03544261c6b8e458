"""Notices about a booking read as sentences with every figure in place (issue #17, item 3):
never "Care delivered: of …" or a state's stored value."""

from datetime import timedelta

from sqlalchemy import select

from marketplace.bookings import operations as bookings
from marketplace.core.clock import business_date
from marketplace.core.notifications import Notification


def _subjects(session, user) -> list[str]:
    return list(session.scalars(select(Notification.subject).where(Notification.user_id == user.id)))


def test_notices_of_a_delivered_booking_name_what_was_delivered(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=2)
    bookings.confirm(session, booking, world.provider)
    bookings.deliver(session, booking, world.provider, now=slot.starts_at + timedelta(hours=1))
    subjects = _subjects(session, world.parent)
    day = f"{business_date(slot.starts_at):%-d %B %Y}"
    assert f"Care delivered: {world.offer.title} for Ben on {day}" in subjects
    assert any(s.startswith("Booking of ") and s.endswith(": requested") for s in subjects)
    assert not [s for s in subjects if ": of " in s or "no_show" in s]


def test_a_no_show_notice_names_the_booking(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    bookings.mark_no_show(session, booking, world.provider, now=slot.starts_at + timedelta(hours=1))
    assert (
        f"Recorded as a no-show: {world.offer.title} for Ben on {business_date(slot.starts_at):%-d %B %Y}"
        in _subjects(session, world.parent)
    )
