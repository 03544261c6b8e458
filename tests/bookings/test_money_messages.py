"""When a budget cannot pay, the family is told what is true (issue #17, item 1): no stream pays for
the offer's category, or the streams that would are held in an ISF, or how much the budget can pay
and how much is missing. The same words on the check page and in the API's refusal."""

import html
import re

from sqlalchemy import func, select

from marketplace.bookings.models import Booking
from marketplace.catalog.models import Category
from marketplace.ledger.models import Hold


def page_text(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", html.unescape(text))


def check_page(client, slot, budget, units=1):
    return client.get(f"/book/{slot.id}/check?budget_id={budget.id}&units={units}")


def post_booking(client, headers, slot, budget, units=1):
    return client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id), "budget_id": str(budget.id), "units": units},
        headers=headers,
    )


def nothing_booked(session):
    return (
        session.scalar(select(func.count(Booking.id))) == 0
        and session.scalar(select(func.count(Hold.id))) == 0
    )


BEN_THERAPY = (
    "Ben's budget can't pay for therapy sessions: its streams pay for activity and group breaks, day sessions, "
    "overnight short breaks and sibling support."
)


def test_ben_is_told_his_streams_do_not_pay_for_therapy(client, world, sign_in, bearer, session):
    hydro = world.make_offer(
        title="Hydrotherapy session", category=Category.THERAPY, unit="session", price=5500
    )
    slot = world.make_slot(hydro)
    sign_in(world.parent)
    text = page_text(check_page(client, slot, world.budget))
    assert BEN_THERAPY in text
    assert "short" not in text.replace("short break", "")  # not "£55.00 short"
    assert "Who pays" not in text and "Confirm booking" not in text
    assert "Nothing has been booked" in text
    response = post_booking(client, bearer(world.parent), slot, world.budget)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "budget_short" and error["message"] == BEN_THERAPY
    assert error["fields"] == {"budget_id": [BEN_THERAPY]}
    assert nothing_booked(session)


def test_amy_is_told_her_money_is_held_in_her_isf(client, world, make, sign_in, bearer, session):
    family = make.family(children=("Amy",))
    parent = make.user("family", family=family)
    budget = make.amys_budget(family.children[0], world.council, world.icb)
    slot = world.make_slot()
    sign_in(parent)
    text = page_text(check_page(client, slot, budget))
    assert (
        "Amy's budget can't pay for overnight short breaks booked here: the money that could is held in "
        "Amy's Individual Service Fund, which the provider holding it spends for Amy." in text
    )
    assert "short." not in text and "Confirm booking" not in text and "Who pays" not in text
    response = post_booking(client, bearer(parent), slot, budget)
    assert response.status_code == 409
    assert "held in Amy's Individual Service Fund" in response.get_json()["error"]["message"]
    assert nothing_booked(session)


def test_a_short_budget_says_what_it_can_pay_and_what_is_missing(client, world, sign_in, bearer, session):
    family, parent, budget = world.another_family(social_care=20000, health=5000)
    slot = world.make_slot()
    sign_in(parent)
    text = page_text(check_page(client, slot, budget))
    message = "Zoe's budget can pay £250.00 of this £295.00 booking: it is £45.00 short."
    assert message in text
    assert "Who pays" in text  # the streams that can pay are listed with their shares
    assert "Confirm booking" not in text
    response = post_booking(client, bearer(parent), slot, budget)
    assert response.status_code == 409
    assert response.get_json()["error"]["message"].startswith(message)
    assert nothing_booked(session)


def test_a_budget_with_nothing_left_for_the_category_says_so(client, world, sign_in):
    family, parent, budget = world.another_family(social_care=0, health=0)
    slot = world.make_slot()
    sign_in(parent)
    text = page_text(check_page(client, slot, budget, units=2))
    assert (
        "Zoe's budget has nothing left that can pay for overnight short breaks: this booking costs £590.00."
        in text
    )
