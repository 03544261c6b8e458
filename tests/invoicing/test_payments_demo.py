"""The demo's payments, and the payment pages on the demo data for a provider and a commissioner."""

from sqlalchemy import select

from marketplace.core.demo import load_demo
from marketplace.invoicing.models import Invoice, Payment
from tests.core.test_accessibility import _sign_in, problems


def test_demo_payments_part_pay_the_council_and_one_reversed_leaves_the_icb_owing(session):
    load_demo(session)
    load_demo(session)  # idempotent
    payments = session.scalars(select(Payment).order_by(Payment.id)).all()
    assert [(p.payer_org.slug, p.amount, p.reference, p.is_reversed) for p in payments] == [
        ("brightwater-council", 20000, "BWC-BACS-000417", False),
        ("nhs-brightwater-icb", 19667, "ICB-REM-2291", True),
    ]
    assert payments[1].reversal.reason == "The ICB's bank recalled the payment"
    due = {i.payer_org.slug: (i.status.label, i.amount_due) for i in session.scalars(select(Invoice))}
    assert due == {"brightwater-council": ("Part paid", 19333), "nhs-brightwater-icb": ("Issued", 19667)}


def test_the_payment_pages_pass_the_accessibility_basics_on_the_demo(client, session):
    load_demo(session)
    paid, recalled = session.scalars(select(Payment).order_by(Payment.id)).all()
    council = session.scalar(select(Invoice).where(Invoice.payer_org_id == paid.payer_org_id))
    pages = {
        "finance@hilltop.example": [
            "/payments",
            "/payments/new",
            f"/payments/new?payer=org:{paid.payer_org_id}",
            f"/payments/new?payer=org:{paid.payer_org_id}&invoice={council.id}",
            f"/payments/{paid.id}",
            f"/payments/{recalled.id}",
            f"/invoices/{council.id}",
        ],
        "sen-team@brightwater.example": ["/payments", f"/payments/{paid.id}", f"/invoices/{council.id}"],
    }
    found = {}
    for email, urls in pages.items():
        _sign_in(client, email)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (email, url)
            html = response.get_data(as_text=True)
            assert "20000" not in html and str(paid.received_on) not in html  # £ and UK dates only
            if trouble := problems(html):
                found[url] = trouble
    assert found == {}
