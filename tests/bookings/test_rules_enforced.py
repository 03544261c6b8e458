"""Rules a booking used to skip (issue #12, item 5), through the public routes: the offer's
accepted funding, its ages, a provider's withdrawn verification, one place per child on a slot,
and no cancelling (with a late charge) once the care has started."""

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from marketplace import ledger
from marketplace.bookings.models import Booking
from marketplace.budgets.books import stream_account
from marketplace.catalog import operations as catalog


def post_booking(client, headers, slot, budget, units=1):
    return client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id), "budget_id": str(budget.id), "units": units},
        headers=headers,
    )


def bookings_made(session):
    return session.scalar(select(func.count(Booking.id)))


def held(session, budget):
    return sum(ledger.balance(stream_account(session, s)).pending for s in budget.streams)


def test_an_offer_paid_only_by_charity_cannot_be_paid_from_social_care_or_health(
    client, world, bearer, session
):
    offer = world.make_offer(title="Charity-funded night", funding_streams=["charity"])
    response = post_booking(client, bearer(world.parent), world.make_slot(offer), world.budget)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "funding_not_accepted"
    assert (
        error["message"]
        == "This short break can be paid only from charity, and Ben's budget has none of that."
    )
    assert bookings_made(session) == 0 and held(session, world.budget) == 0


def test_only_the_streams_the_offer_accepts_pay(client, world, bearer):
    offer = world.make_offer(title="Health-funded night", funding_streams=["health"])
    response = post_booking(client, bearer(world.parent), world.make_slot(offer), world.budget)
    assert response.status_code == 201, response.get_json()
    assert [(p["stream"], p["amount"]) for p in response.get_json()["payments"]] == [("health", 29500)]


def test_the_child_must_be_within_the_offers_ages(client, world, bearer, session, sign_in):
    offer = world.make_offer(title="Young adults' weekend", min_age=16, max_age=25)
    slot = world.make_slot(offer)
    response = post_booking(client, bearer(world.parent), slot, world.budget)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "age_range" and error["message"].startswith(
        "This short break is for ages 16 to 25; Ben"
    )
    assert bookings_made(session) == 0
    # the booking pages say so too, with nothing booked
    sign_in(world.parent)
    refused = client.get(f"/book/{slot.id}/check?budget_id={world.budget.id}&units=1")  # shown before Confirm
    assert b"There is a problem" in refused.data
    assert b"for ages 16 to 25" in refused.data and b"Confirm booking" not in refused.data
    assert bookings_made(session) == 0


def test_a_provider_whose_verification_was_withdrawn_cannot_be_booked(
    client, world, bearer, session, sign_in
):
    slot = world.make_slot()
    catalog.decline_provider(session, world.profile, None, "CQC registration lapsed")
    response = post_booking(client, bearer(world.parent), slot, world.budget)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "offer_not_published"
    sign_in(world.parent)
    assert client.get(f"/book/{slot.id}").status_code == 404
    assert client.get(f"/book/{slot.id}/check?budget_id={world.budget.id}&units=1").status_code == 404
    assert bookings_made(session) == 0 and held(session, world.budget) == 0


def test_an_archived_offers_slot_cannot_be_booked_by_id(client, world, bearer, session):
    offer = world.make_offer(title="Old break")
    slot = world.make_slot(offer)
    catalog.archive_offer(session, offer, None)
    response = post_booking(client, bearer(world.parent), slot, world.budget)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "offer_not_published"
    assert bookings_made(session) == 0


def test_one_child_holds_one_place_on_a_slot(client, world, bearer, session):
    slot = world.make_slot(capacity=4)
    first = post_booking(client, bearer(world.parent), slot, world.budget)
    assert first.status_code == 201
    second = post_booking(client, bearer(world.parent), slot, world.budget)
    assert second.status_code == 409
    assert second.get_json()["error"] == {
        "code": "already_booked",
        "message": "Ben already has a place on that date.",
    }
    assert bookings_made(session) == 1 and slot.booked == 1 and held(session, world.budget) == 29500
    # once that booking is cancelled, the child may book the date again
    cancelled = client.post(f"/api/v1/bookings/{first.get_json()['id']}/cancel", headers=bearer(world.parent))
    assert cancelled.status_code == 200
    assert post_booking(client, bearer(world.parent), slot, world.budget).status_code == 201


def test_care_that_has_ended_cannot_be_cancelled_with_a_late_charge(
    client, world, bearer, session, sign_in, csrf
):
    slot = world.make_slot(days_ahead=3)
    booking_id = post_booking(client, bearer(world.parent), slot, world.budget).get_json()["id"]
    assert (
        client.post(f"/api/v1/bookings/{booking_id}/confirm", headers=bearer(world.provider)).status_code
        == 200
    )
    with time_machine.travel(slot.ends_at + timedelta(days=1), tick=False):
        response = client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=bearer(world.parent))
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "already_started"
        by_provider = client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=bearer(world.provider))
        assert by_provider.status_code == 409
        sign_in(world.parent)
        page = client.get(f"/bookings/{booking_id}")
        assert b"can no longer be cancelled" in page.data and b"Cancel this booking</a>" not in page.data
        assert client.get(f"/bookings/{booking_id}/cancel").status_code == 302  # no form offering a charge
        refused = client.post(f"/bookings/{booking_id}/cancel", data={"csrf_token": csrf()})
        assert refused.status_code == 409 and b"There is a problem" in refused.data
        assert b"already started" in refused.data
    booking = session.get(Booking, int(booking_id))
    assert booking.status.value == "confirmed" and booking.charge == 0
    assert held(session, world.budget) == 29500  # still held: the provider delivers it or records a no-show


def test_a_request_never_confirmed_can_still_be_withdrawn_free_after_its_date(client, world, bearer, session):
    slot = world.make_slot(days_ahead=3)
    booking_id = post_booking(client, bearer(world.parent), slot, world.budget).get_json()["id"]
    with time_machine.travel(slot.ends_at + timedelta(days=1), tick=False):
        response = client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=bearer(world.parent))
    assert response.status_code == 200 and response.get_json()["charge"] == 0
    assert held(session, world.budget) == 0
