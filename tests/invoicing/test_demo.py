from sqlalchemy import func, select

from marketplace.core.demo import load_demo
from marketplace.invoicing.models import CreditNote, Invoice, InvoiceStatus


def test_demo_invoices_bens_delivered_stay_to_both_funders_once(session):
    load_demo(session)
    load_demo(session)
    invoices = session.scalars(select(Invoice).order_by(Invoice.total.desc())).all()
    assert [(i.payer_org.slug, i.total, i.status) for i in invoices] == [
        ("brightwater-council", 39333, InvoiceStatus.ISSUED),
        ("nhs-brightwater-icb", 19667, InvoiceStatus.ISSUED),
    ]
    assert {i.issuer.slug for i in invoices} == {"hilltop-hospice"}
    assert sorted(i.number for i in invoices) == ["HIL-000001", "HIL-000002"]
    assert session.scalar(select(func.count(Invoice.id))) == 2


def test_demo_credits_part_of_the_icbs_invoice_once_with_a_reason(session):
    load_demo(session)
    load_demo(session)
    [note] = session.scalars(select(CreditNote)).all()
    assert note.number == "HIL-CN-000001" and note.total == 3000
    assert note.payer_org.slug == "nhs-brightwater-icb" and note.invoice.amount_due == 19667 - 3000
    assert "hospital appointment" in note.reason and note.created_by.email == "finance@hilltop.example"
