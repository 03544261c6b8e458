"""GET /api/v1/budgets and /api/v1/budgets/{id}: the CONTRACT.md shape, only what the caller may see."""

import pytest

from tests.factories import BEN_PO


def test_one_budget_has_streams_and_totals(client, session, world, bearer, spend):
    spend(world.social, 59000, world.hospice, post=False)
    body = client.get(f"/api/v1/budgets/{world.budget.id}", headers=bearer(world.parent)).get_json()
    assert body["id"] == str(world.budget.id) and body["child"] == "Ben" and body["family"] == "bens-family"
    assert (body["period_start"], body["period_end"], body["status"]) == (
        "2026-04-01",
        "2027-03-31",
        "active",
    )
    assert [
        {k: s[k] for k in ("stream", "funder", "allocated", "held", "spent", "available")}
        for s in body["streams"]
    ] == [
        {
            "stream": "social_care",
            "funder": "brightwater-council",
            "allocated": 300000,
            "held": 59000,
            "spent": 0,
            "available": 241000,
        },
        {
            "stream": "health",
            "funder": "nhs-brightwater-icb",
            "allocated": 150000,
            "held": 0,
            "spent": 0,
            "available": 150000,
        },
    ]
    assert (
        body["streams"][1]["po_number"] == BEN_PO["health"] and body["streams"][1]["payment_terms_days"] == 45
    )
    assert body["streams"][0]["id"] == str(world.social.id)
    assert body["totals"] == {"allocated": 450000, "held": 59000, "spent": 0, "available": 391000}
    assert body["outcomes"][0] == {
        "id": str(world.outcome.id),
        "description": "Ben sleeps over with friends",
        "time_frame": "short",
        "review_date": "2026-07-01",
        "status": "not_started",
    }


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("parent", True),
        ("council_user", True),
        ("icb_user", True),
        ("admin", True),
        ("other_parent", False),
        ("other_commissioner", False),
        ("provider", False),
    ],
)
def test_list_and_detail_only_what_the_caller_may_see(client, world, bearer, who, sees):
    headers = bearer(getattr(world, who))
    listing = client.get("/api/v1/budgets", headers=headers).get_json()
    assert [b["id"] for b in listing["items"]] == ([str(world.budget.id)] if sees else [])
    assert listing["total"] == (1 if sees else 0) and listing["page"] == 1
    one = client.get(f"/api/v1/budgets/{world.budget.id}", headers=headers)
    assert one.status_code == (200 if sees else 404)
    if not sees:
        assert one.get_json()["error"]["code"] == "not_found"


def test_signed_out_is_401(client, world):
    for url in ("/api/v1/budgets", f"/api/v1/budgets/{world.budget.id}"):
        response = client.get(url)
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorised"


def test_bad_ids_and_paging(client, world, bearer):
    headers = bearer(world.parent)
    assert client.get("/api/v1/budgets/abc", headers=headers).status_code == 404
    assert client.get("/api/v1/budgets/999999", headers=headers).status_code == 404
    bad = client.get("/api/v1/budgets?per_page=0", headers=headers)
    assert bad.status_code == 422 and "per_page" in bad.get_json()["error"]["fields"]


def test_openapi_documents_the_budget_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    one = paths["/api/v1/budgets/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    stream = one["properties"]["streams"]["items"]["properties"]
    assert stream["allocated"] == {"type": "integer", "description": "pence"}
    assert "/api/v1/budgets" in paths
