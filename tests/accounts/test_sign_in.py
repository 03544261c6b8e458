import re
from types import SimpleNamespace

import time_machine
from sqlalchemy import select

from marketplace.accounts.models import ApiToken
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


def _sign_in_from(client, address, email, password):
    client.get("/sign-in", environ_base={"REMOTE_ADDR": address})
    with client.session_transaction() as sess:
        token = sess["_csrf"]
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_repeated_failures_slow_that_address_down_but_never_lock_the_account(app, make, session):
    user = make.user("family")
    attacker, owner = app.test_client(), app.test_client()
    with time_machine.travel("2026-05-01 10:00 +0000", tick=False):
        for _ in range(5):
            assert _sign_in_from(attacker, "203.0.113.9", user.email, "wrong-password-1").status_code == 401
        refused = _sign_in_from(attacker, "203.0.113.9", user.email, PASSWORD)
        assert refused.status_code == 429  # even the right password waits, from that address
        assert b"Too many sign-in attempts" in refused.data
        assert refused.headers["Retry-After"] == "61"
        # the owner, elsewhere, is not locked out
        assert _sign_in_from(owner, "198.51.100.7", user.email, PASSWORD).status_code == 302
    with time_machine.travel("2026-05-01 10:01:01 +0000", tick=False):
        # after the wait, one more wrong guess doubles the wait
        assert _sign_in_from(attacker, "203.0.113.9", user.email, "wrong-password-1").status_code == 401
        assert _sign_in_from(attacker, "203.0.113.9", user.email, PASSWORD).status_code == 429
    with time_machine.travel("2026-05-01 10:02:00 +0000", tick=False):
        assert _sign_in_from(attacker, "203.0.113.9", user.email, PASSWORD).status_code == 429
    with time_machine.travel("2026-05-01 10:03:02 +0000", tick=False):
        assert _sign_in_from(attacker, "203.0.113.9", user.email, PASSWORD).status_code == 302


def test_one_address_guessing_many_accounts_is_slowed_down(app, make):
    users = [make.user("family") for _ in range(5)]
    attacker = app.test_client()
    with time_machine.travel("2026-05-01 10:00 +0000", tick=False):
        for n in range(20):
            email = users[n % 5].email if n % 2 else f"nobody{n}@example.org"
            assert _sign_in_from(attacker, "203.0.113.9", email, "wrong-password-1").status_code == 401
        assert _sign_in_from(attacker, "203.0.113.9", users[0].email, PASSWORD).status_code == 429
        assert _sign_in_from(app.test_client(), "198.51.100.7", users[0].email, PASSWORD).status_code == 302


def _page(response, email):
    """The page with the e-mail typed and the session's own CSRF token blanked out."""
    text = response.get_data(as_text=True).replace(email, "E")
    return re.sub(r'name="csrf_token" value="[^"]*"', "", text)


def test_known_and_unknown_addresses_get_identical_answers(app, make):
    user = make.user("family")
    known, unknown = app.test_client(), app.test_client()
    with time_machine.travel("2026-05-01 10:00 +0000", tick=False):
        for _ in range(6):
            a = _sign_in_from(known, "203.0.113.9", user.email, "wrong-password-1")
            b = _sign_in_from(unknown, "203.0.113.10", "nobody@example.org", "wrong-password-1")
            assert a.status_code == b.status_code
            assert a.headers.get("Retry-After") == b.headers.get("Retry-After")
            assert _page(a, user.email) == _page(b, "nobody@example.org")
        assert a.status_code == 429  # the sixth try, for both


def test_successful_sign_in_resets_the_failure_count(client, make, sign_in):
    user = make.user("family")
    for _ in range(4):
        sign_in(user, password="wrong-password-1")
    assert sign_in(user).status_code == 302
    client.post("/sign-out", data={"csrf_token": _csrf(client)})
    for _ in range(4):  # four more wrong ones are free again
        assert sign_in(user, password="wrong-password-1").status_code == 401
    assert sign_in(user).status_code == 302


def _csrf(client):
    client.get("/sign-in")
    with client.session_transaction() as sess:
        return sess["_csrf"]


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
