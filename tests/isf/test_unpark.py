"""Un-parking shows what it will post (weeks, amounts, shortfall) and posts only what was confirmed."""

from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.core.clock import LONDON
from marketplace.isf import operations
from marketplace.isf.models import IsfDrawdown

WEDNESDAY = datetime(2026, 5, 27, 12, tzinfo=LONDON)  # weeks of 6 April to 25 May are due


@pytest.fixture
def parked(world, session, make):
    """Example A with only the social-care invoice paid (£4,322.50 available), parked."""
    isf = world.example_a()
    world.pay(world.social)
    operations.park_isf(session, isf, "8 weeks to catch up, more than the safe limit of 3")
    world.users = {
        "holder": make.user("provider", org=world.hilltop),
        "family": make.user("family", family=world.family),
        "funder": make.user("commissioner", org=world.council),
        "other_provider": make.user("provider", org=world.other_provider),
    }
    session.commit()
    with time_machine.travel(WEDNESDAY, tick=False):
        yield world


def _rows(session, isf):
    return session.scalar(select(func.count()).select_from(IsfDrawdown).where(IsfDrawdown.isf_id == isf.id))


def test_the_preview_shows_the_weeks_the_money_and_the_shortfall_and_posts_nothing(
    client, sign_in, parked, session
):
    sign_in(parked.users["holder"])
    detail = client.get(f"/isfs/{parked.isf.id}").get_data(as_text=True)
    assert "Un-park: check what it will post" in detail
    page = client.get(f"/isfs/{parked.isf.id}/unpark").get_data(as_text=True)
    # example A: seven full weeks (£3,990.00), then week 8 draws £332.50 and is £237.50 short
    assert "Un-parking posts 8 weekly drawdowns now, for the weeks of 6 April 2026 to 25 May 2026" in page
    assert "£4,322.50 drawn</strong> of £4,560.00 planned" in page
    assert "£237.50 not covered" in page and "£4,322.50 is available for £4,560.00" in page
    assert "£332.50" in page and "Post 8 weeks and un-park" in page
    assert _rows(session, parked.isf) == 0 and parked.isf.is_parked


def test_un_parking_needs_the_confirmation_and_refuses_a_stale_one(client, sign_in, csrf, parked, session):
    sign_in(parked.users["holder"])
    url = f"/isfs/{parked.isf.id}/unpark"
    unconfirmed = client.post(url, data={"csrf_token": csrf()})
    assert unconfirmed.status_code == 422 and "then confirm it" in unconfirmed.get_data(as_text=True)
    stale = client.post(url, data={"csrf_token": csrf(), "weeks": "7"})  # shown a week ago
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "would now post 8 weeks, not the 7 you were shown" in html
    session.expire_all()
    assert _rows(session, parked.isf) == 0 and parked.isf.is_parked
    done = client.post(url, data={"csrf_token": csrf(), "weeks": "8"})
    assert done.status_code == 302
    session.expire_all()
    assert _rows(session, parked.isf) == 8 and not parked.isf.is_parked
    assert parked.available() == 0
    last = session.scalars(select(IsfDrawdown).order_by(IsfDrawdown.week_start.desc())).first()
    assert (last.week_start, last.drawn, last.shortfall) == (date(2026, 5, 25), 33_250, 23_750)
    assert "8 weeks posted" in client.get(f"/isfs/{parked.isf.id}").get_data(as_text=True)


def test_only_the_holder_sees_the_preview(client, sign_in, parked):
    for who, status in (("family", 403), ("funder", 403), ("other_provider", 404)):
        sign_in(parked.users[who])
        assert client.get(f"/isfs/{parked.isf.id}/unpark").status_code == status, who


def test_an_isf_that_is_not_parked_has_nothing_to_confirm(client, sign_in, csrf, parked, session):
    operations.unpark_isf(session, parked.isf)
    session.commit()
    sign_in(parked.users["holder"])
    response = client.get(f"/isfs/{parked.isf.id}/unpark")
    assert response.status_code == 302 and response.location.endswith(f"/isfs/{parked.isf.id}")


def test_the_api_un_parks_only_the_weeks_named_when_it_names_them(client, bearer, parked, session):
    url, headers = f"/api/v1/isfs/{parked.isf.id}/unpark", bearer(parked.users["holder"])
    bad = client.post(url, json={"weeks": "eight"}, headers=headers)
    assert bad.status_code == 422 and "weeks" in bad.get_json()["error"]["fields"]
    stale = client.post(url, json={"weeks": 7}, headers=headers)
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "catch_up_changed"
    session.expire_all()
    assert _rows(session, parked.isf) == 0 and parked.isf.is_parked
    assert client.post(url, json={"weeks": 8}, headers=headers).status_code == 200
    session.expire_all()
    assert _rows(session, parked.isf) == 8 and not parked.isf.is_parked
