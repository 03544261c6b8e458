"""Public pages, dashboard panels and the OpenAPI document."""


def test_offer_page_shows_places_left(client, make_offer, make_slot):
    offer = make_offer(emergency_reserve=1)
    make_slot(offer, capacity=4, booked=1)
    page = client.get(f"/offers/{offer.id}")
    assert page.status_code == 200
    assert b"\xc2\xa3295.00" in page.data and b"per night" in page.data
    assert b">2</td>" in page.data  # 4 places, 1 booked, 1 held back for emergencies


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
