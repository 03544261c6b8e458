"""GET/POST /api/v1/bookings/{id}/messages: the same thread, the same parties, the error shape."""

from flask import g
from sqlalchemy import func, select

from marketplace.core.notifications import Notification
from marketplace.messages.models import MAX_LENGTH, Message


def _as(bearer, user):
    g.pop("_login_user", None)  # one app context for the test: forget the previous caller
    return bearer(user)


def test_family_and_provider_talk_through_the_api(client, bearer, session, ben):
    url = f"/api/v1/bookings/{ben.booking.id}/messages"
    response = client.post(url, json={"body": "  Is there parking?  "}, headers=_as(bearer, ben.parent))
    assert response.status_code == 201
    assert response.json["body"] == "Is there parking?" and response.json["author_for"] == ben.family.name
    assert isinstance(response.json["id"], str)
    client.post(url, json={"body": "Yes, two spaces."}, headers=_as(bearer, ben.provider))
    listed = client.get(url, headers=_as(bearer, ben.parent)).json
    assert [(m["author"], m["author_for"], m["body"]) for m in listed] == [
        (ben.parent.name, ben.family.name, "Is there parking?"),
        (ben.provider.name, ben.provider_org.name, "Yes, two spaces."),
    ]
    told = session.scalars(select(Notification.subject).where(Notification.user_id == ben.provider.id)).all()
    assert any(s.startswith(f"New message from {ben.parent.name}") for s in told)


def test_bad_bodies_are_422_naming_the_field(client, bearer, session, ben):
    url = f"/api/v1/bookings/{ben.booking.id}/messages"
    for body in ({}, {"body": ""}, {"body": 7}, {"body": "x" * (MAX_LENGTH + 1)}):
        response = client.post(url, json=body, headers=_as(bearer, ben.parent))
        assert response.status_code == 422 and "body" in response.json["error"]["fields"], body
    assert session.scalar(select(func.count(Message.id))) == 0


def test_outsiders_are_refused(client, bearer, session, ben):
    url = f"/api/v1/bookings/{ben.booking.id}/messages"
    assert client.get(url).status_code == 401
    for outsider, status in (
        (ben.other_parent, 404),
        (ben.other_provider_user, 404),
        (ben.commissioner, 403),
    ):
        assert client.get(url, headers=_as(bearer, outsider)).status_code == status
        assert client.post(url, json={"body": "Hi"}, headers=_as(bearer, outsider)).status_code == status
    assert session.scalar(select(func.count(Message.id))) == 0
