"""The bookings JSON API: shapes, errors and who may do what."""

import pytest


@pytest.fixture
def slot(world):
    return world.make_slot()


def post_booking(client, headers, slot, budget, units=2):
    return client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id), "budget_id": str(budget.id), "units": units},
        headers=headers,
    )


def test_book_returns_201_with_cost_and_shares(client, world, bearer, slot):
    response = post_booking(client, bearer(world.parent), slot, world.budget)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "requested" and body["cost"] == 59000 and isinstance(body["id"], str)
    assert [(p["stream"], p["amount"]) for p in body["payments"]] == [
        ("social_care", 39333),
        ("health", 19667),
    ]
    budget = client.get(f"/api/v1/budgets/{world.budget.id}", headers=bearer(world.parent))
    if budget.status_code == 200:  # the budgets API reports the hold
        assert budget.get_json()["totals"]["available"] == 391000


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"budget_id": "1", "units": 1}, "slot_id"),
        ({"slot_id": "abc", "budget_id": "1", "units": 1}, "slot_id"),
        ({"slot_id": "1", "budget_id": "1", "units": "two"}, "units"),
        ({"slot_id": "1", "budget_id": "1", "units": 0}, "units"),
        ({"slot_id": "1", "budget_id": "1", "units": 1.5}, "units"),
        ({"slot_id": "1", "units": 1}, "budget_id"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, world, bearer, payload, field):
    response = client.post("/api/v1/bookings", json=payload, headers=bearer(world.parent))
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_not_json_is_422(client, world, bearer):
    response = client.post("/api/v1/bookings", data="slot_id=1", headers=bearer(world.parent))
    assert response.status_code == 422


def test_booking_on_another_familys_budget_is_refused(client, world, bearer, slot):
    _, other_user, _ = world.another_family()
    response = post_booking(client, bearer(other_user), slot, world.budget)
    assert response.status_code == 422
    assert "budget_id" in response.get_json()["error"]["fields"]


def test_fully_booked_is_409(client, world, bearer):
    slot = world.make_slot(capacity=1)
    assert post_booking(client, bearer(world.parent), slot, world.budget, units=1).status_code == 201
    _, other_user, other_budget = world.another_family()
    response = post_booking(client, bearer(other_user), slot, other_budget, units=1)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "fully_booked"


def test_short_budget_is_409_naming_the_shortfall(client, world, bearer, slot):
    _, user, budget = world.another_family(social_care=10000, health=0)
    response = post_booking(client, bearer(user), slot, budget, units=1)
    assert response.status_code == 409
    assert "£195.00 short" in response.get_json()["error"]["message"]


def test_transitions_are_checked_by_side(client, world, bearer, slot):
    booking_id = post_booking(client, bearer(world.parent), slot, world.budget).get_json()["id"]
    family, provider = bearer(world.parent), bearer(world.provider)
    assert client.post(f"/api/v1/bookings/{booking_id}/confirm", headers=family).status_code == 403
    confirmed = client.post(f"/api/v1/bookings/{booking_id}/confirm", headers=provider)
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    again = client.post(f"/api/v1/bookings/{booking_id}/confirm", headers=provider)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"
    early = client.post(f"/api/v1/bookings/{booking_id}/deliver", headers=provider)
    assert early.status_code == 409
    cancelled = client.post(f"/api/v1/bookings/{booking_id}/cancel", json={"reason": "Ill"}, headers=family)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"


def test_who_can_see_a_booking(client, world, bearer, make, slot):
    booking_id = post_booking(client, bearer(world.parent), slot, world.budget).get_json()["id"]
    url = f"/api/v1/bookings/{booking_id}"
    assert client.get(url, headers=bearer(world.parent)).status_code == 200
    assert client.get(url, headers=bearer(world.provider)).status_code == 200
    assert client.get(url, headers=bearer(world.commissioner)).status_code == 200  # funds the budget
    _, stranger, _ = world.another_family()
    for outsider in (stranger, make.user("provider"), make.user("commissioner")):
        assert client.get(url, headers=bearer(outsider)).status_code == 404
        assert client.post(f"{url}/cancel", headers=bearer(outsider)).status_code == 404
    assert client.post(f"{url}/cancel", headers=bearer(world.commissioner)).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/bookings", headers=bearer(stranger)).get_json()["total"] == 0
    assert client.get("/api/v1/bookings", headers=bearer(world.provider)).get_json()["total"] == 1


def test_only_the_provider_may_book_emergency_capacity(client, world, bearer):
    offer = world.make_offer(emergency_reserve=1)
    slot = world.make_slot(offer, capacity=1)
    body = {"slot_id": str(slot.id), "budget_id": str(world.budget.id), "units": 1, "emergency": True}
    assert client.post("/api/v1/bookings", json=body, headers=bearer(world.parent)).status_code == 403
    assert post_booking(client, bearer(world.parent), slot, world.budget, units=1).status_code == 409
    # the provider books the reserve for a family that has booked with it and asked
    # (tests/bookings/test_emergency.py)
    assert (
        post_booking(
            client, bearer(world.parent), world.make_slot(offer, days_ahead=20), world.budget
        ).status_code
        == 201
    )
    body["asked_by"] = str(world.parent.id)
    assert client.post("/api/v1/bookings", json=body, headers=bearer(world.provider)).status_code == 201


def test_list_filters_by_status(client, world, bearer, slot):
    post_booking(client, bearer(world.parent), slot, world.budget)
    headers = bearer(world.parent)
    assert client.get("/api/v1/bookings?status=requested", headers=headers).get_json()["total"] == 1
    assert client.get("/api/v1/bookings?status=delivered", headers=headers).get_json()["total"] == 0
    bad = client.get("/api/v1/bookings?status=lost", headers=headers)
    assert bad.status_code == 422 and "status" in bad.get_json()["error"]["fields"]
