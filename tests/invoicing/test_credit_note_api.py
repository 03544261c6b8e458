"""The credit notes API: POST /api/v1/invoices/{id}/credit-notes for the issuer (201; 409/422 in
the contract's error shape, nothing written), GET /api/v1/credit-notes[?invoice=] and /{id} for
whoever may see the invoice, 404 for everyone else."""

import pytest
from sqlalchemy import func, select

from marketplace.budgets.balances import stream_balance
from marketplace.invoicing.credit_notes import issue_credit_note
from marketplace.invoicing.models import CreditNote, Invoice
from marketplace.invoicing.runs import run_invoices


@pytest.fixture
def invoiced(session, world):
    """The council's invoice (two lines: £196.67 and £393.33) and the ICB's."""
    world.delivered(units=1, days_ahead=10)
    booking = world.delivered(units=2, days_ahead=13)
    run_invoices(session, world.service_date(booking))
    by_payer = {i.payer_org_id: i for i in session.scalars(select(Invoice))}
    return by_payer[world.council.id], by_payer[world.icb.id]


def post(client, invoice, body, headers):
    return client.post(f"/api/v1/invoices/{invoice.id}/credit-notes", json=body, headers=headers)


def count(session):
    return session.scalar(select(func.count(CreditNote.id)))


def test_the_issuer_posts_a_credit_note_and_gets_it_back(client, session, world, invoiced, bearer):
    council, _ = invoiced
    stream = next(s for s in world.budget.streams if s.funder_id == world.council.id)
    before = stream_balance(session, stream).available
    body = {"reason": "Second night not delivered", "lines": [{"line": 2, "amount": 19666}, {"line": 1}]}
    response = post(client, council, body, bearer(world.provider))
    assert response.status_code == 201, response.get_json()
    note = response.get_json()
    assert note["number"] == "HIL-CN-000001" and isinstance(note["id"], str)
    assert note["invoice"] == {
        "id": str(council.id),
        "number": council.number,
        "issue_date": council.issue_date.isoformat(),
    }
    assert note["payer"] == {
        "id": str(world.council.id),
        "kind": "organisation",
        "name": "Brightwater Council",
    }
    assert note["issuer"]["id"] == str(world.provider_org.id)
    assert (note["net_total"], note["vat_total"], note["total"], note["currency"]) == (39333, 0, 39333, "GBP")
    assert note["reason"] == "Second night not delivered"
    assert [(line["position"], line["invoice_line"], line["amount"]) for line in note["lines"]] == [
        (1, 1, 19667),
        (2, 2, 19666),
    ]
    assert note["lines"][0]["vat_category"] == "E" and note["lines"][0]["unit_price"] == 29500
    assert note["links"] == {
        "pdf": f"/api/v1/credit-notes/{note['id']}.pdf",
        "csv": f"/api/v1/credit-notes/{note['id']}.csv",
        "xml": f"/api/v1/credit-notes/{note['id']}.xml",
    }
    session.expire_all()
    assert stream_balance(session, stream).available - before == 39333
    assert session.get(Invoice, council.id).amount_due == 59000 - 39333
    fetched = client.get(f"/api/v1/invoices/{council.id}", headers=bearer(world.provider)).get_json()
    assert (fetched["amount_credited"], fetched["amount_due"]) == (39333, 19667)


