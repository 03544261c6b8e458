"""Closing a budget and booking on it (issue #12, item 4). Closing is refused (409) while money is
held for bookings; nothing is booked or confirmed on a closed budget. The race between them is in
test_races.py (PostgreSQL)."""

from sqlalchemy import func, select

from marketplace import ledger
from marketplace.bookings.models import Booking
from marketplace.budgets.books import stream_account
from marketplace.budgets.models import BudgetStatus


def post_booking(client, headers, slot, budget, units=1):
    return client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id), "budget_id": str(budget.id), "units": units},
        headers=headers,
    )


def close(client, world, csrf, sign_in):
    """The funding commissioner closes the budget on its page, then signs out (the API calls
    that follow carry their own bearer tokens)."""
    sign_in(world.commissioner)
    response = client.post(
        f"/budgets/{world.budget.id}/status", data={"status": "closed", "csrf_token": csrf()}
    )
    client.post("/sign-out", data={"csrf_token": csrf()})
    return response


def test_closing_is_refused_while_money_is_held(client, world, bearer, csrf, sign_in, session):
    assert post_booking(client, bearer(world.parent), world.make_slot(), world.budget).status_code == 201
    refused = close(client, world, csrf, sign_in)
    assert refused.status_code == 409 and "Money is still held" in refused.get_data(as_text=True)
    assert world.budget.status is BudgetStatus.ACTIVE


def test_nothing_is_booked_on_a_closed_budget(client, world, bearer, csrf, sign_in, session):
    assert close(client, world, csrf, sign_in).status_code == 302
    response = post_booking(client, bearer(world.parent), world.make_slot(), world.budget)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "budget_not_active"
    assert session.scalar(select(func.count(Booking.id))) == 0


def test_a_booking_on_a_budget_closed_since_cannot_be_confirmed(
    client, world, bearer, csrf, sign_in, session
):
    """A free session holds no money, so the budget may close under it; the provider may then not
    confirm it (it declines it, or the family cancels it)."""
    free = world.make_offer(title="Free sibling afternoon", price=0)
    booking_id = post_booking(client, bearer(world.parent), world.make_slot(free), world.budget).get_json()[
        "id"
    ]
    assert close(client, world, csrf, sign_in).status_code == 302
    refused = client.post(f"/api/v1/bookings/{booking_id}/confirm", headers=bearer(world.provider))
    assert refused.status_code == 409
    assert refused.get_json()["error"] == {
        "code": "budget_not_active",
        "message": "This booking cannot be confirmed: its budget is closed.",
    }
    sign_in(world.provider)
    page = client.post(f"/bookings/{booking_id}/confirm", data={"csrf_token": csrf()})
    assert page.status_code == 409 and "There is a problem" in page.get_data(as_text=True)
    assert "its budget is closed" in page.get_data(as_text=True)
    assert session.get(Booking, int(booking_id)).status.value == "requested"
    assert [ledger.balance(stream_account(session, s)).pending for s in world.budget.streams] == [0, 0]
    declined = client.post(
        f"/api/v1/bookings/{booking_id}/decline",
        json={"reason": "The budget has closed"},
        headers=bearer(world.provider),
    )
    assert declined.status_code == 200
