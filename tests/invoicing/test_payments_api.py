"""The payments API: POST /api/v1/invoices/{id}/payments (CONTRACT.md), the remittance route
POST /api/v1/payments, GET /api/v1/payments[/{id}] and POST /api/v1/payments/{id}/reversal —
pence, ids as strings, the error shape, and who may do what."""

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.invoicing import operations
from marketplace.invoicing.models import Invoice, InvoiceStatus, Payment
from tests.invoicing.test_payments import council_invoice, on

FEB_10 = date(2027, 2, 10)


@pytest.fixture
def invoice(session, world):
    return council_invoice(session, world)  # HIL-000001, £393.33 to Brightwater Council (example D)


def family_invoice(session, world, family, total=5000):
    """An invoice addressed to a family (as for a direct-payment top-up), issued."""
    draft = Invoice(
        issuer_id=world.provider_org.id,
        payer_family_id=family.id,
        payment_terms_days=14,
        status=InvoiceStatus.DRAFT,
        net_total=total,
        total=total,
    )
    session.add(draft)
    session.flush()
    return operations.issue_invoice(session, draft, issue_date=date(2026, 12, 5))


def payments_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Payment.id)))


def test_example_d_through_the_api(client, session, world, invoice, bearer):
    headers = bearer(world.provider)
    url = f"/api/v1/invoices/{invoice.id}/payments"
    with on(FEB_10):
        first = client.post(
            url, json={"amount": 20000, "reference": "BWC-0203", "received_on": "2027-02-03"}, headers=headers
        )
        assert first.status_code == 201, first.get_json()
        body = first.get_json()
        assert body["id"] == str(session.scalar(select(Payment.id)))
        assert (body["status"], body["amount"], body["currency"]) == ("recorded", 20000, "GBP")
        assert (body["received_on"], body["reference"]) == ("2027-02-03", "BWC-0203")
        assert body["payer"] == {
            "id": str(world.council.id),
            "kind": "organisation",
            "name": "Brightwater Council",
        }
        assert body["provider"]["id"] == str(world.provider_org.id)
        assert body["allocations"] == [
            {"invoice": str(invoice.id), "invoice_number": "HIL-000001", "amount": 20000}
        ]
        assert body["reversal"] is None
        shown = client.get(f"/api/v1/invoices/{invoice.id}", headers=headers).get_json()
        assert (shown["status"], shown["amount_paid"], shown["amount_due"]) == ("part_paid", 20000, 19333)

        refused = client.post(
            url,
            json={"amount": 20000, "reference": "BWC-0203B", "received_on": "2027-02-03"},
            headers=headers,
        )
        assert refused.status_code == 409
        assert refused.get_json() == {
            "error": {
                "code": "more_than_due",
                "message": "£200.00 is more than the £193.33 due on HIL-000001",
                "fields": {"amount": ["More than the £193.33 due on HIL-000001"]},
            }
        }
        paid = client.post(
            url, json={"amount": 19333, "reference": "BWC-0210", "received_on": "2027-02-10"}, headers=headers
        )
        assert paid.status_code == 201
        shown = client.get(f"/api/v1/invoices/{invoice.id}", headers=headers).get_json()
    assert (shown["status"], shown["amount_paid"], shown["amount_due"]) == ("paid", 39333, 0)
    assert payments_count(session) == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reference": "R", "received_on": "2027-02-03"}, "amount"),
        ({"amount": 200.5, "reference": "R", "received_on": "2027-02-03"}, "amount"),
        ({"amount": "200", "reference": "R", "received_on": "2027-02-03"}, "amount"),
        ({"amount": 0, "reference": "R", "received_on": "2027-02-03"}, "amount"),
        ({"amount": 100, "reference": "", "received_on": "2027-02-03"}, "reference"),
        ({"amount": 100, "reference": "R", "received_on": "03/02/2027"}, "received_on"),
        ({"amount": 100, "reference": "R", "received_on": "2027-02-11"}, "received_on"),  # tomorrow
        ({"amount": 100, "reference": "R", "received_on": "2026-12-04"}, "received_on"),  # before issue
    ],
)
def test_bad_input_is_a_422_naming_the_field(client, session, world, invoice, bearer, body, field):
    with on(FEB_10):
        response = client.post(
            f"/api/v1/invoices/{invoice.id}/payments", json=body, headers=bearer(world.provider)
        )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert payments_count(session) == 0


