"""No GET changes anything: reading the inbox, the providers list or a provider's own pages
writes no row (statements are recorded at the database connection). Marking messages read is
an explicit POST."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from marketplace.catalog.models import ProviderProfile
from marketplace.core.db import db
from marketplace.core.notifications import Notification, notify

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


@contextmanager
def writes():
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _profiles(session) -> int:
    return session.scalar(select(func.count()).select_from(ProviderProfile))


def _unread(session, user) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def test_reading_the_inbox_marks_nothing_read_until_asked(client, make, sign_in, csrf, session):
    user = make.user("family")
    notify(session, [user], "Your booking is confirmed", "See you on Friday")
    sign_in(user)
    with writes() as written:
        page = client.get("/inbox")
        again = client.get("/inbox")
    assert page.status_code == 200 and b"Your booking is confirmed" in page.data
    assert b"New" in again.data and b"Mark all as read" in again.data
    assert written == []
    assert _unread(session, user) == 1
    response = client.post("/inbox/read", data={"csrf_token": csrf(), "up_to": "999999999"})
    assert response.status_code == 302
    assert _unread(session, user) == 0
    assert b"Mark all as read" not in client.get("/inbox").data


def test_marking_read_leaves_a_message_that_arrived_since_new(client, make, sign_in, csrf, session):
    user = make.user("family")
    notify(session, [user], "First", "")
    sign_in(user)
    client.get("/inbox")
    shown = session.scalar(select(func.max(Notification.id)).where(Notification.user_id == user.id))
    notify(session, [user], "Second", "")
    client.post("/inbox/read", data={"csrf_token": csrf(), "up_to": str(shown)})
    assert _unread(session, user) == 1


@pytest.mark.parametrize(
    "path", ["/admin/providers", "/dashboard"], ids=["providers list", "admin dashboard"]
)
def test_admin_pages_create_no_provider_profiles(client, make, sign_in, session, path):
    make.org("provider", name="Newcomer Care")  # a provider with no profile yet
    sign_in(make.user("admin"))
    before = _profiles(session)
    with writes() as written:
        page = client.get(path)
    assert page.status_code == 200
    assert written == []
    assert _profiles(session) == before
    if path == "/admin/providers":
        assert b"Newcomer Care" in page.data


@pytest.mark.parametrize(
    "path", ["/provider/offers", "/provider/profile", "/provider/offers/new", "/dashboard"]
)
def test_a_new_providers_pages_save_nothing_on_get(client, make, sign_in, session, path):
    org = make.org("provider", name="Newcomer Care")
    sign_in(make.user("provider", org=org))
    with writes() as written:
        page = client.get(path)
    assert page.status_code == 200
    assert written == []
    assert _profiles(session) == 0


def test_the_profile_is_saved_by_the_first_change(client, make, sign_in, csrf, session):
    org = make.org("provider", name="Newcomer Care")
    sign_in(make.user("provider", org=org))
    client.get("/provider/offers")
    response = client.post("/provider/profile", data={"csrf_token": csrf(), "description": "We care"})
    assert response.status_code == 302
    assert session.scalar(
        select(ProviderProfile.description).where(ProviderProfile.organisation_id == org.id)
    ) == ("We care")
