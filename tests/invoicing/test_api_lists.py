"""GET /api/v1/invoices filtered by status, payer, PO number, budget and money still due (each,
together, refused with a 422 naming each bad field), paged; and the parties of an invoice: the
issuer and payer carry what a finance system books and pays by. In the OpenAPI document."""

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.invoicing.models import Invoice
from marketplace.invoicing.runs import run_invoices
from tests.invoicing.issued import issue, pay

ISSUED_ON = date(2026, 12, 5)


@pytest.fixture
def invoices(session, world):
    """Example B's two invoices (Ben's budget), then Hilltop's to the council under BC-1 (one
    paid) and to Ben's family."""
    booking = world.delivered(units=2)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    found = {i.payer_org_id: i for i in session.scalars(select(Invoice))}
    hilltop = world.provider_org
    return {
        "ben_council": found[world.council.id],
        "ben_icb": found[world.icb.id],
        "bc1": issue(session, hilltop, org=world.council, po="BC-1"),
        "bc1_paid": pay(session, issue(session, hilltop, org=world.council, po="BC-1"), 10_000),
        "family": issue(session, hilltop, family=world.family),
    }


def ids(client, headers, query="") -> set[str]:
    response = client.get(f"/api/v1/invoices{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return {i["id"] for i in response.get_json()["items"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?po=BC-1", {"bc1", "bc1_paid"}),
        ("?po=icb-phb-88213", {"ben_icb"}),
        ("?budget={budget}", {"ben_council", "ben_icb"}),
        ("?payer={council}", {"ben_council", "bc1", "bc1_paid"}),
        ("?payer=family:{family}", {"family"}),
        ("?status=paid", {"bc1_paid"}),
        ("?outstanding=yes", {"ben_council", "ben_icb", "bc1", "family"}),
        ("?outstanding=false", {"bc1_paid"}),
        ("?payer={council}&po=BC-1&status=issued", {"bc1"}),
        ("?budget={budget}&payer={council}", {"ben_council"}),
        ("?budget={budget}&po=BC-1", set()),
    ],
)
def test_the_filters_each_and_together(client, world, invoices, bearer, query, expected):
    values = {"budget": world.budget.id, "council": world.council.id, "family": world.family.id}
    got = ids(client, bearer(world.provider), query.format(**values))
    assert got == {str(invoices[k].id) for k in expected}


def test_a_payer_filters_only_what_is_addressed_to_it(client, world, invoices, bearer, make):
    council = bearer(world.commissioner)
    assert ids(client, council, f"?budget={world.budget.id}") == {str(invoices["ben_council"].id)}
    assert ids(client, council, "?po=ICB-PHB-88213") == set()
    assert ids(client, bearer(world.parent)) == {str(invoices["family"].id)}
    assert ids(client, bearer(make.user("commissioner")), f"?budget={world.budget.id}") == set()


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("?status=unpaid", {"status"}),
        ("?payer=council", {"payer"}),
        ("?payer=family:", {"payer"}),
        ("?budget=ben", {"budget"}),
        ("?budget=99999999999999999999", {"budget"}),
        ("?po=" + "P" * 61, {"po"}),
        ("?outstanding=perhaps", {"outstanding"}),
        ("?per_page=500&page=0", {"per_page", "page"}),
        ("?status=x&payer=y&budget=z&outstanding=w", {"status", "payer", "budget", "outstanding"}),
    ],
)
def test_bad_filters_are_a_422_naming_each_field(client, world, invoices, bearer, query, fields):
    response = client.get(f"/api/v1/invoices{query}", headers=bearer(world.provider))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and set(error["fields"]) == fields


def test_pages_of_the_filtered_list(client, world, invoices, bearer):
    headers = bearer(world.provider)
    query = f"/api/v1/invoices?payer={world.council.id}&per_page=2"
    first = client.get(query, headers=headers).get_json()
    second = client.get(query + "&page=2", headers=headers).get_json()
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (3, 1, 2, 2)
    assert len(second["items"]) == 1
    assert {i["id"] for i in first["items"] + second["items"]} == {
        str(invoices[k].id) for k in ("ben_council", "bc1", "bc1_paid")
    }


