"""Families join through an invitation: a signed, expiring, single-use link that says whom it is for."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from marketplace.accounts import invitations
from marketplace.accounts.models import Family, Invitation, User
from marketplace.core.audit import AuditEntry
from marketplace.core.clock import utcnow
from tests.factories import PASSWORD

NEW_PASSWORD = "Sunny-days-2026"


@pytest.fixture
def council(make):
    org = make.org("commissioner", name="Brightwater Council")
    return org, make.user("commissioner", org=org)


def form(client, csrf, url, **fields):
    return client.post(url, data={"csrf_token": csrf(), **fields})


def invite_new_family(client, csrf, sign_in, commissioner, email="parent@example.org"):
    sign_in(commissioner)
    return form(
        client, csrf, "/invite-family",
        name="Priya Shah", email=email, family_name="The Shah family",
        child_name="Ravi", date_of_birth="31/12/2015", area="Brightwater",
    )  # fmt: skip


def link_from(page: str) -> str:
    start = page.index("/invitations/")
    return page[start : page.index('"', start)]


def test_a_commissioner_invites_a_new_family_and_the_parent_creates_an_account(
    client, session, csrf, sign_in, council
):
    org, commissioner = council
    response = invite_new_family(client, csrf, sign_in, commissioner)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "E-mail is not set up" in page and "until" in page  # the in-app confirmation with the link
    link = link_from(page)
    client.post("/sign-out", data={"csrf_token": csrf()})

    invitation_page = client.get(link).get_data(as_text=True)
    assert "Priya Shah" in invitation_page and "parent@example.org" in invitation_page
    assert "The Shah family, as a parent or carer" in invitation_page and "Ravi" in invitation_page
    assert "Brightwater Council" in invitation_page

    response = form(client, csrf, link, name="Priya Shah", password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.email == "parent@example.org"))
    assert user.role.value == "family" and user.family.name == "The Shah family"
    assert user.email_confirmed_at is not None
    home = client.get("/dashboard", follow_redirects=True).get_data(as_text=True)
    assert "The Shah family" in home  # signed in, on the family's own page
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "invitation.accepted")
        )
        == 1
    )


def test_the_invited_family_is_then_in_the_commissioners_budget_picker(
    client, session, csrf, sign_in, council
):
    org, commissioner = council
    invite_new_family(client, csrf, sign_in, commissioner)
    family = session.scalar(select(Family).where(Family.name == "The Shah family"))
    page = client.get("/budgets/new").get_data(as_text=True)
    assert "Ravi (The Shah family, Brightwater), born 31 December 2015" in page
    response = form(
        client, csrf, "/budgets/new",
        child_id=str(family.children[0].id), status="agreed",
        **{"streams.0.kind": "social_care", "streams.0.funder": org.slug, "streams.0.amount": "1,200.00",
           "streams.0.management": "managed"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    budget = budgets_for(session, family)
    assert budget.child.name == "Ravi" and budget.allocated == 120_000


def budgets_for(session, family):
    from marketplace.budgets.models import Budget

    return session.scalar(select(Budget).where(Budget.family_id == family.id))


def test_the_picker_lists_only_families_the_commissioner_knows(client, session, make, csrf, sign_in, council):
    org, commissioner = council
    stranger = make.family(slug="strangers", children=("Xanthe",))
    sign_in(commissioner)
    page = client.get("/budgets/new").get_data(as_text=True)
    assert "Xanthe" not in page and "Invite a new family" in page
    response = form(
        client, csrf, "/budgets/new", child_id=str(stranger.children[0].id),
        **{"streams.0.kind": "social_care", "streams.0.funder": org.slug, "streams.0.amount": "100"},
    )  # fmt: skip
    assert response.status_code == 422 and 'href="#child_id"' in response.get_data(as_text=True)
    assert budgets_for(session, stranger) is None
    invite = client.get("/invite-family").get_data(as_text=True)
    assert "strangers" not in invite and "Xanthe" not in invite
    refused = form(client, csrf, "/invite-family", name="A", email="a@example.org", family=str(stranger.id))
    assert refused.status_code == 422 and 'href="#family"' in refused.get_data(as_text=True)


def _token(session, make, actor=None, family=None):
    actor = actor or make.user("admin")
    family = family or make.family()
    invitation, token = invitations.invite(
        session, actor=actor, email="carer@example.org", name="Carer", role="family", family=family
    )
    session.commit()
    return invitation, token


def test_an_invitation_works_once(client, session, make, csrf):
    invitation, token = _token(session, make)
    fields = dict(password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    assert form(client, csrf, f"/invitations/{token}", **fields).status_code == 302
    client.post("/sign-out", data={"csrf_token": csrf()})
    again = client.get(f"/invitations/{token}")
    assert again.status_code == 404 and "already been used" in again.get_data(as_text=True)
    reused = form(client, csrf, f"/invitations/{token}", **fields)
    assert reused.status_code == 404
    assert (
        session.scalar(select(func.count()).select_from(User).where(User.email == "carer@example.org")) == 1
    )


def test_an_expired_invitation_is_refused(client, session, make):
    invitation, token = _token(session, make)
    with time_machine.travel(utcnow() + invitations.INVITATION_LIFETIME + timedelta(minutes=1)):
        response = client.get(f"/invitations/{token}")
    assert response.status_code == 404 and "expired" in response.get_data(as_text=True)


def test_a_tampered_invitation_is_refused(client, session, make):
    invitation, token = _token(session, make)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "x" + token, "nonsense"):
        response = client.get(f"/invitations/{bad}")
        assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
    # a genuine signature over another invitation's id with this one's secret: the secret's hash must match
    other, other_token = _token(session, make)
    forged = invitations._signer("invitation").dumps({"i": other.id, "s": "guessed"})
    assert client.get(f"/invitations/{forged}").status_code == 404


def test_who_may_invite_whom(client, session, make, csrf, sign_in, council):
    org, commissioner = council
    family = make.family()
    with pytest.raises(Exception) as refused:
        invitations.invite(
            session,
            actor=commissioner,
            email="x@example.org",
            name="X",
            role="commissioner",
            organisation=org,
        )
    assert refused.value.status == 403
    for role in ("family", "provider"):
        user = make.user(role)
        with pytest.raises(Exception) as refused:
            invitations.invite(
                session, actor=user, email="y@example.org", name="Y", role="family", family=family
            )
        assert refused.value.status == 403
        sign_in(user)
        assert client.get("/invite-family").status_code == 403
        response = form(client, csrf, "/invite-family", name="Y", email="y@example.org", family_name="F",
                        child_name="C", date_of_birth="01/01/2015")  # fmt: skip
        assert response.status_code == 403
    assert session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_a_bad_invitation_form_names_the_fields_and_writes_nothing(client, session, csrf, sign_in, council):
    org, commissioner = council
    sign_in(commissioner)
    response = form(
        client, csrf, "/invite-family", name="", email="not-an-address", date_of_birth="31/02/2015"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "There is a problem" in page
    for field in ("name", "email", "date_of_birth"):
        assert f'href="#{field}"' in page, field
    assert session.scalar(select(func.count()).select_from(Invitation)) == 0
    assert session.scalar(select(func.count()).select_from(Family)) == 0


def test_accepting_with_a_weak_or_mismatched_password_says_so(client, session, make, csrf):
    invitation, token = _token(session, make)
    weak = form(client, csrf, f"/invitations/{token}", password="short", password_again="short")
    assert weak.status_code == 422 and 'href="#password"' in weak.get_data(as_text=True)
    mismatch = form(
        client, csrf, f"/invitations/{token}", password=NEW_PASSWORD, password_again="Other-pass-99"
    )
    assert mismatch.status_code == 422 and 'href="#password_again"' in mismatch.get_data(as_text=True)
    assert session.get(Invitation, invitation.id).accepted_at is None


def test_an_invitation_to_an_address_with_an_account_cannot_make_a_second(client, session, make, csrf):
    existing = make.user("family", email="carer@example.org")
    invitation, token = _token(session, make)  # inviting says nothing about who is registered
    response = form(client, csrf, f"/invitations/{token}", password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    assert response.status_code == 409 and "sign in instead" in response.get_data(as_text=True)
    assert session.get(Invitation, invitation.id).accepted_at is None
    assert existing.family_id != invitation.family_id


def test_the_invitation_is_e_mailed_after_the_commit_when_mail_is_configured(
    app, client, session, csrf, sign_in, council, monkeypatch
):
    sent = []
    monkeypatch.setattr("marketplace.core.notifications.send_emails", lambda outbox: sent.extend(outbox))
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "mail.example.org")
    org, commissioner = council
    page = invite_new_family(client, csrf, sign_in, commissioner).get_data(as_text=True)
    assert "We have e-mailed the invitation to" in page
    (to, subject, body, link) = sent[-1]
    assert to == "parent@example.org" and "invited" in subject and link == link_from(page)


def test_the_old_password_is_unrelated_to_the_new_account(client, session, make, csrf):
    """The account made from an invitation signs in with the password chosen, nothing else."""
    invitation, token = _token(session, make)
    form(client, csrf, f"/invitations/{token}", password=NEW_PASSWORD, password_again=NEW_PASSWORD)
    client.post("/sign-out", data={"csrf_token": csrf()})
    wrong = form(client, csrf, "/sign-in", email="carer@example.org", password=PASSWORD)
    assert wrong.status_code == 401
    right = form(client, csrf, "/sign-in", email="carer@example.org", password=NEW_PASSWORD)
    assert right.status_code == 302
