"""Every transition of the booking lifecycle, legal and illegal, and what each does to money and places."""

from datetime import timedelta

import pytest

from marketplace.bookings import operations as bookings
from marketplace.bookings import rules
from marketplace.bookings.models import BookingStatus, CancelledBy
from marketplace.core.errors import Conflict
from marketplace.core.notifications import inbox

S = BookingStatus
PATHS = {
    S.REQUESTED: [],
    S.CONFIRMED: ["confirm"],
    S.DELIVERED: ["confirm", "deliver"],
    S.DECLINED: ["decline"],
    S.CANCELLED: ["cancel"],
    S.NO_SHOW: ["confirm", "no_show"],
}
LEGAL = {
    (S.REQUESTED, "confirm"),
    (S.REQUESTED, "decline"),
    (S.REQUESTED, "cancel"),
    (S.CONFIRMED, "deliver"),
    (S.CONFIRMED, "no_show"),
    (S.CONFIRMED, "cancel"),
}


def act(session, world, booking, action):
    after_start = booking.slot.starts_at + timedelta(hours=1)
    before_start = booking.slot.starts_at - timedelta(days=5)
    return {
        "confirm": lambda: bookings.confirm(session, booking, world.provider),
        "decline": lambda: bookings.decline(session, booking, world.provider, "Full that week"),
        "deliver": lambda: bookings.deliver(session, booking, world.provider, now=after_start),
        "cancel": lambda: bookings.cancel(
            session, booking, world.parent, by=CancelledBy.FAMILY, now=before_start
        ),
        "no_show": lambda: bookings.mark_no_show(session, booking, world.provider, now=after_start),
    }[action]()


@pytest.mark.parametrize("start", list(PATHS))
@pytest.mark.parametrize("action", ["confirm", "decline", "deliver", "cancel", "no_show"])
def test_transition(session, world, start, action):
    booking = bookings.book(session, actor=world.parent, slot=world.make_slot(), budget=world.budget, units=1)
    for step in PATHS[start]:
        act(session, world, booking, step)
    assert booking.status is start
    if (start, action) in LEGAL:
        act(session, world, booking, action)
        assert booking.status is not start
        assert booking.events[-1].to_status == booking.status.value
    else:
        with pytest.raises(Conflict) as err:
            act(session, world, booking, action)
        assert err.value.code == "illegal_transition"
        assert booking.status is start


def test_instant_booking_is_confirmed_at_once(session, world):
    offer = world.make_offer(title="Day session", instant_booking=True)
    booking = bookings.book(
        session, actor=world.parent, slot=world.make_slot(offer), budget=world.budget, units=1
    )
    assert booking.status is S.CONFIRMED


def test_decline_releases_place_and_money(session, world):
    slot = world.make_slot(capacity=1)
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.decline(session, booking, world.provider, "Sorry")
    assert slot.booked == 0
    assert all(p.hold.resolution.outcome == "voided" for p in booking.payments)


def test_cannot_deliver_before_the_care_starts(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    with pytest.raises(Conflict, match="once it has started"):
        bookings.deliver(session, booking, world.provider, now=slot.starts_at - timedelta(hours=1))


def test_no_show_posts_the_no_show_charge(session, world):
    offer = world.make_offer(title="Sibling day", no_show_bp=2500)
    slot = world.make_slot(offer)
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    bookings.mark_no_show(session, booking, world.provider, now=slot.starts_at + timedelta(hours=2))
    assert booking.charge == 7375  # 25% of £295.00
    assert bookings.provider_account(session, world.provider_org.id).posted == 7375


def test_bump_releases_everything_and_tells_the_family_at_once(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=2)
    bookings.confirm(session, booking, world.provider)
    bookings.cancel(
        session,
        booking,
        world.provider,
        by=CancelledBy.BUMP,
        reason="End-of-life care",
        now=slot.starts_at - timedelta(hours=2),
    )
    assert booking.status is S.CANCELLED and booking.charge == 0
    assert slot.booked == 0
    subjects = [n.subject for n in inbox(session, world.parent)]
    assert any("very sorry" in s for s in subjects)


def test_provider_cancellation_is_free_even_late(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    bookings.cancel(
        session, booking, world.provider, by=CancelledBy.PROVIDER, now=slot.starts_at - timedelta(hours=1)
    )
    assert booking.charge == 0


def test_every_transition_notifies_family_and_provider(session, world):
    booking = bookings.book(session, actor=world.parent, slot=world.make_slot(), budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    assert len(inbox(session, world.parent)) == 2
    assert len(inbox(session, world.provider)) == 2


def test_price_change_does_not_change_an_existing_booking(session, world):
    from marketplace.catalog import operations as catalog

    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    catalog.update_offer(session, world.offer, {"price": 40000, "late_cancellation_bp": 10000}, None)
    assert booking.cost == 29500
    assert rules.cancellation_charge(booking, now=slot.starts_at - timedelta(hours=1)) == 14750
