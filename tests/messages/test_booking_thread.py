"""A booking's thread: the family and the provider's staff read and write it; each message shows
who wrote it, for whom, and when; the other side is told; anyone else is refused."""

import html
import re

from sqlalchemy import func, select

from marketplace.core.audit import AuditEntry
from marketplace.core.notifications import Notification
from marketplace.messages.models import MAX_LENGTH, Message


def _notices(session, user) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id)))


def _post(client, token, booking, body, **kwargs):
    return client.post(f"/bookings/{booking.id}/messages", data={"body": body, "csrf_token": token}, **kwargs)


def test_family_and_provider_write_to_each_other(session, ben, as_user):
    client, token = as_user(ben.parent)
    response = _post(client, token, ben.booking, "Ben sleeps better with the light on.")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/bookings/{ben.booking.id}/messages#messages"
    )
    client, token = as_user(ben.provider)
    page = client.get(f"/bookings/{ben.booking.id}").get_data(as_text=True)
    assert "Messages" in page and "Ben sleeps better with the light on." in page
    assert f"{ben.parent.name}</strong> ({ben.family.name})" in html.unescape(page)
    _post(client, token, ben.booking, "Noted: we will leave the lamp on.")

    client, _ = as_user(ben.parent)
    thread = html.unescape(client.get(f"/bookings/{ben.booking.id}/messages").get_data(as_text=True))
    assert thread.index("light on") < thread.index("lamp on")
    assert f"{ben.provider.name}</strong> ({ben.provider_org.name})" in thread
    assert re.search(r"· \d{1,2} [A-Z][a-z]+ 20\d\d \d\d:\d\d</p>", thread)  # when, UK style
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "message.posted")) == 2


def test_a_message_tells_the_other_parties_not_the_writer(session, ben, as_user):
    colleague = ben.make.user("provider", org=ben.provider_org)
    session.commit()
    client, token = as_user(ben.parent)
    _post(client, token, ben.booking, "Can we bring his own pillow?")
    link = f"/bookings/{ben.booking.id}/messages"
    for reader in (ben.provider, colleague):
        [note] = [n for n in _notices(session, reader) if n.link == link]
        assert note.subject.startswith(
            f"New message from {ben.parent.name} ({ben.family.name}) about Ben's booking"
        )
        assert "Your booking" not in note.subject and note.body == "Can we bring his own pillow?"
    assert not [n for n in _notices(session, ben.parent) if n.link == link]

    client, token = as_user(ben.provider)
    _post(client, token, ben.booking, "Of course.")
    [note] = [n for n in _notices(session, ben.parent) if n.link == link]
    assert note.subject.startswith(
        f"New message from {ben.provider.name} ({ben.provider_org.name}) about your booking"
    )


def test_the_thread_is_listed_in_the_inbox(session, ben, as_user):
    client, token = as_user(ben.parent)
    _post(client, token, ben.booking, "Hello")
    client, _ = as_user(ben.provider)
    inbox = html.unescape(client.get("/inbox").get_data(as_text=True))
    assert "Conversations" in inbox and f'href="/bookings/{ben.booking.id}/messages"' in inbox
    assert f"1 message; latest from {ben.parent.name} ({ben.family.name})" in inbox


def test_empty_or_too_long_is_refused_with_an_error_summary(session, ben, as_user):
    client, token = as_user(ben.parent)
    for body, error in (("   ", "Enter your message"), ("x" * (MAX_LENGTH + 1), "characters or fewer")):
        response = _post(client, token, ben.booking, body)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "govuk-error-summary" in page and error in page and 'href="#body"' in page
    assert session.scalar(select(func.count(Message.id))) == 0
    assert _post(client, token, ben.booking, "x" * MAX_LENGTH).status_code == 302


def test_people_outside_the_booking_are_refused(session, ben, as_user):
    url = f"/bookings/{ben.booking.id}/messages"
    for outsider in (ben.other_parent, ben.other_provider_user):
        client, token = as_user(outsider)
        assert client.get(url).status_code == 404
        assert _post(client, token, ben.booking, "Hi").status_code == 404
    # the funding commissioner and an admin may see the booking but are not in its conversation
    for onlooker in (ben.commissioner, ben.admin):
        client, token = as_user(onlooker)
        assert client.get(url).status_code == 403
        assert _post(client, token, ben.booking, "Hi").status_code == 403
        assert 'id="messages"' not in client.get(f"/bookings/{ben.booking.id}").get_data(as_text=True)
    assert session.scalar(select(func.count(Message.id))) == 0
