"""Emergency bookings (issue #12, item 1): a provider books its emergency reserve only on behalf of
someone who may act for the budget (the family, or a commissioner funding it), only for a family
that has booked with it before, and the booking's history says who asked. Anyone else is told
"No such budget" and learns nothing about it."""

from sqlalchemy import func, select

from marketplace import ledger
from marketplace.bookings.models import Booking, BookingEvent
from marketplace.budgets.books import stream_account


def emergency(client, headers, slot, budget, asked_by=None, units=1):
    body = {"slot_id": str(slot.id), "budget_id": str(budget.id), "units": units, "emergency": True}
    if asked_by is not None:
        body["asked_by"] = str(asked_by.id)
    return client.post("/api/v1/bookings", json=body, headers=headers)


def booked_before(client, bearer, world):
    """The family books an ordinary place with the provider: the link an emergency booking needs."""
    slot = world.make_slot(world.make_offer(), days_ahead=20)
    body = {"slot_id": str(slot.id), "budget_id": str(world.budget.id), "units": 1}
    assert client.post("/api/v1/bookings", json=body, headers=bearer(world.parent)).status_code == 201


def available(session, budget):
    return sum(ledger.balance(stream_account(session, s)).available for s in budget.streams)


def assert_says_nothing_about_the_budget(response, world):
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["message"] == "No such budget" and error["fields"] == {"budget_id": ["No such budget"]}
    text = response.get_data(as_text=True)
    assert "Ben" not in text and "£" not in text
    for figure in ("450000", "300000", "150000", "4,500", "3,000", "1,500"):
        assert figure not in text


def test_an_unrelated_provider_cannot_spend_a_familys_budget(client, world, bearer, session, make):
    """The reported hole: a provider booked its own slot on another family's budget by id."""
    stranger, offer = world.other_provider(emergency_reserve=1)
    slot = world.make_slot(offer, capacity=2)
    before = available(session, world.budget)
    # with nobody named, naming itself, another family or an unrelated commissioner: no link
    other_family_user = world.another_family()[1]
    for asked_by in (None, stranger, other_family_user, make.user("commissioner")):
        response = emergency(client, bearer(stranger), slot, world.budget, asked_by=asked_by)
        assert_says_nothing_about_the_budget(response, world)
    # the same answer as for a budget that does not exist
    missing = client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id), "budget_id": "999999", "units": 1, "emergency": True},
        headers=bearer(stranger),
    )
    assert (
        missing.status_code == 404
        and missing.get_json() == emergency(client, bearer(stranger), slot, world.budget).get_json()
    )
    assert session.scalar(select(func.count(Booking.id))) == 0
    assert available(session, world.budget) == before == 450000
    assert ledger.reconcile(session) == []


def test_naming_the_family_is_not_enough_without_a_booking_with_the_provider(client, world, bearer, session):
    """User and budget ids can be guessed: a provider the family has never booked with gets the
    same answer as for a budget that does not exist, even naming the family's own member."""
    offer = world.make_offer(emergency_reserve=1)
    slot = world.make_slot(offer, capacity=1)
    for asked_by in (world.parent, world.commissioner):
        response = emergency(client, bearer(world.provider), slot, world.budget, asked_by=asked_by)
        assert_says_nothing_about_the_budget(response, world)
    assert session.scalar(select(func.count(Booking.id))) == 0


def test_the_provider_books_an_emergency_place_the_family_asked_for(client, world, bearer, session):
    booked_before(client, bearer, world)
    offer = world.make_offer(emergency_reserve=1)
    slot = world.make_slot(offer, capacity=1)
    response = emergency(client, bearer(world.provider), slot, world.budget, asked_by=world.parent)
    assert response.status_code == 201, response.get_json()
    booking = session.get(Booking, int(response.get_json()["id"]))
    assert booking.emergency and booking.booked_by_id == world.provider.id
    event = session.scalar(select(BookingEvent).where(BookingEvent.booking_id == booking.id))
    assert event.note == f"Emergency booking, asked for by {world.parent.name} (the family)"
    assert response.get_json()["events"][0]["note"] == event.note
    assert available(session, world.budget) == 450000 - 2 * 29500


def test_the_provider_books_an_emergency_place_a_funding_commissioner_asked_for(
    client, world, bearer, session
):
    booked_before(client, bearer, world)
    offer = world.make_offer(emergency_reserve=1)
    slot = world.make_slot(offer, capacity=1)
    response = emergency(client, bearer(world.provider), slot, world.budget, asked_by=world.commissioner)
    assert response.status_code == 201, response.get_json()
    notes = [e["note"] for e in response.get_json()["events"]]
    assert notes == [f"Emergency booking, asked for by {world.commissioner.name} (Brightwater Council)"]


def test_only_the_slots_provider_books_emergency_capacity_even_when_asked(client, world, bearer, session):
    booked_before(client, bearer, world)
    offer = world.make_offer(emergency_reserve=1)
    slot = world.make_slot(offer, capacity=1)
    # the family itself may not take the reserve: it knows its budget, so it is told why
    assert (
        emergency(client, bearer(world.parent), slot, world.budget, asked_by=world.parent).status_code == 403
    )
    # another provider, even with the family's name, may not use Hilltop's reserve, and is not
    # told the budget exists
    stranger, _ = world.other_provider()
    response = emergency(client, bearer(stranger), slot, world.budget, asked_by=world.parent)
    assert_says_nothing_about_the_budget(response, world)
    assert session.scalar(select(func.count(Booking.id)).where(Booking.emergency)) == 0
