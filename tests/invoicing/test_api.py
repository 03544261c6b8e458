"""GET /api/v1/invoices and /api/v1/invoices/{id}: the contract's fields, and who may see what."""

from datetime import date

import pytest
from sqlalchemy import select

from marketplace.invoicing import operations
from marketplace.invoicing.models import BillableItem, Invoice
from marketplace.invoicing.runs import run_invoices

ISSUED_ON = date(2026, 12, 5)


@pytest.fixture
def invoiced(session, world):
    booking = world.delivered(units=2)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    by_payer = {i.payer_org_id: i for i in session.scalars(select(Invoice))}
    return by_payer[world.council.id], by_payer[world.icb.id]


def test_an_invoice_has_the_contracts_fields(client, world, invoiced, bearer):
    council, _ = invoiced
    body = client.get(f"/api/v1/invoices/{council.id}", headers=bearer(world.provider)).get_json()
    assert body["id"] == str(council.id)
    assert body["number"] == council.number and body["status"] == "issued"
    assert body["status_label"] == "Issued"
    assert {k: body["payer"][k] for k in ("id", "kind", "name")} == {  # more follow: test_api_parties.py
        "id": str(world.council.id),
        "kind": "organisation",
        "name": "Brightwater Council",
    }
    assert body["issuer"]["id"] == str(world.provider_org.id)
    assert body["po_number"] == "BC-SB-2026-0142"
    assert (body["issue_date"], body["due_date"]) == ("2026-12-05", "2027-01-04")
    assert (body["total"], body["amount_paid"], body["amount_due"]) == (39333, 0, 39333)
    [line] = body["lines"]
    assert line["amount"] == 39333 and line["vat_category"] == "E" and line["unit"] == "night"
    assert line["child_reference"].startswith("B-") and "Ben" not in str(body)


def test_each_party_sees_its_own_invoices(client, session, world, invoiced, bearer, make):
    council, icb = invoiced
    listed = client.get("/api/v1/invoices", headers=bearer(world.provider)).get_json()
    assert listed["total"] == 2 and {i["id"] for i in listed["items"]} == {str(council.id), str(icb.id)}
    mine = client.get("/api/v1/invoices", headers=bearer(world.commissioner)).get_json()
    assert [i["id"] for i in mine["items"]] == [str(council.id)]  # the council's, not the ICB's
    icb_user = make.user("commissioner", org=world.icb)
    assert client.get(f"/api/v1/invoices/{icb.id}", headers=bearer(icb_user)).status_code == 200
    admin = make.user("admin")
    assert client.get("/api/v1/invoices", headers=bearer(admin)).get_json()["total"] == 2


@pytest.mark.parametrize("who", ["family", "other_provider", "other_commissioner", "icb_for_council"])
def test_others_get_404_and_an_empty_list(client, session, world, invoiced, bearer, make, who):
    council, _ = invoiced
    user = {
        "family": lambda: world.parent,  # the family is not the payer of a managed budget's care
        "other_provider": lambda: make.user("provider"),
        "other_commissioner": lambda: make.user("commissioner"),
        "icb_for_council": lambda: make.user("commissioner", org=world.icb),
    }[who]()
    headers = bearer(user)
    assert client.get(f"/api/v1/invoices/{council.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/invoices", headers=headers).get_json()
    assert str(council.id) not in {i["id"] for i in listed["items"]}


def test_signed_out_is_401(client, invoiced):
    council, _ = invoiced
    assert client.get(f"/api/v1/invoices/{council.id}").status_code == 401
    assert client.get("/api/v1/invoices").status_code == 401


def test_a_draft_is_seen_by_its_issuer_only(client, session, world, bearer):
    booking = world.delivered(units=1)
    operations.record_billable_items(session, world.service_date(booking))
    item = session.scalars(select(BillableItem).where(BillableItem.payer_org_id == world.council.id)).one()
    draft = operations.draft_invoice(session, [item])
    assert (
        client.get(f"/api/v1/invoices/{draft.id}", headers=bearer(world.provider)).get_json()["number"]
        is None
    )
    assert client.get(f"/api/v1/invoices/{draft.id}", headers=bearer(world.commissioner)).status_code == 404


def test_filters_by_status_and_payer(client, world, invoiced, bearer):
    headers = bearer(world.provider)
    council, _ = invoiced
    by_payer = client.get(f"/api/v1/invoices?payer={world.council.id}", headers=headers).get_json()
    assert [i["id"] for i in by_payer["items"]] == [str(council.id)]
    assert client.get("/api/v1/invoices?status=draft", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/invoices?status=issued", headers=headers).get_json()["total"] == 2
    bad = client.get("/api/v1/invoices?status=unpaid&payer=x", headers=headers)
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"status", "payer"}
