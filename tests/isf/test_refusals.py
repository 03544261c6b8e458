"""Issue #12 (ISF parts): contingency asked for beyond what it holds, receipts dated at the
calendar's edges, statements over years 1 to 9999 — each a clear 4xx naming the field, with
nothing written, never a 500."""

from sqlalchemy import func, select

from marketplace.isf.models import ContingencyRelease, Isf, IsfReceipt
from tests.isf import test_routes
from tests.isf.test_routes import signed_in_client
from tests.isf.test_setup_pages import FORM, _budget_awaiting_isf

amy = test_routes.amy  # the fixture: example A paid, drawn to 29 April, one release asked for


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_a_release_larger_than_the_contingency_is_refused_when_asked(app, client, bearer, amy, session):
    before = count(session, ContingencyRelease)
    response = client.post(
        f"/api/v1/isfs/{amy.isf.id}/releases",
        json={"amount": 39_001, "reason": "More than there is"},
        headers=bearer(amy.users["holder"]),
    )
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "insufficient_contingency" and "£390.00" in error["message"]
    assert "£390.00" in error["fields"]["amount"][0]
    page_client, token = signed_in_client(app, amy.users["holder"])
    page = page_client.post(
        f"/isfs/{amy.isf.id}/releases", data={"csrf_token": token, "amount": "390.01", "reason": "More"}
    )
    assert page.status_code == 409
    assert b"govuk-error-summary" in page.data and "Enter at most £390.00".encode() in page.data
    assert count(session, ContingencyRelease) == before
    assert amy.contingency() == 39_000


def test_a_release_of_the_whole_contingency_may_be_asked_for(client, bearer, amy):
    response = client.post(
        f"/api/v1/isfs/{amy.isf.id}/releases",
        json={"amount": 39_000, "reason": "All of it"},
        headers=bearer(amy.users["holder"]),
    )
    assert response.status_code == 201


def test_receipts_dated_far_from_the_isf_are_refused(app, client, bearer, amy, session):
    """The window: a year either side of the ISF's period (6 April 2026 – 31 March 2027)."""
    before, available = count(session, IsfReceipt), amy.available()
    headers = bearer(amy.users["holder"])
    for day in ("0001-01-01", "9999-12-31", "2025-04-04", "2028-04-01"):
        response = client.post(
            f"/api/v1/isfs/{amy.isf.id}/receipts",
            json={"stream_id": str(amy.social.id), "amount": 100, "received_on": day, "reference": day},
            headers=headers,
        )
        assert response.status_code == 422, day
        assert "5 April 2025 and 31 March 2028" in response.json["error"]["fields"]["received_on"][0]
    page_client, token = signed_in_client(app, amy.users["holder"])
    page = page_client.post(
        f"/isfs/{amy.isf.id}/receipts",
        data={
            "csrf_token": token,
            "stream_id": str(amy.social.id),
            "amount": "1.00",
            "received_on": "04/04/2025",  # typed as people write dates
            "reference": "Y1",
        },
    )
    assert page.status_code == 422 and b"govuk-error-summary" in page.data
    assert b"5 April 2025" in page.data
    assert count(session, IsfReceipt) == before and amy.available() == available
    edge = client.post(
        f"/api/v1/isfs/{amy.isf.id}/receipts",
        json={"stream_id": str(amy.social.id), "amount": 100, "received_on": "2025-04-05", "reference": "E"},
        headers=headers,
    )
    assert edge.status_code == 201


EDGES = ["from=0001-01-01&to=9999-12-31", "from=0001-01-01&to=0001-01-31", "from=9999-12-01&to=9999-12-31"]


def test_statements_at_the_calendars_edges_are_a_clear_422(app, client, bearer, amy):
    headers = bearer(amy.users["funder"])
    for query in EDGES:
        response = client.get(f"/api/v1/isfs/{amy.isf.id}/statement?{query}", headers=headers)
        assert response.status_code == 422, query
        fields = response.json["error"]["fields"]
        assert set(fields) <= {"from", "to"} and "1 January 2000" in next(iter(fields.values()))[0]
    page_client, _ = signed_in_client(app, amy.users["funder"])
    for path in ("statement", "statement.csv", "statement.pdf", "review", "review.pdf"):
        response = page_client.get(f"/isfs/{amy.isf.id}/{path}?{EDGES[0]}")
        assert response.status_code == 422, path
    ok = client.get(f"/api/v1/isfs/{amy.isf.id}/statement?from=2000-01-01&to=2099-12-31", headers=headers)
    assert ok.status_code == 200 and ok.json["closing"]["contingency"] == 39_000


def test_an_isf_starting_in_year_one_is_refused_naming_the_field(client, session, make, sign_in, csrf):
    budget, council, _, _ = _budget_awaiting_isf(session, make)
    sign_in(make.user("commissioner", org=council))
    for field, value in (("start_date", "0001-01-01"), ("end_date", "9999-12-31")):
        page = client.post(f"/budgets/{budget.id}/isf/new", data={**FORM, field: value, "csrf_token": csrf()})
        assert page.status_code == 422 and f'href="#{field}"'.encode() in page.data, field
        assert b"1 January 2000" in page.data
    assert session.scalar(select(func.count(Isf.id))) == 0


def test_setting_up_a_second_isf_for_a_budget_is_a_clear_409(client, session, make, sign_in, csrf):
    budget, council, _, _ = _budget_awaiting_isf(session, make)
    sign_in(make.user("commissioner", org=council))
    assert (
        client.post(f"/budgets/{budget.id}/isf/new", data={**FORM, "csrf_token": csrf()}).status_code == 302
    )
    again = client.post(f"/budgets/{budget.id}/isf/new", data={**FORM, "csrf_token": csrf()})
    assert again.status_code == 409 and b"This budget already has an ISF" in again.data
    assert session.scalar(select(func.count(Isf.id))) == 1
