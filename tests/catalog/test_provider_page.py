"""A provider's page for families (issue #17, item 10): address, contact, registrations and
published offers, linked from its offers and from search results. Anyone may read a verified
provider's page; an unverified provider has none (404), and draft offers are not listed."""

from marketplace.core.clock import utcnow


def test_a_verified_providers_page_shows_who_where_registrations_and_offers(client, make, session):
    profile = make.provider(
        "Hilltop Children's Hospice",
        address="1 Hill Road, Brightwater",
        postcode="BW1 2AB",
        contact_email="hello@hilltop.example",
        contact_phone="01234 567890",
        charity_number="1234567",
        cqc_location_id="1-23456789",
    )
    published = make.offer(profile, title="Overnight short break")
    draft = make.offer(profile, title="Secret draft", publish=False)
    session.commit()
    offer_page = client.get(f"/offers/{published.id}").get_data(as_text=True)
    assert f'href="/providers/{profile.id}"' in offer_page  # linked from the offer
    assert f'href="/providers/{profile.id}"' in client.get("/offers").get_data(as_text=True)
    page = client.get(f"/providers/{profile.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for shown in ("1 Hill Road, Brightwater, BW1 2AB", "hello@hilltop.example", "01234 567890", "1234567",
                  "1-23456789", "Overnight short break", "Brightwater"):  # fmt: skip
        assert shown in text, shown
    assert f'href="/offers/{published.id}"' in text and draft.title not in text


def test_an_unverified_provider_has_no_public_page(client, make, sign_in, session):
    profile = make.provider("Waiting Care", verified=False)
    staff = make.user("provider", org=profile.organisation)
    session.commit()
    assert client.get(f"/providers/{profile.id}").status_code == 404
    sign_in(staff)  # not even to its own staff: they have "Your profile" instead
    assert client.get(f"/providers/{profile.id}").status_code == 404
    assert client.get("/providers/99999").status_code == 404
    assert client.get("/providers/99999999999").status_code == 404
    profile.verified_at = utcnow()
    session.commit()
    assert client.get(f"/providers/{profile.id}").status_code == 200
