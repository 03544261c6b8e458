"""Notices about a booking are worded for the person receiving them (issue #17, items 3 and 6):
the family reads "Your booking for Ben …", the provider's staff "Ben's booking (family) …" — a
provider never receives "Your booking" — and every figure and date is in words."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import CancelledBy
from marketplace.core.clock import business_date
from marketplace.core.notifications import Notification


def _subjects(session, user) -> list[str]:
    return list(
        session.scalars(
            select(Notification.subject).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def _day(slot) -> str:
    return f"{business_date(slot.starts_at):%-d %B %Y}"


def test_notices_of_a_delivered_booking_name_what_was_delivered(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=2)
    bookings.confirm(session, booking, world.provider)
    bookings.deliver(session, booking, world.provider, now=slot.starts_at + timedelta(hours=1))
    day, title, family = _day(slot), world.offer.title, world.family.name
    assert _subjects(session, world.parent) == [
        f"Your booking for Ben is requested: {title} on {day}",
        f"Your booking for Ben is confirmed: {title} on {day}",
        f"Care delivered: {title} for Ben on {day}",
    ]
    assert _subjects(session, world.provider) == [
        f"New booking request: Ben's booking ({family}), {title} on {day}",
        f"Ben's booking ({family}) is confirmed: {title} on {day}",
        f"Ben's booking ({family}) is recorded as delivered: {title} on {day}",
    ]


def test_a_no_show_notice_names_the_booking(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    bookings.mark_no_show(session, booking, world.provider, now=slot.starts_at + timedelta(hours=1))
    assert f"Recorded as a no-show: {world.offer.title} for Ben on {_day(slot)}" in _subjects(
        session, world.parent
    )
    assert (
        f"Ben's booking ({world.family.name}) is recorded as a no-show: {world.offer.title} on {_day(slot)}"
        in (_subjects(session, world.provider))
    )


def _decline(session, world, booking, slot):
    bookings.decline(session, booking, world.provider, reason="No nurse that night")


def _cancel_as(by):
    def run(session, world, booking, slot):
        bookings.confirm(session, booking, world.provider)
        actor = world.parent if by is CancelledBy.FAMILY else world.provider
        bookings.cancel(
            session, booking, actor, by=by, reason="Sorry", now=slot.starts_at - timedelta(hours=24)
        )

    return run


def _no_show(session, world, booking, slot):
    bookings.confirm(session, booking, world.provider)
    bookings.mark_no_show(session, booking, world.provider, now=slot.starts_at + timedelta(hours=1))


@pytest.mark.parametrize(
    "event",
    [
        _decline,
        _cancel_as(CancelledBy.FAMILY),
        _cancel_as(CancelledBy.PROVIDER),
        _cancel_as(CancelledBy.BUMP),
        _no_show,
    ],
    ids=["declined", "cancelled by the family", "cancelled by the provider", "bumped", "no-show"],
)
def test_the_provider_is_never_told_your_booking(session, world, event):
    colleague = world.make.user("provider", org=world.provider_org)
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    event(session, world, booking, slot)
    for staff in (world.provider, colleague):
        subjects = _subjects(session, staff)
        assert len(subjects) >= 2
        assert not [s for s in subjects if "your booking" in s.lower() or "your short break" in s.lower()]
        assert all(f"Ben's booking ({world.family.name})" in s for s in subjects)
    family_side = _subjects(session, world.parent)
    assert len(family_side) == len(subjects)
    assert not [s for s in family_side if world.family.name in s]  # the family is not told its own name
    assert not [s for s in family_side + subjects if ": of " in s or "no_show" in s or "pence" in s]


def test_the_family_is_told_why_a_request_was_declined(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.decline(session, booking, world.provider, reason="No nurse that night")
    [note] = session.scalars(
        select(Notification).where(
            Notification.user_id == world.parent.id, Notification.subject.contains("declined")
        )
    )
    assert note.subject == f"Your booking for Ben was declined: {world.offer.title} on {_day(slot)}"
    assert note.body == f"{world.provider_org.name} said: No nurse that night"