def test_the_issuer_and_payer_carry_what_finance_systems_need(client, session, world, invoices, bearer):
    hilltop, council = world.provider_org, world.council
    world.profile.charity_number, world.profile.company_number = "1101234", "04567890"
    hilltop.legal_name, hilltop.address, hilltop.postcode = (
        "Hilltop Trust",
        "Hilltop House\n12 Beacon Lane",
        "BW1 4HT",
    )
    hilltop.vat_number, hilltop.finance_email, hilltop.peppol_id = (
        None,
        "finance@hilltop.example",
        "0088:5012345000015",
    )
    hilltop.bank_account_name, hilltop.bank_sort_code, hilltop.bank_account_number = (
        "Hilltop Trust",
        "30-94-57",
        "00733445",
    )
    council.legal_name, council.address, council.postcode = (
        "Brightwater Borough Council",
        "Civic Centre",
        "BW1 1CC",
    )
    council.vat_number, council.finance_email, council.peppol_id = (
        "GB123456782",
        "ap@brightwater.example",
        None,
    )
    session.flush()
    body = client.get(
        f"/api/v1/invoices/{invoices['ben_council'].id}", headers=bearer(world.commissioner)
    ).get_json()
    assert body["issuer"] == {
        "id": str(hilltop.id),
        "kind": "organisation",
        "name": "Hilltop Children's Hospice",
        "legal_name": "Hilltop Trust",
        "address": ["Hilltop House", "12 Beacon Lane"],
        "postcode": "BW1 4HT",
        "charity_number": "1101234",
        "company_number": "04567890",
        "vat_number": None,
        "finance_email": "finance@hilltop.example",
        "peppol_id": "0088:5012345000015",
        "bank": {"account_name": "Hilltop Trust", "sort_code": "30-94-57", "account_number": "00733445"},
    }
    assert body["payer"] == {
        "id": str(council.id),
        "kind": "organisation",
        "name": "Brightwater Council",
        "legal_name": "Brightwater Borough Council",
        "address": ["Civic Centre"],
        "postcode": "BW1 1CC",
        "charity_number": None,
        "company_number": None,
        "vat_number": "GB123456782",
        "finance_email": "ap@brightwater.example",
        "peppol_id": None,
    }
    listed = client.get("/api/v1/invoices", headers=bearer(world.commissioner)).get_json()["items"]
    assert all(item["issuer"]["bank"]["sort_code"] == "30-94-57" for item in listed)


def test_a_provider_without_its_own_details_gives_its_profiles_and_no_bank(
    client, session, world, invoices, bearer
):
    world.profile.address, world.profile.postcode, world.profile.contact_email = (
        "1 Hill Road",
        "BW2 2AA",
        "hi@h.example",
    )
    session.flush()
    body = client.get(f"/api/v1/invoices/{invoices['family'].id}", headers=bearer(world.parent)).get_json()
    issuer = body["issuer"]
    assert (issuer["address"], issuer["postcode"], issuer["finance_email"]) == (
        ["1 Hill Road"],
        "BW2 2AA",
        "hi@h.example",
    )
    assert issuer["bank"] is None and issuer["legal_name"] == "Hilltop Children's Hospice"
    assert body["payer"]["kind"] == "family" and body["payer"]["id"] == str(world.family.id)
    assert body["payer"]["name"] == world.family.name and body["payer"]["address"] == []


def test_the_openapi_document_describes_the_filters_and_the_parties(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/invoices"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"status", "payer", "po", "budget", "outstanding", "page", "per_page"} <= names
    invoice = operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]["items"][
        "items"
    ]
    issuer = invoice["properties"]["issuer"]["properties"]
    assert {"legal_name", "address", "postcode", "charity_number", "vat_number", "peppol_id", "bank"} <= set(
        issuer
    )
    assert {"account_name", "sort_code", "account_number"} <= set(issuer["bank"]["properties"])
    assert "bank" not in invoice["properties"]["payer"]["properties"]
