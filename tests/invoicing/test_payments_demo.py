"""The demo's payments, and the payment pages on the demo data for a provider and a commissioner."""

from sqlalchemy import select

from marketplace.core.demo import load_demo
from marketplace.invoicing.models import Payment
from tests.core.test_accessibility import _sign_in, problems


def test_demo_payments_part_pay_the_council_and_one_reversed_leaves_the_icb_owing(session):
    load_demo(session)
    load_demo(session)  # idempotent
    payments = session.scalars(select(Payment).order_by(Payment.id)).all()
    assert [(p.payer_org.slug, p.amount, p.reference, p.is_reversed) for p in payments] == [
        # Amy's quarter-1 ISF funding, paid in full the day it fell due (each became the receipt)
        ("brightwater-council", 455000, "BWC-SC-4471-Q1", False),
        ("nhs-brightwater-icb", 260000, "ICB-PHB-0192-Q1", False),
        ("brightwater-council", 65000, "BWC-SEN-2208-Q1", False),
        # Ben's stay: the council paid £200.00; the ICB's payment (all it owed after its £30.00
        # credit note) was recalled by its bank
        ("brightwater-council", 20000, "BWC-BACS-000417", False),
        ("nhs-brightwater-icb", 16667, "ICB-REM-2291", True),
    ]
    assert payments[-1].reversal.reason == "The ICB's bank recalled the payment"
    bens = {p.allocations[0].invoice.payer_org.slug: p.allocations[0].invoice for p in payments[-2:]}
    assert {slug: (i.status.label, i.amount_due) for slug, i in bens.items()} == {
        "brightwater-council": ("Part paid", 19333),
        "nhs-brightwater-icb": ("Issued", 16667),
    }
    amys = [p.allocations[0].invoice for p in payments[:3]]
    assert {(i.status.label, i.amount_due) for i in amys} == {("Paid", 0)}


def test_the_payment_pages_pass_the_accessibility_basics_on_the_demo(client, session):
    load_demo(session)
    *_, paid, recalled = session.scalars(select(Payment).order_by(Payment.id)).all()
    council = paid.allocations[0].invoice
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
