"""The provider handles a request: sees the child's needs and how to reach the family, declines
only with a reason the family is shown, and marks care delivered or a no-show only once the stay
has started (offered only then, refused before on the page and through the API)."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.core.notifications import Notification
from marketplace.core.templating import uk_date

NEEDS = "Ben has epilepsy (rescue medication in his bag) and is fed by gastrostomy overnight."


@pytest.fixture
def request_for_ben(world, session):
    world.family.children[0].needs = NEEDS
    slot = world.make_slot(days_ahead=10)
    booking = bookings.book(session, actor=world.parent, slot=slot, budget=world.budget, units=1)
    session.commit()
    return booking


def _page(client, booking) -> str:
    return client.get(f"/bookings/{booking.id}").get_data(as_text=True)


def test_the_provider_sees_the_needs_the_family_shared_and_how_to_reach_the_family(
    client, sign_in, world, request_for_ben
):
    sign_in(world.provider)
    page = _page(client, request_for_ben)
    assert "Ben's needs, as the family shared them" in page
    assert "rescue medication in his bag" in page
    assert "Contact the family" in page and f'href="mailto:{world.parent.email}?subject=' in page
    assert world.parent.name in page


def test_the_family_sees_what_it_shared_and_the_commissioner_sees_no_contact_details(
    client, sign_in, world, request_for_ben
):
    sign_in(world.parent)
    page = _page(client, request_for_ben)
    assert "Needs shared with" in page and "rescue medication" in page and "Contact the family" not in page
    sign_in(world.commissioner)
    page = _page(client, request_for_ben)
    assert "Contact the family" not in page and "rescue medication" not in page


def test_without_shared_needs_the_provider_is_told_to_ask(client, sign_in, world, request_for_ben, session):
    world.family.children[0].needs = None
    session.commit()
    sign_in(world.provider)
    assert "The family has not shared any needs: ask them before the stay." in _page(client, request_for_ben)


def test_declining_on_the_page_needs_a_reason_and_the_family_is_shown_it(
    client, sign_in, csrf, world, request_for_ben, session
):
    sign_in(world.provider)
    assert "Decline this request" in _page(client, request_for_ben)
    url = f"/bookings/{request_for_ben.id}/decline"
    refused = client.post(url, data={"csrf_token": csrf(), "reason": "  "})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'href="#decline-reason"' in html
    assert "Say why you are declining this request: the family is told" in html
    session.expire_all()
    assert session.get(Booking, request_for_ben.id).status is BookingStatus.REQUESTED
    reason = "Our nurse for gastrostomy care is away that night; we have space the week after."
    assert client.post(url, data={"csrf_token": csrf(), "reason": reason}).status_code == 302
    session.expire_all()
    assert session.get(Booking, request_for_ben.id).status is BookingStatus.DECLINED
    sign_in(world.parent)
    page = _page(client, request_for_ben)
    assert "Why it was declined" in page and "Our nurse for gastrostomy care is away" in page
    told = session.scalars(select(Notification).where(Notification.user_id == world.parent.id)).all()
    assert any("declined" in n.subject and reason in n.body for n in told)


def test_declining_through_the_api_needs_a_reason_and_only_the_provider_may(
    client, bearer, world, request_for_ben, make
):
    url = f"/api/v1/bookings/{request_for_ben.id}/decline"
    assert client.post(url, json={"reason": "Full"}, headers=bearer(world.parent)).status_code == 403
    stranger, _ = world.other_provider()
    assert client.post(url, json={"reason": "Full"}, headers=bearer(stranger)).status_code == 404
    missing = client.post(url, json={}, headers=bearer(world.provider))
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    done = client.post(url, json={"reason": "Full that night"}, headers=bearer(world.provider))
    assert done.status_code == 200 and done.get_json()["status"] == "declined"


def test_delivered_and_no_show_come_once_the_stay_has_started(
    client, sign_in, csrf, bearer, world, request_for_ben, session
):
    bookings.confirm(session, request_for_ben, world.provider)
    session.commit()
    starts = uk_date(request_for_ben.slot.starts_at)
    sign_in(world.provider)
    page = _page(client, request_for_ben)
    assert "Mark delivered" not in page and "Record no-show" not in page
    assert f"Once the stay starts on {starts}, you can mark it delivered or record a no-show." in page
    early = client.post(f"/bookings/{request_for_ben.id}/deliver", data={"csrf_token": csrf()})
    assert (
        early.status_code == 409
        and f"only once it has started: this starts on {starts}" in early.get_data(as_text=True)
    )
    api = client.post(f"/api/v1/bookings/{request_for_ben.id}/no-show", headers=bearer(world.provider))
    assert api.status_code == 409 and api.get_json()["error"]["code"] == "not_started"
    assert f"it starts on {starts}" in api.get_json()["error"]["message"]
    session.expire_all()
    assert session.get(Booking, request_for_ben.id).status is BookingStatus.CONFIRMED
    with time_machine.travel(request_for_ben.slot.starts_at + timedelta(hours=2), tick=False):
        sign_in(world.provider)
        page = _page(client, request_for_ben)
        assert "Mark delivered" in page and "Record no-show" in page and "Once the stay starts" not in page
        assert (
            client.post(f"/bookings/{request_for_ben.id}/deliver", data={"csrf_token": csrf()}).status_code
            == 302
        )
    session.expire_all()
    assert session.get(Booking, request_for_ben.id).status is BookingStatus.DELIVERED


def test_on_the_demo_hilltop_reads_bens_needs_and_cannot_yet_deliver_his_coming_stay(client, session):
    from marketplace.core.demo import load_demo
    from tests.core.test_accessibility import _sign_in

    ctx = load_demo(session)
    session.commit()
    coming = session.scalars(
        select(Booking).where(
            Booking.budget_id == ctx["bens_budget"].id, Booking.status == BookingStatus.CONFIRMED
        )
    ).one()
    _sign_in(client, "finance@hilltop.example")
    page = _page(client, coming)
    assert "buccal midazolam" in page and "tom@bens-family.example" in page
    assert "Mark delivered" not in page and "Once the stay starts on" in page
