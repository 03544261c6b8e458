"""Input no database can store, and sizes no parser survives, are refused with a clear 4xx naming
the field, and nothing is written. A NUL byte only breaks PostgreSQL (it refuses it in text), so
these tests run on both databases."""

import json

import pytest
from sqlalchemy import func, select

from marketplace.catalog.models import Offer, Slot
from marketplace.core.audit import AuditEntry


def _rows(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_nul_byte_in_a_search_is_refused_naming_the_field(client):
    page = client.get("/offers?q=respite%00care")
    assert page.status_code == 422
    assert b"There is a problem" in page.data and b'href="#q"' in page.data
    assert b"Traceback" not in page.data

    api = client.get("/api/v1/offers?q=respite%00care")
    assert api.status_code == 422
    error = api.get_json()["error"]
    assert error["code"] == "validation_failed" and "q" in error["fields"]


def test_nul_byte_in_an_open_referral_id_is_refused(client):
    response = client.get("/openreferral/services/abc%00def")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"


def test_nul_byte_in_the_sign_in_email_is_refused_and_nothing_written(client, csrf, session):
    before = _rows(session, AuditEntry)
    response = client.post(
        "/sign-in", data={"email": "amy\x00@example.org", "password": "whatever-12", "csrf_token": csrf()}
    )
    assert response.status_code == 422
    assert b'href="#email"' in response.data
    assert _rows(session, AuditEntry) == before


def test_nul_byte_in_an_offer_form_writes_nothing(client, catalog, sign_in, csrf, session):
    profile = catalog.provider()
    sign_in(catalog.staff(profile))
    before = _rows(session, Offer)
    response = client.post(
        "/provider/offers/new",
        data={
            "csrf_token": csrf(),
            "title": "Night\x00 break",
            "description": "Care",
            "category": "overnight_short_break",
            "setting": "hospice_residential",
            "unit": "night",
            "price": "295",
        },
    )
    assert response.status_code == 422
    assert b'href="#title"' in response.data
    assert _rows(session, Offer) == before


def test_nul_byte_in_a_json_body_names_the_field(client, catalog, bearer, session):
    offer = catalog.offer()
    headers = bearer(catalog.staff(offer.provider))
    response = client.post(
        f"/api/v1/offers/{offer.id}/slots",
        headers=headers,
        json={"starts_at": "2027-05-03T17:00:00Z\x00", "ends_at": "2027-05-04T10:00:00Z", "capacity": 2},
    )
    assert response.status_code == 422
    assert "starts_at" in response.get_json()["error"]["fields"]
    assert _rows(session, Slot) == 0


def test_json_nested_50000_deep_is_a_clear_422(client, catalog, bearer, session):
    offer = catalog.offer()
    headers = bearer(catalog.staff(offer.provider))
    body = "[" * 50_000 + "]" * 50_000
    response = client.post(
        f"/api/v1/offers/{offer.id}/slots",
        headers={**headers, "Content-Type": "application/json"},
        data=body,
    )
    assert response.status_code == 422
    assert "nested too deeply" in response.get_json()["error"]["message"]
    # deep inside an object, below the byte-level limit's reach of plain text
    nested = json.dumps({"starts_at": "x", "extra": json.loads("[" * 40 + "]" * 40)})
    response = client.post(
        f"/api/v1/offers/{offer.id}/slots",
        headers={**headers, "Content-Type": "application/json"},
        data=nested,
    )
    assert response.status_code == 422
    assert _rows(session, Slot) == 0


@pytest.mark.parametrize("path", ["/offers", "/api/v1/offers"])
def test_search_dates_at_the_calendars_edge(client, path):
    response = client.get(f"{path}?available_from=9999-12-30&available_to=9999-12-31")
    assert response.status_code == 422
    if path.startswith("/api"):
        assert "available_to" in response.get_json()["error"]["fields"]
    else:
        assert b'href="#available_to"' in response.data
    assert client.get(f"{path}?available_to=0001-01-01").status_code == 422


def test_slot_window_at_the_calendars_edge(client, make_offer):
    offer = make_offer()
    response = client.get(f"/api/v1/offers/{offer.id}/slots?from=9999-12-31&to=9999-12-31")
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"from", "to"}


@pytest.mark.parametrize(
    "starts, ends",
    [("0001-01-01T00:00:00Z", "0001-01-01T10:00:00Z"), ("9999-12-31T17:00:00Z", "9999-12-31T23:00:00Z")],
)
def test_slots_api_refuses_years_0001_and_9999(client, catalog, bearer, session, starts, ends):
    offer = catalog.offer()
    headers = bearer(catalog.staff(offer.provider))
    response = client.post(
        f"/api/v1/offers/{offer.id}/slots",
        headers=headers,
        json={"starts_at": starts, "ends_at": ends, "capacity": 2},
    )
    assert response.status_code == 422
    assert "starts_at" in response.get_json()["error"]["fields"]
    assert _rows(session, Slot) == 0


def test_slot_forms_refuse_the_calendars_edge(client, catalog, sign_in, csrf, session):
    offer = catalog.offer()
    sign_in(catalog.staff(offer.provider))
    token = csrf()
    one = client.post(
        f"/provider/offers/{offer.id}/slots",
        data={
            "csrf_token": token,
            "day": "9999-12-31",
            "start_time": "17:00",
            "end_time": "10:00",
            "capacity": "2",
        },
    )
    assert one.status_code == 422 and b'href="#day"' in one.data
    pattern = client.post(
        f"/provider/offers/{offer.id}/slots/pattern",
        data={
            "csrf_token": token,
            "day": "0001-01-01",
            "until": "0001-01-31",
            "weekdays": "0",
            "start_time": "10:00",
            "end_time": "16:00",
            "capacity": "2",
        },
    )
    assert pattern.status_code == 422 and b'href="#p_day"' in pattern.data
    assert _rows(session, Slot) == 0


def test_offer_price_beyond_the_column_is_refused(client, catalog, sign_in, csrf, session):
    profile = catalog.provider()
    sign_in(catalog.staff(profile))
    before = _rows(session, Offer)
    response = client.post(
        "/provider/offers/new",
        data={
            "csrf_token": csrf(),
            "title": "Night break",
            "description": "Care",
            "category": "overnight_short_break",
            "setting": "hospice_residential",
            "unit": "night",
            "price": "99,999,999,999.00",
        },
    )
    assert response.status_code == 422
    assert b'href="#price"' in response.data and b"1,000,000.00" in response.data
    assert _rows(session, Offer) == before
