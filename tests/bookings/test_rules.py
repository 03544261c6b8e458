"""The offer's booking rules, the split across streams, and capacity."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.bookings import operations as bookings
from marketplace.bookings.funding import cover_cost
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.budgets.books import stream_account
from marketplace.catalog import operations as catalog
from marketplace.catalog.models import Category
from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.ledger.models import Hold


def test_cover_cost_pro_rata_by_allocation():
    assert cover_cost(59000, [300000, 150000], [300000, 150000]) == ([39333, 19667], 0)


def test_a_stream_that_falls_short_passes_the_rest_on():
    # health has only £50.00 left: it pays that, social care covers the rest
    assert cover_cost(59000, [300000, 150000], [300000, 5000]) == ([54000, 5000], 0)


def test_what_no_stream_can_cover_is_a_top_up():
    assert cover_cost(59000, [300000, 150000], [20000, 5000]) == ([20000, 5000], 34000)


def test_short_budget_is_refused_with_the_shortfall(session, world):
    family, user, budget = world.another_family(social_care=20000, health=5000)
    with pytest.raises(Conflict) as err:
        bookings.book(session, actor=user, slot=world.make_slot(), budget=budget, units=1)
    assert err.value.code == "budget_short" and "£45.00 short" in err.value.message
    assert session.scalar(select(func.count(Hold.id))) == 0


@pytest.mark.parametrize("units,message", [(1, "at least 2"), (15, "at most 14")])
def test_units_per_booking(session, world, units, message):
    offer = world.make_offer(min_units_per_booking=2, max_units_per_booking=14)
    with pytest.raises(ValidationFailed) as err:
        bookings.book(
            session, actor=world.parent, slot=world.make_slot(offer), budget=world.budget, units=units
        )
    assert message in err.value.fields["units"][0].lower()


def test_yearly_cap_per_child(session, world):
    offer = world.make_offer(yearly_cap_per_child=3)
    bookings.book(
        session, actor=world.parent, slot=world.make_slot(offer, days_ahead=5), budget=world.budget, units=2
    )
    with pytest.raises(Conflict, match="yearly limit of 3"):
        bookings.book(
            session,
            actor=world.parent,
            slot=world.make_slot(offer, days_ahead=9),
            budget=world.budget,
            units=2,
        )
    bookings.book(
        session, actor=world.parent, slot=world.make_slot(offer, days_ahead=12), budget=world.budget, units=1
    )


def test_cancelled_bookings_do_not_count_towards_the_cap(session, world):
    from marketplace.bookings.models import CancelledBy

    offer = world.make_offer(yearly_cap_per_child=2)
    first = bookings.book(
        session, actor=world.parent, slot=world.make_slot(offer, days_ahead=5), budget=world.budget, units=2
    )
    bookings.cancel(session, first, world.parent, by=CancelledBy.FAMILY)
    slot = world.make_slot(offer, days_ahead=9)
    second = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=2)
    # the cap of 2 is reached again only because the cancelled booking no longer counts
    assert first.status == BookingStatus.CANCELLED
    assert (second.status, second.units, second.slot_id) == (BookingStatus.REQUESTED, 2, slot.id)
    assert slot.booked == 1 and second.cost == 2 * 29500


def test_bookings_open_at_once(session, world):
    offer = world.make_offer(max_open_bookings_per_family=2)
    for days in (5, 6):
        bookings.book(
            session,
            actor=world.parent,
            slot=world.make_slot(offer, days_ahead=days),
            budget=world.budget,
            units=1,
        )
    with pytest.raises(Conflict, match="most allowed at once"):
        bookings.book(
            session,
            actor=world.parent,
            slot=world.make_slot(offer, days_ahead=7),
            budget=world.budget,
            units=1,
        )


def test_booking_window(session, world):
    offer = world.make_offer(booking_window_days=30)
    with pytest.raises(Conflict, match="opens on"):
        bookings.book(
            session,
            actor=world.parent,
            slot=world.make_slot(offer, days_ahead=45),
            budget=world.budget,
            units=1,
        )
    bookings.book(
        session, actor=world.parent, slot=world.make_slot(offer, days_ahead=20), budget=world.budget, units=1
    )


def test_emergency_capacity_is_for_providers_only(session, world):
    offer = world.make_offer(emergency_reserve=1)
    slot = world.make_slot(offer, capacity=2)
    bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    family, user, budget = world.another_family()
    with pytest.raises(Conflict, match="fully booked"):
        bookings.book(session, actor=user, slot=slot, budget=budget, units=1)
    # the provider takes its reserve for a family that has booked with it before, at its asking
    bookings.book(session, actor=user, slot=world.make_slot(offer, days_ahead=20), budget=budget, units=1)
    bookings.book(
        session, actor=world.provider, slot=slot, budget=budget, units=1, emergency=True, asked_by=user
    )
    assert slot.booked == 2


def test_full_closed_past_and_unpublished_slots_are_refused(session, world):
    slot = world.make_slot(capacity=1)
    bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    family, user, budget = world.another_family()
    with pytest.raises(Conflict, match="fully booked"):
        bookings.book(session, actor=user, slot=slot, budget=budget, units=1)
    closed = world.make_slot(days_ahead=11)
    catalog.close_slot(session, closed, None)
    with pytest.raises(Conflict, match="closed"):
        bookings.book(session, actor=user, slot=closed, budget=budget, units=1)
    past = world.make_slot(days_ahead=-1)
    with pytest.raises(Conflict, match="already started"):
        bookings.book(session, actor=user, slot=past, budget=budget, units=1)
    archived = world.make_offer(title="Old")
    old_slot = world.make_slot(archived)
    catalog.archive_offer(session, archived, None)
    with pytest.raises(Conflict, match="not open"):
        bookings.book(session, actor=user, slot=old_slot, budget=budget, units=1)
    assert session.scalar(select(func.count(Booking.id))) == 1


def test_streams_that_do_not_accept_the_category_do_not_pay(session, world):
    offer = world.make_offer(title="Hydrotherapy", category=Category.THERAPY)
    with pytest.raises(Conflict) as err:
        bookings.book(session, actor=world.parent, slot=world.make_slot(offer), budget=world.budget, units=1)
    assert err.value.code == "budget_short"


def test_budget_must_be_active_on_the_date(session, world):
    slot = world.make_slot(days_ahead=2)
    world.budget.period_end = slot.starts_at.date() - timedelta(days=1)
    with pytest.raises(Conflict, match="not active"):
        bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)


def test_refusal_leaves_nothing_behind(session, world):
    family, user, budget = world.another_family(social_care=1000, health=1000)
    slot = world.make_slot()
    with pytest.raises(Conflict):
        bookings.book(session, actor=user, slot=slot, budget=budget, units=1)
    assert slot.booked == 0
    assert [ledger.balance(stream_account(session, s)).pending for s in budget.streams] == [0, 0]


def test_a_booking_names_an_outcome_of_its_own_budget_only(session, world):
    from datetime import date

    from marketplace.budgets import operations as budget_ops

    mine = budget_ops.add_outcome(
        session,
        world.budget,
        actor=world.parent,
        description="Ben sleeps over with friends",
        time_frame="short",
        review_date=date(2027, 1, 1),
    )
    _, _, other_budget = world.another_family()
    theirs = budget_ops.add_outcome(
        session,
        other_budget,
        actor=None,
        description="Zoe swims",
        time_frame="short",
        review_date=date(2027, 1, 1),
    )
    with pytest.raises(ValidationFailed) as err:
        bookings.book(
            session,
            actor=world.parent,
            slot=world.make_slot(),
            budget=world.budget,
            units=1,
            outcome_id=theirs.id,
        )
    assert "outcome_id" in err.value.fields
    booking = bookings.book(
        session,
        actor=world.parent,
        slot=world.make_slot(days_ahead=11),
        budget=world.budget,
        units=1,
        outcome_id=mine.id,
    )
    assert booking.outcome.description == "Ben sleeps over with friends"
