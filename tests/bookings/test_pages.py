"""The booking pages: one question per page, the charge shown before cancelling, the provider's inbox."""

from sqlalchemy import select

from marketplace.bookings.models import Booking
from tests.bookings.conftest import hidden_fields


def test_family_books_through_the_pages(client, world, sign_in, csrf):
    slot = world.make_slot()
    sign_in(world.parent)
    start = client.get(f"/book/{slot.id}")
    assert start.status_code == 302 and "/units" in start.headers["Location"]  # one budget: straight to units
    units_page = client.get(start.headers["Location"])
    assert b"How many nights?" in units_page.data
    bad = client.post(
        f"/book/{slot.id}/units?budget_id={world.budget.id}", data={"units": "lots", "csrf_token": csrf()}
    )
    assert bad.status_code == 422 and b"There is a problem" in bad.data
    ok = client.post(
        f"/book/{slot.id}/units", data={"units": "2", "budget_id": world.budget.id, "csrf_token": csrf()}
    )
    check = client.get(ok.headers["Location"])
    assert b"\xc2\xa3590.00" in check.data  # £590.00
    assert b"\xc2\xa32,606.67" in check.data and b"\xc2\xa31,303.33" in check.data  # left per stream
    done = client.post(ok.headers["Location"], data={**hidden_fields(check.data), "csrf_token": csrf()})
    assert done.status_code == 302
    booking = world.session.scalar(select(Booking))
    assert booking.cost == 59000
    page = client.get(done.headers["Location"])
    assert b"requested" in page.data


def test_cancel_page_shows_the_charge_before_confirming(client, world, sign_in, csrf, session):
    from datetime import timedelta

    from marketplace.bookings import operations as bookings

    slot = world.make_slot(days_ahead=1)  # inside the 48-hour window
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    bookings.confirm(session, booking, world.provider)
    sign_in(world.parent)
    page = client.get(f"/bookings/{booking.id}/cancel")
    assert b"costs \xc2\xa3147.50" in page.data
    assert booking.status.value == "confirmed"
    client.post(f"/bookings/{booking.id}/cancel", data={"csrf_token": csrf()})
    assert booking.status.value == "cancelled" and booking.charge == 14750
    assert slot.starts_at - timedelta(days=1) < slot.starts_at


def test_provider_confirms_from_the_inbox(client, world, sign_in, csrf, session):
    from marketplace.bookings import operations as bookings

    booking = bookings.book(session, actor=world.parent, slot=world.make_slot(), budget=world.budget, units=1)
    sign_in(world.provider)
    assert b"Overnight short break" in client.get("/bookings").data
    response = client.post(f"/bookings/{booking.id}/confirm", data={"csrf_token": csrf()})
    assert response.status_code == 302 and booking.status.value == "confirmed"
    refused = client.post(f"/bookings/{booking.id}/confirm", data={"csrf_token": csrf()})
    assert refused.status_code == 409 and b"There is a problem" in refused.data
    # the history names each state by its label, never the stored value
    page = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert ": Requested — Booked</li>" in page and ": Confirmed</li>" in page
    assert ": requested" not in page and ": confirmed" not in page


def test_family_cannot_confirm_or_see_others(client, world, sign_in, csrf, session, make):
    from marketplace.bookings import operations as bookings

    booking = bookings.book(session, actor=world.parent, slot=world.make_slot(), budget=world.budget, units=1)
    sign_in(world.parent)
    assert client.post(f"/bookings/{booking.id}/confirm", data={"csrf_token": csrf()}).status_code == 403
    _, stranger, _ = world.another_family()
    client.post("/sign-out", data={"csrf_token": csrf()})
    sign_in(stranger)
    assert client.get(f"/bookings/{booking.id}").status_code == 404
    assert client.get(f"/book/{booking.slot_id}/units?budget_id={world.budget.id}").status_code == 404
    client.post("/sign-out", data={"csrf_token": csrf()})
    sign_in(make.user("provider"))
    assert client.get(f"/book/{booking.slot_id}").status_code == 403  # only families book through the pages


def test_inbox_lists_notifications(client, world, sign_in, session):
    from marketplace.bookings import operations as bookings

    bookings.book(session, actor=world.parent, slot=world.make_slot(), budget=world.budget, units=1)
    sign_in(world.parent)
    page = client.get("/inbox")
    assert b"Your booking for Ben is requested: Overnight short break" in page.data


def test_the_outcome_is_its_own_question(client, world, sign_in, csrf, session):
    from datetime import date

    from marketplace.budgets import operations as budget_ops

    outcome = budget_ops.add_outcome(
        session,
        world.budget,
        actor=None,
        description="Ben sleeps over with friends",
        time_frame="short",
        review_date=date(2027, 1, 1),
    )
    slot = world.make_slot()
    sign_in(world.parent)
    units = client.get(f"/book/{slot.id}/units?budget_id={world.budget.id}")
    assert b"Which outcome" not in units.data  # one question per page
    to_outcome = client.post(
        f"/book/{slot.id}/units", data={"units": "2", "budget_id": world.budget.id, "csrf_token": csrf()}
    )
    assert "/outcome" in to_outcome.headers["Location"]
    page = client.get(to_outcome.headers["Location"])
    assert b"Ben sleeps over with friends" in page.data and b"Not linked to an outcome" in page.data
    bad = client.post(
        f"/book/{slot.id}/outcome",
        data={"budget_id": world.budget.id, "units": "2", "outcome_id": "999999", "csrf_token": csrf()},
    )
    assert bad.status_code == 422 and b"There is a problem" in bad.data
    chosen = client.post(
        f"/book/{slot.id}/outcome",
        data={
            "budget_id": world.budget.id,
            "units": "2",
            "outcome_id": str(outcome.id),
            "csrf_token": csrf(),
        },
    )
    check = client.get(chosen.headers["Location"])
    assert b"Supports" in check.data and b"Ben sleeps over with friends" in check.data
    client.post(chosen.headers["Location"], data={**hidden_fields(check.data), "csrf_token": csrf()})
    booking = session.scalar(select(Booking))
    assert booking.outcome_id == outcome.id


def test_a_refused_booking_does_not_offer_to_confirm_again(client, world, sign_in, csrf, session):
    from marketplace.bookings import operations as bookings

    slot = world.make_slot(capacity=1)
    _, other_user, other_budget = world.another_family()
    sign_in(world.parent)
    page = client.get(f"/book/{slot.id}/check?budget_id={world.budget.id}&units=1")
    assert b"Confirm booking" in page.data
    bookings.book(session, actor=other_user, slot=slot, budget=other_budget, units=1)  # the last bed goes
    refused = client.post(
        f"/book/{slot.id}/check?budget_id={world.budget.id}&units=1",
        data={**hidden_fields(page.data), "csrf_token": csrf()},
    )
    assert refused.status_code == 409
    assert b"fully booked" in refused.data and b"Choose another date" in refused.data
    assert b"Confirm booking" not in refused.data
