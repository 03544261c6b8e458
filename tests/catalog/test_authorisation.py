"""Providers manage only their own offers and slots: another provider's are 404, other roles 403."""

import pytest

from marketplace.catalog.models import OfferStatus

OFFER_FORM = dict(
    title="Evening club", description="Games and friends", category="evening_weekend_session", setting="community",
    min_age="11", max_age="25", needs="autism, learning disability", staffing_ratio="1:3", price="25.00", unit="session",
    vat_treatment="exempt", funding_streams=["social_care", "charity"], free_cancellation_hours="24",
    late_cancellation_percent="50", no_show_percent="100", min_units_per_booking="1", emergency_reserve="0",
)  # fmt: skip


@pytest.fixture
def mine(catalog, make_offer, make_slot):
    provider = catalog.provider("Mine")
    offer = make_offer(provider)
    mine = dict(provider=provider, offer=offer, slot=make_slot(offer), staff=catalog.staff(provider))
    catalog.session.commit()
    return mine


@pytest.fixture
def theirs(catalog, make_offer, make_slot):
    provider = catalog.provider("Theirs")
    offer = make_offer(provider, publish=False)
    theirs = dict(provider=provider, offer=offer, slot=make_slot(offer))
    catalog.session.commit()
    return theirs


def post(client, csrf, url, **data):
    return client.post(url, data={"csrf_token": csrf(), **data})


def test_provider_creates_edits_publishes_and_archives(client, sign_in, csrf, mine, session):
    sign_in(mine["staff"])
    assert client.get("/provider/offers").status_code == 200
    response = post(client, csrf, "/provider/offers/new", **OFFER_FORM)
    assert response.status_code == 302
    from sqlalchemy import select

    from marketplace.catalog.models import Offer

    offer = session.scalar(select(Offer).where(Offer.title == "Evening club"))
    assert offer.price == 2500 and offer.late_cancellation_bp == 5000 and offer.status is OfferStatus.DRAFT
    assert offer.needs == ["autism", "learning disability"]
    assert [s.value for s in offer.funding_streams] == ["social_care", "charity"]
    assert client.get(f"/provider/offers/{offer.id}/edit").status_code == 200
    assert (
        post(
            client, csrf, f"/provider/offers/{offer.id}/edit", **{**OFFER_FORM, "price": "27.50"}
        ).status_code
        == 302
    )
    assert offer.price == 2750 and len(offer.price_changes) == 1
    assert post(client, csrf, f"/provider/offers/{offer.id}/publish").status_code == 302
    assert offer.status is OfferStatus.PUBLISHED
    assert post(client, csrf, f"/provider/offers/{offer.id}/archive").status_code == 302
    assert offer.status is OfferStatus.ARCHIVED


def test_offer_form_errors_are_summarised(client, sign_in, csrf, mine):
    sign_in(mine["staff"])
    response = post(
        client,
        csrf,
        "/provider/offers/new",
        **{**OFFER_FORM, "title": "", "price": "-3", "min_age": "12", "max_age": "4"},
    )
    assert response.status_code == 422
    assert b"govuk-error-summary" in response.data
    for field in (b"#title", b"#price", b"#max_age"):
        assert field in response.data


def test_unverified_provider_sees_why(client, sign_in, csrf, catalog, make_offer):
    provider = catalog.provider("Waiting", verified=False)
    provider.verification_note = "Please add your CQC location id."
    offer = make_offer(provider, publish=False)
    sign_in(catalog.staff(provider))
    catalog.session.commit()
    page = client.get("/provider/offers")
    assert b"not verified yet" in page.data and b"CQC location id" in page.data
    refused = post(client, csrf, f"/provider/offers/{offer.id}/publish")
    assert refused.status_code == 409
    assert offer.status is OfferStatus.DRAFT


def test_slot_pages(client, sign_in, csrf, mine):
    sign_in(mine["staff"])
    offer = mine["offer"]
    assert client.get(f"/provider/offers/{offer.id}/slots").status_code == 200
    added = post(
        client,
        csrf,
        f"/provider/offers/{offer.id}/slots",
        day="2030-05-03",
        start_time="17:00",
        end_time="10:00",
        capacity="4",
    )
    assert added.status_code == 302
    pattern = client.post(
        f"/provider/offers/{offer.id}/slots/pattern",
        data={"csrf_token": csrf(), "day": "2030-06-03", "until": "2030-06-16", "weekdays": ["0", "2"],
              "start_time": "10:00", "end_time": "16:00", "capacity": "6"},
    )  # fmt: skip
    assert pattern.status_code == 302
    bad = post(
        client,
        csrf,
        f"/provider/offers/{offer.id}/slots/pattern",
        day="2030-06-03",
        until="2030-05-01",
        start_time="25:00",
        capacity="x",
    )
    assert bad.status_code == 422 and b"govuk-error-summary" in bad.data
    assert post(client, csrf, f"/provider/slots/{mine['slot'].id}/close").status_code == 302
    assert mine["slot"].closed


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", "/provider/offers/{offer}/edit"),
        ("post", "/provider/offers/{offer}/edit"),
        ("post", "/provider/offers/{offer}/publish"),
        ("post", "/provider/offers/{offer}/archive"),
        ("get", "/provider/offers/{offer}/slots"),
        ("post", "/provider/offers/{offer}/slots"),
        ("post", "/provider/offers/{offer}/slots/pattern"),
        ("post", "/provider/slots/{slot}/close"),
        ("get", "/offers/{offer}"),  # a draft is not public
    ],
)
def test_another_providers_objects_are_404(client, sign_in, csrf, mine, theirs, method, url):
    sign_in(mine["staff"])
    target = url.format(offer=theirs["offer"].id, slot=theirs["slot"].id)
    response = client.get(target) if method == "get" else post(client, csrf, target, **OFFER_FORM)
    assert response.status_code == 404
    assert theirs["offer"].status is OfferStatus.DRAFT and not theirs["slot"].closed