def test_an_amount_is_spread_and_more_than_is_due_is_a_409(client, session, world, invoiced, bearer):
    council, _ = invoiced
    headers = bearer(world.provider)
    first = post(client, council, {"reason": "Partly not delivered", "amount": 20000}, headers).get_json()
    assert [(line["invoice_line"], line["amount"]) for line in first["lines"]] == [(1, 19667), (2, 333)]
    refused = post(client, council, {"reason": "Again", "amount": 39001}, headers)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "more_than_creditable"
    assert "Invoice HIL-000001 has £390.00 creditable" in error["message"]
    assert error["fields"] == {"amount": ["At most £390.00 can be credited"]}
    line = post(client, council, {"reason": "Again", "lines": [{"line": 1}]}, headers)
    assert line.status_code == 409 and line.get_json()["error"]["fields"] == {
        "lines.0.amount": ["Line 1 of invoice HIL-000001 has £0.00 left to credit"]
    }
    assert count(session) == 1


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"amount": 100}, {"reason"}),
        ({"reason": "x"}, {"lines"}),
        ({"reason": "x", "amount": 100, "lines": [{"line": 1}]}, {"amount"}),
        ({"reason": "x", "amount": "1.00"}, {"amount"}),
        ({"reason": "x", "amount": 0}, {"amount"}),
        ({"reason": "x", "lines": []}, {"lines"}),
        ({"reason": "x", "lines": [{"line": 3}]}, {"lines.0.line"}),
        ({"reason": "x", "lines": [{"line": 1, "amount": -1}]}, {"lines.0.amount"}),
        ({"reason": "   ", "amount": 100}, {"reason"}),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, session, world, invoiced, bearer, body, fields):
    council, _ = invoiced
    response = post(client, council, body, bearer(world.provider))
    assert response.status_code == 422, response.get_json()
    assert set(response.get_json()["error"]["fields"]) == fields
    assert count(session) == 0


def test_the_payer_and_an_admin_may_not_issue(client, session, world, invoiced, bearer, make):
    council, _ = invoiced
    body = {"reason": "x", "amount": 100}
    assert post(client, council, body, bearer(world.commissioner)).status_code == 403
    assert post(client, council, body, bearer(make.user("admin"))).status_code == 403
    assert post(client, council, body, bearer(make.user("provider"))).status_code == 404
    assert post(client, council, body, {}).status_code == 401
    assert count(session) == 0


def test_listing_by_invoice_and_who_sees_what(client, session, world, invoiced, bearer, make):
    council, icb = invoiced
    mine = issue_credit_note(session, council, reason="Not delivered", amount=100, actor=world.provider)
    theirs = issue_credit_note(session, icb, reason="Not delivered", amount=200, actor=world.provider)
    provider = client.get("/api/v1/credit-notes", headers=bearer(world.provider)).get_json()
    assert [n["id"] for n in provider["items"]] == [str(theirs.id), str(mine.id)] and provider["total"] == 2
    by_invoice = client.get(
        f"/api/v1/credit-notes?invoice={icb.id}", headers=bearer(world.provider)
    ).get_json()
    assert [n["number"] for n in by_invoice["items"]] == [theirs.number]
    council_view = client.get("/api/v1/credit-notes", headers=bearer(world.commissioner)).get_json()
    assert [n["id"] for n in council_view["items"]] == [str(mine.id)]
    assert (
        client.get(f"/api/v1/credit-notes/{mine.id}", headers=bearer(world.commissioner)).status_code == 200
    )
    assert (
        client.get(f"/api/v1/credit-notes/{theirs.id}", headers=bearer(world.commissioner)).status_code == 404
    )
    for user in (make.user("provider"), make.user("commissioner"), world.parent):
        headers = bearer(user)
        assert client.get(f"/api/v1/credit-notes/{mine.id}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/credit-notes/{mine.id}.csv", headers=headers).status_code == 404
        assert client.get("/api/v1/credit-notes", headers=headers).get_json()["total"] == 0
    assert client.get("/api/v1/credit-notes", headers=bearer(make.user("admin"))).get_json()["total"] == 2
    bad = client.get("/api/v1/credit-notes?invoice=abc", headers=bearer(world.provider))
    assert bad.status_code == 422 and set(bad.get_json()["error"]["fields"]) == {"invoice"}
    assert client.get("/api/v1/credit-notes").status_code == 401


def test_the_openapi_document_has_the_credit_note_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/credit-notes", "/api/v1/credit-notes/{id}", "/api/v1/invoices/{id}/credit-notes"} <= set(
        paths
    )
    post_op = paths["/api/v1/invoices/{id}/credit-notes"]["post"]
    assert "201" in post_op["responses"] and "409" in post_op["responses"]
