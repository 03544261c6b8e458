"""Sessions end for real (sign-out and a new password end every copy of the cookie), the CSRF
token is new at each sign-in, API tokens can be listed, revoked and expire, and only a token
that really authenticated a call lets it skip CSRF."""

import time_machine
from sqlalchemy import select

from marketplace.accounts.models import ApiToken, User
from marketplace.bookings.models import Booking
from tests.bookings.conftest import BookingWorld
from tests.conftest import PASSWORD

NEW_PASSWORD = "Another-horse-43"


def _csrf(client):
    client.get("/sign-in")
    with client.session_transaction() as sess:
        return sess["_csrf"]


def _copy_session(source, target):
    target.set_cookie("session", source.get_cookie("session").value)


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client, make, sign_in):
    user = make.user("provider")
    sign_in(user)
    thief = app.test_client()
    _copy_session(client, thief)
    assert thief.get("/api/v1/me").status_code == 200
    assert client.post("/sign-out", data={"csrf_token": _csrf(client)}).status_code == 302
    assert thief.get("/api/v1/me").status_code == 401
    page = thief.get("/dashboard")
    assert page.status_code == 302 and "/sign-in" in page.headers["Location"]
    # signing in again works, with a fresh session
    assert sign_in(user).status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    assert thief.get("/api/v1/me").status_code == 401


def test_sign_out_ends_the_users_sessions_on_every_device(app, make, sign_in, client):
    user = make.user("family")
    laptop = app.test_client()
    sign_in(user)
    _copy_session(client, laptop)  # as if signed in on a second device at the same time
    laptop.post("/sign-out", data={"csrf_token": _csrf(laptop)})
    assert client.get("/api/v1/me").status_code == 401


def test_changing_the_password_ends_every_other_session(app, client, make, sign_in, session):
    user = make.user("commissioner")
    sign_in(user)
    other_device = app.test_client()
    _copy_session(client, other_device)
    response = client.post(
        "/account/password",
        data={"csrf_token": _csrf(client), "current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me").status_code == 200  # this device stays signed in
    assert other_device.get("/api/v1/me").status_code == 401
    client.post("/sign-out", data={"csrf_token": _csrf(client)})
    assert sign_in(user, password=PASSWORD).status_code == 401
    assert sign_in(user, password=NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_changes_nothing(client, make, sign_in, session):
    user = make.user("family")
    sign_in(user)
    before = session.scalar(select(User.password_hash).where(User.id == user.id))
    response = client.post(
        "/account/password",
        data={
            "csrf_token": _csrf(client),
            "current_password": "not-it-at-all-1",
            "new_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert b'href="#current_password"' in response.data
    session.expire_all()
    assert session.scalar(select(User.password_hash).where(User.id == user.id)) == before
    assert client.get("/api/v1/me").status_code == 200


def test_the_csrf_token_is_new_after_sign_in(client, make):
    user = make.user("family")
    before = _csrf(client)
    client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": before})
    after = _csrf(client)
    assert after != before
    # the token from before sign-in no longer posts a form
    assert client.post("/sign-out", data={"csrf_token": before}).status_code == 400
    assert client.get("/api/v1/me").status_code == 200


# ---- API tokens ---------------------------------------------------------------------------------


def test_tokens_list_and_revoke_from_the_command_line(runner, client, make, session):
    user = make.user("commissioner", email="finance@council.example")
    created = runner.invoke(args=["tokens", "create", "--email", user.email])
    assert created.exit_code == 0, created.output
    secret = created.output.strip()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    listed = runner.invoke(args=["tokens", "list", "--email", user.email])
    assert listed.exit_code == 0
    token = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert listed.output.startswith(f"{token.id}\tactive")
    assert secret not in listed.output and token.token_hash not in listed.output
    revoked = runner.invoke(args=["tokens", "revoke", str(token.id)])
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorised"
    assert "revoked" in runner.invoke(args=["tokens", "list", "--email", user.email]).output
    missing = runner.invoke(args=["tokens", "revoke", "999999"])
    assert missing.exit_code == 2 and "no API token" in missing.output


def test_tokens_expire_after_their_days(runner, client, make):
    user = make.user("commissioner")
    with time_machine.travel("2026-05-01 10:00 +0000", tick=False):
        short = runner.invoke(args=["tokens", "create", "--email", user.email, "--days", "7"]).output.strip()
        default = runner.invoke(args=["tokens", "create", "--email", user.email]).output.strip()
    with time_machine.travel("2026-05-08 09:59 +0000", tick=False):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"}).status_code == 200
    with time_machine.travel("2026-05-08 10:00 +0000", tick=False):
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"}).status_code == 401
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {default}"}).status_code == 200
    with time_machine.travel("2026-07-30 10:00 +0000", tick=False):  # 90 days on
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {default}"}).status_code == 401
    too_long = runner.invoke(args=["tokens", "create", "--email", user.email, "--days", "5000"])
    assert too_long.exit_code == 2


def test_a_user_sees_and_revokes_their_own_tokens(client, make, sign_in, bearer, session):
    user = make.user("provider")
    headers = bearer(user)
    theirs = make.user("provider")
    their_headers = bearer(theirs)
    sign_in(user)
    page = client.get("/account")
    assert page.status_code == 200
    mine = session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    other = session.scalar(select(ApiToken).where(ApiToken.user_id == theirs.id))
    assert f"Token {mine.id}".encode() in page.data and f"Token {other.id}".encode() not in page.data
    assert headers["Authorization"].split()[1].encode() not in page.data
    # another user's token cannot be revoked from here
    token = _csrf(client)
    assert client.post(f"/account/tokens/{other.id}/revoke", data={"csrf_token": token}).status_code == 404
    assert client.get("/api/v1/me", headers=their_headers).status_code == 200
    response = client.post(f"/account/tokens/{mine.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert b"Revoked" in client.get("/account").data


def test_a_junk_bearer_header_does_not_let_a_cookie_skip_csrf(client, make, sign_in, bearer, session):
    world = BookingWorld(session, make)
    slot = world.make_slot()
    made = client.post(
        "/api/v1/bookings",
        json={"slot_id": str(slot.id), "budget_id": str(world.budget.id), "units": 1},
        headers=bearer(world.parent),
    )
    assert made.status_code == 201
    booking_id = int(made.get_json()["id"])
    sign_in(world.parent)
    # a cross-site form post: the family's cookie, no CSRF token, and a made-up bearer header
    response = client.post(
        f"/api/v1/bookings/{booking_id}/cancel",
        data={"reason": "x"},
        headers={"Authorization": "Bearer junk"},
    )
    assert response.status_code in (400, 401)
    session.expire_all()
    assert session.get(Booking, booking_id).status.value == "requested"
    # a real token still works without CSRF, and the cookie alone still needs it
    assert client.post(f"/api/v1/bookings/{booking_id}/cancel", data={"reason": "x"}).status_code == 400
    ok = client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=bearer(world.parent))
    assert ok.status_code == 200 and ok.get_json()["status"] == "cancelled"
