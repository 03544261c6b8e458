"""A provider applies to join; it lands unverified until an admin verifies it. Nobody learns from
the form whether an address is registered; the address is confirmed by a link."""

from sqlalchemy import func, select

from marketplace.accounts.models import Organisation, User
from marketplace.catalog.models import ProviderProfile
from marketplace.core.notifications import Notification
from tests.factories import PASSWORD

APPLICATION = {
    "organisation_name": "Meadow Respite Care",
    "description": "Overnight breaks on a farm",
    "ofsted_urn": "SC123456",
    "postcode": "BW1 2AB",
    "name": "Mo Meadow",
    "email": "mo@meadow.example",
    "password": "Green-fields-2026",
    "password_again": "Green-fields-2026",
}


def apply(client, csrf, **changes):
    return client.post("/join/provider", data={"csrf_token": csrf(), **APPLICATION, **changes})


def profile_of(session, name="Meadow Respite Care"):
    return session.scalar(
        select(ProviderProfile).join(ProviderProfile.organisation).where(Organisation.name == name)
    )


def test_a_provider_applies_and_an_admin_verifies_it(client, session, make, csrf, sign_in):
    admin = make.user("admin")
    response = apply(client, csrf)
    assert response.status_code == 200 and "Application received" in response.get_data(as_text=True)
    profile = profile_of(session)
    assert profile is not None and not profile.is_verified and profile.ofsted_urn == "SC123456"
    user = session.scalar(select(User).where(User.email == "mo@meadow.example"))
    assert user.role.value == "provider" and user.organisation.id == profile.organisation_id
    assert user.email_confirmed_at is None
    told = session.scalars(select(Notification.subject).where(Notification.user_id == admin.id)).all()
    assert told == ["Meadow Respite Care has applied to join"]

    sign_in(admin)
    listing = client.get("/admin/providers").get_data(as_text=True)
    assert "Meadow Respite Care" in listing and "SC123456" in listing
    client.post(
        f"/admin/providers/{profile.organisation_id}/verification",
        data={"csrf_token": csrf(), "decision": "verify", "note": ""},
    )
    session.expire_all()
    assert profile_of(session).is_verified
    client.post("/sign-out", data={"csrf_token": csrf()})
    assert sign_in(user, password=APPLICATION["password"]).status_code == 302


def test_an_application_naming_a_registered_address_creates_nothing_and_looks_the_same(
    client, session, make, csrf
):
    make.user("family", email="mo@meadow.example")
    organisations = session.scalar(select(func.count()).select_from(Organisation))
    response = apply(client, csrf)
    fresh = apply(client, csrf, email="someone-new@meadow.example", organisation_name="Other Care")
    strip = lambda page: page.replace("mo@meadow.example", "X").replace("someone-new@meadow.example", "X")  # noqa: E731
    first, second = (strip(r.get_data(as_text=True)) for r in (response, fresh))
    assert response.status_code == fresh.status_code == 200
    assert first.replace("Meadow Respite Care", "O") == second.replace("Other Care", "O")
    assert (
        session.scalar(select(func.count()).select_from(Organisation)) == organisations + 1
    )  # only the fresh one
    assert profile_of(session) is None


def test_a_bad_application_names_the_fields_and_writes_nothing(client, session, csrf):
    response = apply(
        client,
        csrf,
        organisation_name="",
        ofsted_urn="",
        email="nope",
        password="short",
        password_again="short",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "There is a problem" in page
    for field in ("organisation_name", "ofsted_urn", "email"):
        assert f'href="#{field}"' in page, field
    mismatch = apply(client, csrf, password_again="Something-else-1")
    assert mismatch.status_code == 422 and 'href="#password_again"' in mismatch.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_applications_from_one_address_are_throttled(client, session, csrf):
    for n in range(5):
        assert apply(client, csrf, email=f"a{n}@meadow.example").status_code == 200
    response = apply(client, csrf, email="a9@meadow.example")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert session.scalar(select(User).where(User.email == "a9@meadow.example")) is None


def test_the_confirmation_e_mail_confirms_the_address(app, client, session, csrf, monkeypatch):
    sent = []
    monkeypatch.setattr("marketplace.core.notifications.send_emails", lambda outbox: sent.extend(outbox))
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "mail.example.org")
    page = apply(client, csrf).get_data(as_text=True)
    assert "We have sent an e-mail to" in page
    (link,) = [link for to, subject, body, link in sent if subject == "Confirm your e-mail address"]
    assert "Is <strong>mo@meadow.example</strong> your e-mail address" in client.get(link).get_data(
        as_text=True
    )
    user = session.scalar(select(User).where(User.email == "mo@meadow.example"))
    assert user.email_confirmed_at is None  # opening the link alone changes nothing
    done = client.post(link, data={"csrf_token": csrf()})
    assert done.status_code == 200 and "E-mail address confirmed" in done.get_data(as_text=True)
    session.expire_all()
    assert user.email_confirmed_at is not None
    assert client.get(link[:-3] + "xyz").status_code == 404


def test_logged_out_visitors_see_sign_in_to_book_and_land_on_the_booking(client, session, make, csrf):
    offer = make.offer()
    slot = make.slot(offer, days_ahead=5)
    parent = make.user("family")
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    link = f"/sign-in?next=/book/{slot.id}"
    assert "Sign in to book" in page and link in page
    assert "apply to join" in client.get(link).get_data(as_text=True)
    response = client.post(
        "/sign-in",
        data={"email": parent.email, "password": PASSWORD, "next": f"/book/{slot.id}", "csrf_token": csrf()},
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/book/{slot.id}"