def test_a_retried_request_records_the_payment_once(client, session, world, invoice, bearer):
    headers, url = bearer(world.provider), f"/api/v1/invoices/{invoice.id}/payments"
    body = {"amount": 20000, "reference": "BWC-0203", "received_on": "2027-02-03"}
    with on(FEB_10):
        first = client.post(url, json=body, headers=headers)
        again = client.post(url, json=body, headers=headers)
        other = client.post(url, json={**body, "amount": 100}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "reference_used"
    assert other.get_json()["error"]["fields"] == {
        "reference": ["Already used for a different payment from this payer"]
    }
    assert payments_count(session) == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("payer", 403),  # the council sees its invoice but never marks it paid
        ("admin", 403),  # reads everything, records nothing
        ("family", 404),
        ("icb", 404),
        ("other_provider", 404),
        ("anonymous", 401),
    ],
)
def test_only_the_issuing_provider_records_a_payment(
    client, session, world, invoice, bearer, make, who, status
):
    users = {
        "payer": lambda: world.commissioner,
        "admin": lambda: make.user("admin"),
        "family": lambda: world.parent,
        "icb": lambda: make.user("commissioner", org=world.icb),
        "other_provider": lambda: make.user("provider"),
    }
    headers = bearer(users[who]()) if who != "anonymous" else {}
    body = {"amount": 100, "reference": "R", "received_on": "2027-02-03"}
    with on(FEB_10):
        response = client.post(f"/api/v1/invoices/{invoice.id}/payments", json=body, headers=headers)
    assert response.status_code == status
    assert payments_count(session) == 0


# ---- the remittance route -------------------------------------------------------------------


def test_a_remittance_oldest_first_and_as_chosen(client, session, world, bearer):
    old = council_invoice(session, world, units=1, days_ahead=10, issue_date=date(2026, 12, 1))
    new = council_invoice(session, world, units=1, days_ahead=11, issue_date=date(2026, 12, 8))
    headers = bearer(world.provider)
    payer = {"kind": "organisation", "id": str(world.council.id)}
    with on(FEB_10):
        oldest = client.post(
            "/api/v1/payments",
            json={"payer": payer, "amount": 25000, "reference": "REM-1", "received_on": "2027-02-01"},
            headers=headers,
        )
        assert oldest.status_code == 201, oldest.get_json()
        assert [(a["invoice"], a["amount"]) for a in oldest.get_json()["allocations"]] == [
            (str(old.id), 19667),
            (str(new.id), 5333),
        ]
        chosen = client.post(
            "/api/v1/payments",
            json={
                "payer": payer,
                "amount": 14334,
                "reference": "REM-2",
                "received_on": "2027-02-02",
                "allocations": [{"invoice": str(new.id), "amount": 14334}],
            },
            headers=headers,
        )
    assert chosen.status_code == 201
    session.expire_all()
    assert [(i.status, i.amount_due) for i in (old, new)] == [
        (InvoiceStatus.PAID, 0),
        (InvoiceStatus.PAID, 0),
    ]


def test_a_remittance_names_what_is_wrong(client, session, world, invoice, bearer, make):
    headers = bearer(world.provider)
    council = {"kind": "organisation", "id": str(world.council.id)}
    base = {"amount": 100, "reference": "REM-1", "received_on": "2027-02-01"}
    elsewhere = make.org("commissioner")
    theirs = make.user("provider")
    with on(FEB_10):
        cases = {
            "payer": {**base, "payer": {"kind": "organisation", "id": str(elsewhere.id)}},
            "payer.kind": {**base, "payer": {"kind": "charity", "id": "1"}},
            "allocations.0.invoice": {
                **base,
                "payer": council,
                "allocations": [{"invoice": "999999", "amount": 100}],
            },
            "allocations": {**base, "payer": council, "allocations": []},
        }
        for field, body in cases.items():
            response = client.post("/api/v1/payments", json=body, headers=headers)
            assert response.status_code == 422, (field, response.get_json())
            assert field in response.get_json()["error"]["fields"], (field, response.get_json())
        too_much = client.post(
            "/api/v1/payments", json={**base, "payer": council, "amount": 40000}, headers=headers
        )
        assert too_much.status_code == 409
        assert too_much.get_json()["error"]["message"] == "£400.00 is more than the £393.33 due on HIL-000001"
        # another provider cannot pay Hilltop's invoice, nor name Hilltop's payer to probe it
        other = client.post(
            "/api/v1/payments",
            json={**base, "payer": council, "allocations": [{"invoice": str(invoice.id), "amount": 100}]},
            headers=bearer(theirs),
        )
        assert other.status_code == 422 and "payer" in other.get_json()["error"]["fields"]
        for user in (world.parent, make.user("admin")):
            assert client.post("/api/v1/payments", json={}, headers=bearer(user)).status_code == 403
        # a payer's staff may record a payment it made (tests/invoicing/test_payer_api.py)
        assert client.post("/api/v1/payments", json={}, headers=bearer(world.commissioner)).status_code == 422
    assert payments_count(session) == 0


