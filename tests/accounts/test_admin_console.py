"""The admin console: only admins; users deactivated or reset lose every session and token at
once; invitations of any role; organisations, families and a paged, filterable audit log."""

import pytest
from sqlalchemy import func, select

from marketplace.accounts import operations as accounts_ops
from marketplace.accounts.models import ApiToken, User
from marketplace.admin import reading
from marketplace.core import audit
from tests.factories import PASSWORD

PAGES = [
    "/admin",
    "/admin/users",
    "/admin/users/invite",
    "/admin/organisations",
    "/admin/families",
    "/admin/audit",
]


@pytest.fixture
def admin(make):
    return make.user("admin")


def post(client, csrf, url, **fields):
    return client.post(url, data={"csrf_token": csrf(), **fields})


@pytest.mark.parametrize("role", ["family", "provider", "commissioner"])
def test_the_console_refuses_everyone_but_admins(client, make, sign_in, csrf, role):
    target = make.user("family")
    sign_in(make.user(role))
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    for action in ("deactivate", "reactivate", "reset-sign-in"):
        assert post(client, csrf, f"/admin/users/{target.id}/{action}").status_code == 403
    assert target.is_active_account


def test_the_console_sends_visitors_to_sign_in(client):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url


def test_admin_pages_show_people_and_organisations(client, session, make, sign_in, admin):
    council = make.org("commissioner", name="Brightwater Council")
    make.user("commissioner", org=council)
    family = make.family(slug="shah", children=("Ravi",))
    parent = make.user("family", family=family)
    sign_in(admin)
    assert all(client.get(url).status_code == 200 for url in PAGES)
    users = client.get("/admin/users?q=" + parent.email).get_data(as_text=True)
    assert parent.name in users and "Active" in users and admin.email not in users
    orgs = client.get("/admin/organisations").get_data(as_text=True)
    assert "Brightwater Council" in orgs and "Commissioner" in orgs
    families = client.get("/admin/families?q=" + family.name).get_data(as_text=True)
    assert "Ravi, born 1 January 2015" in families and parent.email in families
    assert client.get("/admin/users?role=wizard").status_code == 422
    assert client.get("/admin/users?page=0").status_code == 422


