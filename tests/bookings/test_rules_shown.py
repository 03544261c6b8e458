"""Rules shown before they bite (issue #17, item 2): the offer page lists each booking rule with the
family's own position, and each question enforces its rule where it is asked, with a GOV.UK error
summary, not only at "Confirm"."""

import re

from sqlalchemy import func, select

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking
from marketplace.core.clock import financial_year, today
from tests.bookings.test_money_messages import page_text

HOSPICE_RULES = dict(
    min_units_per_booking=2,
    max_units_per_booking=7,
    yearly_cap_per_child=12,
    max_open_bookings_per_family=2,
    booking_window_days=180,
    emergency_reserve=1,
)


def rules_shown(response) -> dict[str, str]:
    """Each rule line of the offer page, by its key."""
    items = re.findall(r'<li data-rule="([a-z_]+)">(.*?)</li>', response.get_data(as_text=True), re.S)
    return {
        key: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text)).replace("&#39;", "'") for key, text in items
    }


def booking_count(session):
    return session.scalar(select(func.count(Booking.id)))


def test_the_offer_page_shows_each_rule_with_the_familys_position(client, world, sign_in, session):
    offer = world.make_offer(**HOSPICE_RULES)
    bookings.book(
        session, actor=world.parent, slot=world.make_slot(offer, capacity=4), budget=world.budget, units=2
    )
    start, end = financial_year(today())
    sign_in(world.parent)
    shown = rules_shown(client.get(f"/offers/{offer.id}"))
    assert shown["units"] == "Each booking is at least 2 nights and at most 7 nights."
    assert shown["yearly_cap"] == (
        f"At most 12 nights a year for each child ({start:%-d %B %Y} to {end:%-d %B %Y}): "
        "Ben has 10 of 12 nights left this year."
    )
    assert shown["open_bookings"] == (
        "At most 2 upcoming bookings of this break at once for each family: You have 1 of 2 open bookings."
    )
    assert shown["window"].startswith("Dates open for booking 180 days ahead: today, up to ")
    assert shown["ages"] == f"For ages 0 to 19: Ben is {world.family.children[0].age_on(today())}."
    assert shown["reserve"] == "1 place on each date kept for emergencies, booked by the provider."


def test_visitors_see_the_rules_without_anyones_position(client, world, sign_in, session):
    offer = world.make_offer(**HOSPICE_RULES)
    bookings.book(session, actor=world.parent, slot=world.make_slot(offer), budget=world.budget, units=2)
    shown = rules_shown(client.get(f"/offers/{offer.id}"))
    assert shown["open_bookings"] == "At most 2 upcoming bookings of this break at once for each family."
    assert shown["yearly_cap"].endswith(f"31 March {financial_year(today())[1].year}).")
    assert "Ben" not in " ".join(shown.values())
    _, stranger, _ = world.another_family()
    sign_in(stranger)
    shown = rules_shown(client.get(f"/offers/{offer.id}"))
    assert shown["open_bookings"].endswith("You have 0 of 2 open bookings.")
    assert "Zoe has 12 of 12 nights left this year" in shown["yearly_cap"]


def test_the_nights_question_refuses_more_than_the_most_per_booking(client, world, sign_in, csrf, session):
    offer = world.make_offer(**HOSPICE_RULES)
    slot = world.make_slot(offer)
    sign_in(world.parent)
    question = client.get(f"/book/{slot.id}/units?budget_id={world.budget.id}")
    assert "£295.00 a night. At least 2. At most 7. Ben has 12 of 12 nights left this year." in page_text(
        question
    )
    refused = client.post(
        f"/book/{slot.id}/units", data={"units": "8", "budget_id": world.budget.id, "csrf_token": csrf()}
    )
    assert refused.status_code == 422
    text = page_text(refused)
    assert "There is a problem Book at most 7 nights" in text
    assert '<a href="#units">Book at most 7 nights</a>' in refused.get_data(as_text=True)
    assert "How many nights?" in text  # the same question, asked again
    too_few = client.post(
        f"/book/{slot.id}/units", data={"units": "1", "budget_id": world.budget.id, "csrf_token": csrf()}
    )
    assert too_few.status_code == 422 and "Book at least 2 nights" in page_text(too_few)
    seven = client.post(
        f"/book/{slot.id}/units", data={"units": "7", "budget_id": world.budget.id, "csrf_token": csrf()}
    )
    assert seven.status_code == 302 and "/check" in seven.headers["Location"]
    assert booking_count(session) == 0


def test_the_nights_question_refuses_more_than_are_left_this_year(client, world, sign_in, csrf, session):
    offer = world.make_offer(yearly_cap_per_child=3)
    bookings.book(
        session, actor=world.parent, slot=world.make_slot(offer, days_ahead=5), budget=world.budget, units=2
    )
    slot = world.make_slot(offer, days_ahead=9)
    sign_in(world.parent)
    assert "Ben has 1 of 3 nights left this year." in page_text(
        client.get(f"/book/{slot.id}/units?budget_id={world.budget.id}")
    )
    refused = client.post(
        f"/book/{slot.id}/units", data={"units": "2", "budget_id": world.budget.id, "csrf_token": csrf()}
    )
    assert refused.status_code == 422
    assert (
        "There is a problem This would pass the yearly limit of 3 nights for Ben; 1 left this year."
        in page_text(refused)
    )
    assert booking_count(session) == 1


def test_the_first_question_refuses_when_the_family_has_its_open_bookings(
    client, world, sign_in, csrf, session
):
    offer = world.make_offer(max_open_bookings_per_family=1)
    bookings.book(
        session, actor=world.parent, slot=world.make_slot(offer, days_ahead=5), budget=world.budget, units=1
    )
    slot = world.make_slot(offer, days_ahead=9)
    sign_in(world.parent)
    page = client.get(f"/book/{slot.id}")  # one budget: it used to go straight on to the nights
    assert page.status_code == 200 and "Location" not in page.headers
    text = page_text(page)
    assert (
        "There is a problem You already have 1 upcoming booking of this short break, the most allowed" in text
    )
    chosen = client.post(f"/book/{slot.id}", data={"budget_id": world.budget.id, "csrf_token": csrf()})
    assert chosen.status_code == 409 and "the most allowed at once" in page_text(chosen)
    assert booking_count(session) == 1


def test_the_check_page_refuses_answers_that_skipped_the_questions(client, world, sign_in):
    offer = world.make_offer(**HOSPICE_RULES)
    slot = world.make_slot(offer)
    sign_in(world.parent)
    page = client.get(f"/book/{slot.id}/check?budget_id={world.budget.id}&units=8")
    assert page.status_code == 200
    text = page_text(page)
    assert "There is a problem Book at most 7 nights" in text and "Confirm booking" not in text
