"""Public pages, dashboard panels and the OpenAPI document."""

from datetime import timedelta

from marketplace.core.clock import LONDON, today


def test_offer_page_shows_places_left(client, make_offer, make_slot):
    offer = make_offer(emergency_reserve=1)
    make_slot(offer, capacity=4, booked=1)
    page = client.get(f"/offers/{offer.id}")
    assert page.status_code == 200
    assert b"\xc2\xa3295.00" in page.data and b"per night" in page.data
    assert b">2</td>" in page.data  # 4 places, 1 booked, 1 held back for emergencies


def london_day(slot):
    return slot.starts_at.astimezone(LONDON).date()


def test_offer_page_shows_four_weeks_of_dates_and_pages_through_them(client, make_offer, make_slot):
    offer = make_offer()
    soon, late = make_slot(offer, days_ahead=3), make_slot(offer, days_ahead=75)
    make_slot(offer, days_ahead=5, closed=True)
    first = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert first.count('<tr class="govuk-table__row"><td') == 1  # soon; not the closed date or day 75
    assert f"Dates from {today():%-d %B %Y} to {today() + timedelta(days=27):%-d %B %Y}" in first
    later = f"/offers/{offer.id}?from={london_day(late).isoformat()}#dates"
    assert f'href="{later}"' in first and "Later dates" in first and "Earlier dates" not in first

    second = client.get(later).get_data(as_text=True)
    assert (
        second.count('<tr class="govuk-table__row"><td') == 1
        and f"{late.starts_at.astimezone(LONDON):%-d %B %Y %H:%M}" in second
    )
    assert "Earlier dates" in second and "Later dates" not in second

    gap = client.get(f"/offers/{offer.id}?from={(london_day(soon) + timedelta(days=2)).isoformat()}")
    assert f"No dates in these four weeks. The next is on {london_day(late):%-d %B %Y}" in gap.get_data(
        as_text=True
    )
    past = client.get(f"/offers/{offer.id}?from=2020-01-01").get_data(as_text=True)  # shows from today
    assert past.count('<tr class="govuk-table__row"><td') == 1 and "Earlier dates" not in past


def test_offer_page_with_a_bad_date_says_so_and_still_shows_the_offer(client, make_offer, make_slot):
    offer = make_offer()
    make_slot(offer, days_ahead=3)
    for bad, message in [("tomorrow", "Enter a date like"), ("2099-01-01", "within the next two years")]:
        page = client.get(f"/offers/{offer.id}?from={bad}")
        assert page.status_code == 422
        html = page.get_data(as_text=True)
        assert "govuk-error-summary" in html and 'href="#from"' in html and message in html
        assert html.count('<tr class="govuk-table__row"><td') == 1  # dates from today all the same
        assert f'value="{bad}"' in html  # what was typed is kept


def test_offer_page_with_no_dates_says_whom_to_ask(client, make_offer):
    offer = make_offer()
    page = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "No dates are open yet" in page and "Later dates" not in page


def test_dashboard_panels(client, sign_in, catalog, make, make_offer):
    provider = catalog.provider("Waiting Ltd", verified=False)
    make_offer(provider, publish=False)
    sign_in(catalog.staff(provider))
    page = client.get("/dashboard")
    assert b"0 published, 1 draft" in page.data and b"not verified yet" in page.data


def test_admin_panel_lists_providers_waiting(client, sign_in, catalog, make):
    catalog.provider("Waiting Ltd", verified=False)
    sign_in(make.user("admin"))
    assert b"Waiting Ltd" in client.get("/dashboard").data


def test_openapi_documents_the_catalogue(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get"} <= set(paths["/api/v1/offers"])
    assert {"get", "post"} <= set(paths["/api/v1/offers/{id}/slots"])
    assert "/api/v1/offers/{id}" in paths


def test_nav_links_to_search(client):
    assert b'href="/offers"' in client.get("/").data
