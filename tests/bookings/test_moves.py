"""The moves a booking's page offers come from the transition table (rules.moves_for), and what
cancelling would cost from the operation's quote (rules.cancellation_quote)."""

from datetime import timedelta

import pytest

from marketplace.bookings import operations as bookings
from marketplace.bookings import rules
from marketplace.bookings.models import BookingStatus, CancelledBy
from marketplace.core.clock import utcnow

S = BookingStatus
FAMILY = {S.REQUESTED: ["cancel"], S.CONFIRMED: ["cancel"]}
PROVIDER = {S.REQUESTED: ["confirm", "decline", "bump"], S.CONFIRMED: ["deliver", "no-show", "bump"]}


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("who", ["parent", "provider", "commissioner", "admin", "stranger"])
def test_every_status_offers_each_side_its_legal_moves(world, session, make, status, who):
    booking = bookings.book(session, actor=world.parent, slot=world.make_slot(), budget=world.budget, units=1)
    user = {
        "parent": world.parent,
        "provider": world.provider,
        "commissioner": world.commissioner,
        "admin": make.user("admin"),
        "stranger": make.user("provider"),
    }[who]
    booking.status = status  # the moves read the state alone
    family = FAMILY.get(status, []) if who in ("parent", "admin") else []
    provider = PROVIDER.get(status, []) if who in ("provider", "admin") else []
    moves = rules.moves_for(booking, user, now=booking.slot.starts_at)  # the stay has just started
    assert [m.action for m in moves] == family + provider
    assert all(m.to in rules.TRANSITIONS[status] and m.side in rules.TRANSITIONS[status][m.to] for m in moves)


def test_the_cancellation_quote_is_what_cancel_does(world, session):
    """Example B: a confirmed £295.00 night cancelled by the family 24 hours ahead charges £147.50
    and releases £147.50; the provider's cancellation is free; started care cannot be cancelled."""
    slot = world.make_slot(days_ahead=10)
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    day_before = slot.starts_at - timedelta(hours=24)
    assert rules.cancellation_quote(booking, CancelledBy.FAMILY, day_before) == rules.CancellationQuote(
        possible=True, charge=14750, released=14750
    )
    assert rules.cancellation_quote(booking, CancelledBy.PROVIDER, day_before) == rules.CancellationQuote(
        possible=True, charge=0, released=29500
    )
    assert not rules.cancellation_quote(booking, CancelledBy.FAMILY, slot.starts_at).possible
    bookings.cancel(session, booking, world.parent, by=CancelledBy.FAMILY, now=day_before)
    assert booking.charge == 14750


def test_the_cancel_page_shows_the_quote(client, world, sign_in, session):
    slot = world.make_slot(days_ahead=1)  # inside the 48-hour window
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    sign_in(world.parent)
    page = client.get(f"/bookings/{booking.id}/cancel").get_data(as_text=True)
    assert "costs £147.50. £147.50 goes back to your budget" in page
    slot.starts_at = utcnow() - timedelta(minutes=1)
    session.flush()
    assert client.get(f"/bookings/{booking.id}/cancel").status_code == 302


@pytest.mark.parametrize("who", ["provider", "admin"])
def test_delivered_and_no_show_are_offered_only_once_the_stay_has_started(world, session, make, who):
    slot = world.make_slot(days_ahead=3)
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    user = world.provider if who == "provider" else make.user("admin")
    before = [m.action for m in rules.moves_for(booking, user, now=slot.starts_at - timedelta(minutes=1))]
    after = [m.action for m in rules.moves_for(booking, user, now=slot.starts_at)]
    assert "deliver" not in before and "no-show" not in before and "bump" in before
    assert after[-3:] == ["deliver", "no-show", "bump"]
