"""POST /api/v1/payments for a paying organisation's finance system: the council's staff record a
remittance it sent to Hilltop (`provider`), for its own invoices only; the provider sees it; a
provider naming another provider, a family, or a payer naming another payer are refused."""

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.invoicing.models import Invoice, InvoiceStatus, Payment
from tests.invoicing.test_payments import council_invoice, on

FEB_10 = date(2027, 2, 10)


def payments_count(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count(Payment.id)))


@pytest.fixture
def invoices(session, world):
    old = council_invoice(session, world, units=1, days_ahead=10, issue_date=date(2026, 12, 1))
    new = council_invoice(session, world, units=1, days_ahead=11, issue_date=date(2026, 12, 8))
    return old, new


def body(world, **more):
    return {
        "payer": {"kind": "organisation", "id": str(world.council.id)},
        "provider": str(world.provider_org.id),
        "amount": 25000,
        "reference": "BWC-REM-1",
        "received_on": "2027-02-01",
    } | more


def test_the_council_records_a_remittance_it_sent_oldest_first(client, session, world, invoices, bearer):
    old, new = invoices
    with on(FEB_10):
        response = client.post("/api/v1/payments", json=body(world), headers=bearer(world.commissioner))
        assert response.status_code == 201, response.get_json()
        payment = response.get_json()
        assert [(a["invoice"], a["amount"]) for a in payment["allocations"]] == [
            (str(old.id), 19667),
            (str(new.id), 5333),
        ]
        assert payment["provider"]["id"] == str(world.provider_org.id)
        assert payment["payer"]["id"] == str(world.council.id)
        again = client.post("/api/v1/payments", json=body(world), headers=bearer(world.commissioner))
        seen = client.get("/api/v1/payments", headers=bearer(world.provider)).get_json()
    assert again.status_code == 201 and again.get_json()["id"] == payment["id"]  # sent twice, recorded once
    assert [p["reference"] for p in seen["items"]] == ["BWC-REM-1"]
    assert session.get(Payment, int(payment["id"])).recorded_by_id == world.commissioner.id
    session.expire_all()
    assert [(i.status, i.amount_due) for i in (old, new)] == [
        (InvoiceStatus.PAID, 0),
        (InvoiceStatus.PART_PAID, 14334),
    ]


def test_a_payer_may_pay_only_its_own_invoices(client, session, world, invoices, bearer, make):
    icb_invoice = session.scalar(select(Invoice).where(Invoice.payer_org_id == world.icb.id).limit(1))
    stranger = make.org("provider", name="Faraway Hospice")
    headers = bearer(world.commissioner)
    cases = {
        "payer": body(world, payer={"kind": "organisation", "id": str(world.icb.id)}),
        "provider": body(world, provider=str(stranger.id)),
        "allocations.0.invoice": body(
            world, amount=100, allocations=[{"invoice": str(icb_invoice.id), "amount": 100}]
        ),
    }
    with on(FEB_10):
        for field, sent in cases.items():
            response = client.post("/api/v1/payments", json=sent, headers=headers)
            assert response.status_code == 422, (field, response.get_json())
            assert list(response.get_json()["error"]["fields"]) == [field]
        missing = {k: v for k, v in body(world).items() if k != "provider"}
        response = client.post("/api/v1/payments", json=missing, headers=headers)
        assert response.status_code == 422 and "provider" in response.get_json()["error"]["fields"]
        assert "Faraway" not in response.get_data(as_text=True)
        too_much = client.post("/api/v1/payments", json=body(world, amount=60000), headers=headers)
        assert too_much.status_code == 409 and too_much.get_json()["error"]["code"] == "more_than_due"
        # a family's staff never record as a payer, and a provider names no other provider
        assert (
            client.post("/api/v1/payments", json=body(world), headers=bearer(world.parent)).status_code == 403
        )
        other = client.post(
            "/api/v1/payments", json=body(world, provider=str(stranger.id)), headers=bearer(world.provider)
        )
        assert other.status_code == 422 and "provider" in other.get_json()["error"]["fields"]
    assert payments_count(session) == 0