def test_a_deactivated_user_cannot_sign_in_and_their_sessions_and_tokens_end(
    app, client, session, make, sign_in, csrf, admin
):
    parent = make.user("family")
    secret = accounts_ops.create_api_token(session, parent)
    session.commit()
    theirs = app.test_client()
    theirs.get("/sign-in")
    with theirs.session_transaction() as s:
        token = s["_csrf"]
    assert (
        theirs.post(
            "/sign-in", data={"email": parent.email, "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )
    assert theirs.get("/account").status_code == 200
    assert client.get("/api/v1/budgets", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    sign_in(admin)
    assert post(client, csrf, f"/admin/users/{parent.id}/deactivate").status_code == 302
    session.expire_all()
    assert not session.get(User, parent.id).is_active_account
    assert theirs.get("/account").status_code == 302  # their open session has ended
    assert client.get("/api/v1/budgets", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert (
        session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))) == 0
    )
    other = app.test_client()
    other.get("/sign-in")
    with other.session_transaction() as s:
        token = s["_csrf"]
    assert (
        other.post(
            "/sign-in", data={"email": parent.email, "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 401
    )
    entries = reading.audit_page(reading.AuditFilter(action="user.deactivated"), 1)[0]
    assert [(e.object_id, actor.id) for e, actor in entries] == [(str(parent.id), admin.id)]

    assert post(client, csrf, f"/admin/users/{parent.id}/reactivate").status_code == 302
    assert (
        other.post(
            "/sign-in", data={"email": parent.email, "password": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )


def test_an_admin_cannot_deactivate_themself(client, session, sign_in, csrf, admin):
    sign_in(admin)
    post(client, csrf, f"/admin/users/{admin.id}/deactivate")
    session.expire_all()
    assert session.get(User, admin.id).is_active_account


def test_reset_sign_in_ends_sessions_and_the_link_sets_a_new_password_once(
    app, client, session, make, sign_in, csrf, admin
):
    provider = make.user("provider")
    theirs = app.test_client()
    theirs.get("/sign-in")
    with theirs.session_transaction() as s:
        token = s["_csrf"]
    theirs.post("/sign-in", data={"email": provider.email, "password": PASSWORD, "csrf_token": token})
    sign_in(admin)
    page = post(client, csrf, f"/admin/users/{provider.id}/reset-sign-in").get_data(as_text=True)
    assert "signed out everywhere" in page and "E-mail is not set up" in page
    link = page[page.index("/reset-password/") : page.index('"', page.index("/reset-password/"))]
    assert theirs.get("/account").status_code == 302
    theirs.get("/sign-in")
    with theirs.session_transaction() as s:
        token = s["_csrf"]
    old = theirs.post("/sign-in", data={"email": provider.email, "password": PASSWORD, "csrf_token": token})
    assert old.status_code == 401  # the old password no longer works

    fresh = app.test_client()
    assert provider.email in fresh.get(link).get_data(as_text=True)
    with fresh.session_transaction() as s:
        ftoken = s["_csrf"]
    weak = fresh.post(link, data={"password": "weak", "password_again": "weak", "csrf_token": ftoken})
    assert weak.status_code == 422 and 'href="#password"' in weak.get_data(as_text=True)
    done = fresh.post(
        link,
        data={"password": "Brand-new-pass-1", "password_again": "Brand-new-pass-1", "csrf_token": ftoken},
    )
    assert done.status_code == 302 and fresh.get("/account").status_code == 200
    assert app.test_client().get(link).status_code == 404  # used once


def test_an_admin_invites_staff_to_an_organisation(client, session, make, sign_in, csrf, admin):
    council = make.org("commissioner", name="Brightwater Council")
    sign_in(admin)
    bad = post(
        client, csrf, "/admin/users/invite", name="Cara", email="cara@council.example", role="commissioner"
    )
    assert bad.status_code == 422 and 'href="#organisation"' in bad.get_data(as_text=True)
    page = post(
        client, csrf, "/admin/users/invite", name="Cara", email="cara@council.example", role="commissioner",
        organisation=str(council.id),
    ).get_data(as_text=True)  # fmt: skip
    link = page[page.index("/invitations/") : page.index('"', page.index("/invitations/"))]
    client.post("/sign-out", data={"csrf_token": csrf()})
    shown = client.get(link).get_data(as_text=True)
    assert "Brightwater Council, as commissioner staff" in shown
    post(client, csrf, link, password="Council-pass-2026", password_again="Council-pass-2026")
    cara = session.scalar(select(User).where(User.email == "cara@council.example"))
    assert cara.role.value == "commissioner" and cara.organisation.id == council.id


def test_the_audit_log_filters_by_object_and_user_and_pages(client, session, make, sign_in, admin):
    family = make.family(slug="f")
    parent = make.user("family", family=family)
    for n in range(reading.PER_PAGE + 5):
        audit.record(session, parent, "family.updated", family, n=n)
    audit.record(session, admin, "family.updated", family, n=999)
    session.flush()
    sign_in(admin)
    first = client.get(f"/admin/audit?object_type=family&object_id={family.id}").get_data(as_text=True)
    assert f"{reading.PER_PAGE + 6} entries" in first and "Page 1 of 2" in first
    assert first.index("N: 999") < first.index("N: 54")  # newest first
    second = client.get(f"/admin/audit?object_type=family&object_id={family.id}&page=2").get_data(
        as_text=True
    )
    assert "Page 2 of 2" in second and "N: 0<" in second.replace("N: 0\n", "N: 0<")
    by_admin = client.get(f"/admin/audit?object_type=family&user={admin.email.upper()}").get_data(
        as_text=True
    )
    assert "1 entry" in by_admin and "N: 999" in by_admin
    nothing = client.get(f"/admin/audit?object_type=family&object_id={family.id + 1000}").get_data(
        as_text=True
    )
    assert "0 entries" in nothing
    assert client.get("/admin/audit?page=abc").status_code == 422


@pytest.mark.parametrize("role", ["family", "provider", "commissioner"])
def test_the_operations_themselves_refuse_non_admins(session, make, role):
    from marketplace.accounts import access
    from marketplace.core.errors import Forbidden

    target, actor = make.user("family"), make.user(role)
    for operation in (access.deactivate_user, access.reactivate_user, access.reset_sign_in):
        with pytest.raises(Forbidden):
            operation(session, target, actor)
    assert target.is_active_account and target.session_generation == 0


def test_audit_details_read_as_people_read_them():
    from marketplace.admin.presenting import describe

    detail = {
        "allocated": 3_120_000,
        "weekly_amount": 57_000,
        "contingency_bp": 500,
        "first": "2026-12-01",
        "fields": ["bank_account_name", "postcode"],
        "role": "family",
        "paid": True,
        "reference": "BWC-SC-4471-Q1",
    }
    assert describe(detail) == [
        ("Allocated", "£31,200.00"),
        ("Weekly amount", "£570.00"),
        ("Contingency", "5%"),
        ("First", "1 December 2026"),
        ("Fields", "Bank account name, Postcode"),
        ("Role", "Family"),
        ("Paid", "Yes"),
        ("Reference", "BWC-SC-4471-Q1"),
    ]
