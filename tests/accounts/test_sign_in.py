from types import SimpleNamespace

import time_machine
from sqlalchemy import func, select

from marketplace.accounts.models import ApiToken
from marketplace.core.audit import AuditEntry
from tests.conftest import PASSWORD


def test_sign_in_and_out(client, make, sign_in, csrf):
    user = make.user("provider")
    response = sign_in(user)
    assert response.status_code == 302
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert user.name.encode() in page.data
    out = client.post("/sign-out", data={"csrf_token": csrf()})
    assert out.status_code == 302
    assert client.get("/dashboard").status_code == 302  # back to sign-in
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_password_shows_error_summary(client, make, sign_in):
    user = make.user("family")
    response = sign_in(user, password="not-the-password")
    assert response.status_code == 401
    assert b"There is a problem" in response.data
    assert b"The e-mail address or password is not right" in response.data
    assert client.get("/api/v1/me").status_code == 401


def test_unknown_email_gets_the_same_answer(client, make, sign_in):
    make.user("family")
    stranger = SimpleNamespace(email="someone-else@example.org")
    response = sign_in(stranger)
    assert response.status_code == 401
    assert b"The e-mail address or password is not right" in response.data


def test_empty_form_names_the_fields(client, csrf):
    response = client.post("/sign-in", data={"csrf_token": csrf()})
    assert response.status_code == 422
    assert b"Enter your e-mail address" in response.data
    assert b'href="#password"' in response.data


def test_lock_out_after_five_failures_then_unlock(client, make, sign_in, session):
    user = make.user("family")
    with time_machine.travel("2026-05-01 10:00 +0000", tick=False):
        for _ in range(5):
            assert sign_in(user, password="wrong-password-1").status_code == 401
        locked = sign_in(user)  # even the right password is refused while locked
        assert locked.status_code == 409
        assert b"locked" in locked.data
    assert (
        session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "user.locked"))
        == 1
    )
    with time_machine.travel("2026-05-01 10:16 +0000", tick=False):
        assert sign_in(user).status_code == 302


def test_successful_sign_in_resets_the_failure_count(client, make, sign_in):
    user = make.user("family")
    for _ in range(4):
        sign_in(user, password="wrong-password-1")
    assert sign_in(user).status_code == 302
    assert user.failed_sign_ins == 0


def test_form_without_csrf_token_is_refused(client, make):
    user = make.user("family")
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"expired" in response.data
    assert client.get("/api/v1/me").status_code == 401


def test_sign_out_without_csrf_is_refused(client, make, sign_in):
    sign_in(make.user("family"))
    assert client.post("/sign-out").status_code == 400
    assert client.get("/api/v1/me").status_code == 200


def test_next_parameter_cannot_leave_the_site(client, make, csrf):
    user = make.user("provider")
    response = client.post(
        "/sign-in",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf(),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/dashboard"


def test_family_sees_own_page_not_another(client, make, sign_in):
    mine = make.family(slug="mine", children=("Amy",))
    theirs = make.family(slug="theirs", children=("Zed",))
    sign_in(make.user("family", family=mine))
    own = client.get("/families/mine")
    assert own.status_code == 200 and b"Amy" in own.data
    other = client.get("/families/theirs")
    assert other.status_code == 404
    assert b"Zed" not in other.data
    assert theirs.id != mine.id


def test_provider_cannot_see_a_family_page(client, make, sign_in):
    make.family(slug="a-family")
    sign_in(make.user("provider"))
    assert client.get("/families/a-family").status_code == 404


def test_signed_out_family_page_redirects_to_sign_in(client, make):
    make.family(slug="fam")
    response = client.get("/families/fam")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_session_cookie_is_httponly(client, make, sign_in):
    response = sign_in(make.user("family"))
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_tokens_are_stored_hashed(session, make, bearer, client):
    user = make.user("commissioner")
    headers = bearer(user)
    secret = headers["Authorization"].split()[1]
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert secret not in stored and len(stored) == 1
    assert client.get("/api/v1/me", headers=headers).status_code == 200
