from sqlalchemy import func, select

from marketplace.core.demo import load_demo
from marketplace.invoicing.models import Invoice, InvoiceStatus


def test_demo_invoices_bens_delivered_stay_to_both_funders_once(session):
    load_demo(session)
    load_demo(session)
    invoices = session.scalars(select(Invoice).order_by(Invoice.total.desc())).all()
    assert [(i.payer_org.slug, i.total, i.status) for i in invoices] == [
        ("brightwater-council", 39333, InvoiceStatus.PART_PAID),  # £200.00 paid (payment_demo.py)
        ("nhs-brightwater-icb", 19667, InvoiceStatus.ISSUED),
    ]
    assert {i.issuer.slug for i in invoices} == {"hilltop-hospice"}
    assert sorted(i.number for i in invoices) == ["HIL-000001", "HIL-000002"]
    assert session.scalar(select(func.count(Invoice.id))) == 2
