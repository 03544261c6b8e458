"""Ids too large for the database's integer columns are "not found" / "not a valid id", never a 500
(on PostgreSQL they would overflow the column)."""

import pytest

HUGE = "99999999999"


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/bookings/{HUGE}",
        f"/api/v1/isfs/{HUGE}",
        f"/api/v1/budgets/{HUGE}",
        f"/api/v1/offers/{HUGE}",
        f"/api/v1/offers/{HUGE}/slots",
    ],
)
def test_api_urls(client, make, bearer, url):
    response = client.get(url, headers=bearer(make.user("family")))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "url",
    [
        f"/bookings/{HUGE}",
        f"/isfs/{HUGE}",
        f"/budgets/{HUGE}",
        f"/book/{HUGE}",
        f"/offers/{HUGE}",
        f"/budgets/{HUGE}/isf/new",
    ],
)
def test_pages(client, make, sign_in, url):
    sign_in(make.user("family"))
    assert client.get(url).status_code == 404


def test_query_string_and_json_ids(client, make, bearer, sign_in):
    user = make.user("family")
    sign_in(user)
    assert client.get(f"/book/1/units?budget_id={HUGE}").status_code == 404
    response = client.post(
        "/api/v1/bookings", json={"slot_id": HUGE, "budget_id": HUGE, "units": 1}, headers=bearer(user)
    )
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"slot_id", "budget_id"}