@pytest.mark.parametrize("role", ["family", "commissioner"])
@pytest.mark.parametrize(
    "url", ["/provider/offers", "/provider/offers/new", "/provider/offers/{offer}/slots", "/admin/providers"]
)
def test_wrong_role_is_403(client, sign_in, make, mine, role, url):
    sign_in(make.user(role))
    assert client.get(url.format(offer=mine["offer"].id)).status_code == 403


def test_provider_is_not_admin(client, sign_in, mine):
    sign_in(mine["staff"])
    assert client.get("/admin/providers").status_code == 403


def test_signed_out_is_sent_to_sign_in(client, mine):
    assert client.get("/provider/offers").status_code == 302


# ---- API ------------------------------------------------------------------------------------

SLOT = {"starts_at": "2030-05-03T16:00:00Z", "ends_at": "2030-05-04T09:00:00+00:00", "capacity": 4}


def test_api_provider_adds_a_slot(client, bearer, mine):
    response = client.post(
        f"/api/v1/offers/{mine['offer'].id}/slots", json=SLOT, headers=bearer(mine["staff"])
    )
    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], str) and body["offer_id"] == str(mine["offer"].id)
    assert body["capacity"] == 4 and body["capacity_left"] == 4 and body["booked"] == 0
    assert body["starts_at"].startswith("2030-05-03T16:00:00")
    again = client.post(f"/api/v1/offers/{mine['offer'].id}/slots", json=SLOT, headers=bearer(mine["staff"]))
    assert again.status_code == 409


def test_api_another_providers_offer_is_404(client, bearer, mine, theirs):
    response = client.post(
        f"/api/v1/offers/{theirs['offer'].id}/slots", json=SLOT, headers=bearer(mine["staff"])
    )
    assert response.status_code == 404
    assert (
        client.get(f"/api/v1/offers/{theirs['offer'].id}", headers=bearer(mine["staff"])).status_code == 404
    )
    assert client.get(f"/api/v1/offers/{theirs['offer'].id}/slots").status_code == 404


@pytest.mark.parametrize("role", ["family", "commissioner"])
def test_api_wrong_role_is_403(client, bearer, make, mine, role):
    response = client.post(
        f"/api/v1/offers/{mine['offer'].id}/slots", json=SLOT, headers=bearer(make.user(role))
    )
    assert response.status_code == 403


def test_api_anonymous_is_401(client, mine):
    assert client.post(f"/api/v1/offers/{mine['offer'].id}/slots", json=SLOT).status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [
        ({**SLOT, "capacity": -1}, "capacity"),
        ({**SLOT, "capacity": "4"}, "capacity"),
        ({**SLOT, "capacity": 4.5}, "capacity"),
        ({**SLOT, "starts_at": "2030-05-03T16:00:00"}, "starts_at"),  # no offset
        ({**SLOT, "ends_at": "2030-05-03T15:00:00Z"}, "ends_at"),
        ({"capacity": 4}, "starts_at"),
    ],
)
def test_api_bad_slot_is_422(client, bearer, mine, body, field):
    response = client.post(
        f"/api/v1/offers/{mine['offer'].id}/slots", json=body, headers=bearer(mine["staff"])
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_api_owner_sees_own_draft(client, bearer, catalog, make_offer, session):
    provider = catalog.provider()
    draft = make_offer(provider, publish=False)
    headers = bearer(catalog.staff(provider))
    session.commit()
    assert client.get(f"/api/v1/offers/{draft.id}", headers=headers).status_code == 200


def test_api_public_does_not_see_a_draft(client, make_offer):
    draft = make_offer(publish=False)
    assert client.get(f"/api/v1/offers/{draft.id}").status_code == 404


def test_huge_ids_are_404_not_500(client):
    assert client.get("/api/v1/offers/99999999999999999999").status_code == 404
    assert client.get("/offers/99999999999999999999").status_code == 404


def test_admin_verifies_a_provider(client, sign_in, csrf, make, catalog):
    provider = catalog.provider("Newcomer", verified=False)
    sign_in(make.user("admin"))
    page = client.get("/admin/providers")
    assert page.status_code == 200 and b"Newcomer" in page.data
    declined = post(
        client,
        csrf,
        f"/admin/providers/{provider.organisation_id}/verification",
        decision="decline",
        note="Need your Ofsted URN",
    )
    assert declined.status_code == 302 and not provider.is_verified
    assert provider.verification_note == "Need your Ofsted URN"
    verified = post(
        client, csrf, f"/admin/providers/{provider.organisation_id}/verification", decision="verify"
    )
    assert verified.status_code == 302 and provider.is_verified