def test_a_family_name_is_never_revealed_to_a_provider_that_did_not_invoice_it(client, world, bearer, make):
    family = make.family()
    body = {
        "payer": {"kind": "family", "id": str(family.id)},
        "amount": 1,
        "reference": "R",
        "received_on": "2026-11-01",
    }
    response = client.post("/api/v1/payments", json=body, headers=bearer(world.provider))
    assert response.status_code == 422
    assert family.name not in response.get_data(as_text=True)


# ---- reading and reversing ------------------------------------------------------------------


def _paid(client, world, invoice, bearer, reference="BWC-0203", amount=20000):
    with on(FEB_10):
        response = client.post(
            f"/api/v1/invoices/{invoice.id}/payments",
            json={"amount": amount, "reference": reference, "received_on": "2027-02-03"},
            headers=bearer(world.provider),
        )
    assert response.status_code == 201
    return response.get_json()["id"]


def test_each_party_sees_its_own_payments_and_the_payer_only_reads(
    client, session, world, invoice, bearer, make
):
    payment_id = _paid(client, world, invoice, bearer)
    family_bill = family_invoice(session, world, world.family)
    with on(FEB_10):
        family_payment = client.post(
            f"/api/v1/invoices/{family_bill.id}/payments",
            json={"amount": 1000, "reference": "CARD-1", "received_on": "2027-02-01"},
            headers=bearer(world.provider),
        ).get_json()["id"]

    def ids(user, query=""):
        response = client.get(f"/api/v1/payments{query}", headers=bearer(user))
        assert response.status_code == 200
        return [p["id"] for p in response.get_json()["items"]]

    assert ids(world.provider) == [family_payment, payment_id]  # newest first
    assert ids(world.provider, f"?invoice={invoice.id}") == [payment_id]
    assert ids(world.commissioner) == [payment_id]
    assert ids(world.parent) == [family_payment]
    assert ids(make.user("commissioner", org=world.icb)) == []
    assert ids(make.user("provider")) == []
    assert len(ids(make.user("admin"))) == 2
    for user, status in [
        (world.commissioner, 200),
        (world.parent, 404),
        (make.user("commissioner", org=world.icb), 404),
        (make.user("provider"), 404),
    ]:
        assert client.get(f"/api/v1/payments/{payment_id}", headers=bearer(user)).status_code == status
    assert client.get(f"/api/v1/payments/{family_payment}", headers=bearer(world.parent)).status_code == 200
    bad = client.get("/api/v1/payments?invoice=HIL-1", headers=bearer(world.provider))
    assert bad.status_code == 422 and "invoice" in bad.get_json()["error"]["fields"]
    # the family's payer never records its own payment either
    assert (
        client.post(
            f"/api/v1/invoices/{family_bill.id}/payments", json={}, headers=bearer(world.parent)
        ).status_code
        == 403
    )


def test_reversing_a_payment_through_the_api(client, session, world, invoice, bearer, make):
    payment_id = _paid(client, world, invoice, bearer)
    url = f"/api/v1/payments/{payment_id}/reversal"
    assert client.post(url, json={"reason": "Bounced"}, headers=bearer(world.commissioner)).status_code == 403
    assert client.post(url, json={"reason": "Bounced"}, headers=bearer(make.user("admin"))).status_code == 403
    assert (
        client.post(url, json={"reason": "Bounced"}, headers=bearer(make.user("provider"))).status_code == 404
    )
    missing = client.post(url, json={"reason": ""}, headers=bearer(world.provider))
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    headers = bearer(world.provider)
    reversed_ = client.post(url, json={"reason": "The council's bank recalled it"}, headers=headers)
    assert reversed_.status_code == 201
    body = reversed_.get_json()
    assert body["status"] == "reversed"
    assert body["reversal"]["reason"] == "The council's bank recalled it"
    assert body["reversal"]["reversed_by"] == world.provider.name
    twice = client.post(url, json={"reason": "Again"}, headers=headers)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_reversed"
    shown = client.get(f"/api/v1/invoices/{invoice.id}", headers=headers).get_json()
    assert (shown["status"], shown["amount_paid"], shown["amount_due"]) == ("issued", 0, 39333)


def test_the_openapi_document_describes_the_payment_routes(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    def methods(path):
        return set(paths[path]) - {"parameters"}

    assert methods("/api/v1/invoices/{id}/payments") == {"post"}
    assert methods("/api/v1/payments") == {"get", "post"}
    assert methods("/api/v1/payments/{id}") == {"get"}
    assert methods("/api/v1/payments/{id}/reversal") == {"post"}
    post = paths["/api/v1/invoices/{id}/payments"]["post"]
    assert {"201", "409", "422", "403", "404"} <= set(post["responses"])
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"amount", "reference", "received_on"}
