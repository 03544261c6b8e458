"""Stale confirmations (issue #12, item 6): the check page posts back the price and terms it
showed; if the provider changed them before the click, nothing is booked and the family sees the
new figures (409). The JSON API takes an optional quoted `expected_cost`."""

from sqlalchemy import func, select

from marketplace.bookings.models import Booking
from marketplace.catalog import operations as catalog
from tests.bookings.conftest import hidden_fields


def bookings_made(session):
    return session.scalar(select(func.count(Booking.id)))


def test_a_price_change_between_look_and_click_is_refused_with_the_new_price(
    client, world, sign_in, csrf, session
):
    slot = world.make_slot()
    sign_in(world.parent)
    url = f"/book/{slot.id}/check?budget_id={world.budget.id}&units=2"
    page = client.get(url)
    assert "£590.00" in page.get_data(as_text=True)
    catalog.update_offer(session, world.offer, {"price": 35000}, world.provider)  # £350.00 a night
    stale = client.post(url, data={**hidden_fields(page.data), "csrf_token": csrf()})
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "There is a problem" in text
    assert "2 nights now cost £700.00, not £590.00" in text and "Nothing has been booked" in text
    assert bookings_made(session) == 0
    # the page now shows (and posts) the new figures; confirming them books at £700.00
    assert "Confirm booking" in text and hidden_fields(stale.data)["expected_cost"] == "70000"
    done = client.post(url, data={**hidden_fields(stale.data), "csrf_token": csrf()})
    assert done.status_code == 302
    assert session.scalar(select(Booking)).cost == 70000


def test_a_change_of_cancellation_terms_is_refused_too(client, world, sign_in, csrf, session):
    slot = world.make_slot()
    sign_in(world.parent)
    url = f"/book/{slot.id}/check?budget_id={world.budget.id}&units=1"
    page = client.get(url)
    catalog.update_offer(session, world.offer, {"late_cancellation_bp": 10000}, world.provider)
    stale = client.post(url, data={**hidden_fields(page.data), "csrf_token": csrf()})
    assert stale.status_code == 409
    text = stale.get_data(as_text=True)
    assert "changed this short break&#39;s terms" in text and "then 100% of the cost" in text
    assert bookings_made(session) == 0


def test_a_confirmation_without_the_quoted_figures_books_nothing(client, world, sign_in, csrf, session):
    slot = world.make_slot()
    sign_in(world.parent)
    url = f"/book/{slot.id}/check?budget_id={world.budget.id}&units=1"
    response = client.post(url, data={"budget_id": world.budget.id, "units": "1", "csrf_token": csrf()})
    assert response.status_code == 422 and "There is a problem" in response.get_data(as_text=True)
    assert bookings_made(session) == 0


def test_api_refuses_when_the_quoted_cost_is_not_the_cost_now(client, world, bearer, session):
    slot = world.make_slot()
    body = {"slot_id": str(slot.id), "budget_id": str(world.budget.id), "units": 2, "expected_cost": 59000}
    catalog.update_offer(session, world.offer, {"price": 35000}, world.provider)
    response = client.post("/api/v1/bookings", json=body, headers=bearer(world.parent))
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "price_changed"
    assert error["fields"] == {"expected_cost": ["The cost is now £700.00"]}
    assert "now cost £700.00, not £590.00" in error["message"]
    assert bookings_made(session) == 0
    assert client.post(
        "/api/v1/bookings", json={**body, "expected_cost": 70000}, headers=bearer(world.parent)
    )
    assert bookings_made(session) == 1


def test_api_expected_cost_is_optional_and_checked_as_pence(client, world, bearer, session):
    slot = world.make_slot()
    body = {"slot_id": str(slot.id), "budget_id": str(world.budget.id), "units": 1}
    bad = client.post(
        "/api/v1/bookings", json={**body, "expected_cost": "£295"}, headers=bearer(world.parent)
    )
    assert bad.status_code == 422 and "expected_cost" in bad.get_json()["error"]["fields"]
    assert client.post("/api/v1/bookings", json=body, headers=bearer(world.parent)).status_code == 201


def test_the_openapi_document_describes_expected_cost_and_asked_by(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/api/v1/bookings"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["expected_cost"]["type"] == "integer"
    assert schema["properties"]["asked_by"]["type"] == "string"
    assert "expected_cost" in post["summary"] and "asked_by" in post["summary"]
