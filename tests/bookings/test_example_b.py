"""DESIGN.md worked example B, figure for figure."""

from datetime import timedelta

from marketplace import ledger
from marketplace.bookings import operations as bookings
from marketplace.bookings import rules
from marketplace.bookings.models import BookingStatus, CancelledBy
from marketplace.budgets.books import stream_account


def available(session, budget):
    return [ledger.balance(stream_account(session, s)).available for s in budget.streams]


def test_booking_two_nights_holds_590_and_leaves_3910(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=2)
    assert booking.cost == 59000
    assert [p.amount for p in booking.payments] == [
        39333,
        19667,
    ]  # 3,000:1,500, health has the larger remainder
    assert sum(available(session, world.budget)) == 391000
    assert slot.booked == 1


def test_delivered_booking_posts_each_streams_share(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=2)
    bookings.confirm(session, booking, world.provider)
    bookings.deliver(session, booking, world.provider, now=slot.starts_at + timedelta(hours=1))
    assert booking.status is BookingStatus.DELIVERED
    accounts = [stream_account(session, s) for s in world.budget.streams]
    assert [a.posted for a in accounts] == [300000 - 39333, 150000 - 19667]
    assert [a.pending_out for a in accounts] == [0, 0]
    assert bookings.provider_account(session, world.provider_org.id).posted == 59000
    assert ledger.reconcile(session) == []


def test_cancelling_a_night_24_hours_before_charges_half(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    assert rules.cancellation_charge(booking, now=slot.starts_at - timedelta(hours=24)) == 14750
    bookings.cancel(
        session, booking, world.parent, by=CancelledBy.FAMILY, now=slot.starts_at - timedelta(hours=24)
    )
    assert booking.charge == 14750
    assert sum(available(session, world.budget)) == 450000 - 14750  # £147.50 charged, £147.50 released
    assert slot.booked == 0
    assert ledger.reconcile(session) == []


def test_cancelling_with_48_hours_notice_is_free(session, world):
    slot = world.make_slot()
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    bookings.cancel(
        session, booking, world.parent, by=CancelledBy.FAMILY, now=slot.starts_at - timedelta(hours=48)
    )
    assert booking.charge == 0
    assert sum(available(session, world.budget)) == 450000
