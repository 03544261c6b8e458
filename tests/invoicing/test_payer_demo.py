"""The demo has an overdue invoice to Brightwater Council (Ben's stay, billed the day after it was
delivered on 30-day terms and part paid), so the council's "Invoices to pay" has an overdue
group, and Hilltop's chasing view and claim PDF show it; the payer's pages pass the basics."""

import html as markup
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.models import Organisation
from marketplace.core.clock import today
from marketplace.core.demo import load_demo
from marketplace.invoicing.models import Invoice, InvoiceStatus
from tests.core.test_accessibility import _sign_in, problems


def overdue_to_the_council(session) -> list[Invoice]:
    council = session.scalar(select(Organisation).where(Organisation.slug == "brightwater-council"))
    return session.scalars(
        select(Invoice)
        .where(Invoice.payer_org_id == council.id, Invoice.due_date < today())
        .where(Invoice.status.in_([InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID]))
        .order_by(Invoice.due_date)
    ).all()


def test_the_demo_has_overdue_invoices_to_the_council_once(session):
    load_demo(session)
    first = [(i.number, i.total, i.due_date) for i in overdue_to_the_council(session)]
    load_demo(session)  # idempotent: nothing more is billed
    assert [(i.number, i.total, i.due_date) for i in overdue_to_the_council(session)] == first
    assert first and first[0][1] == 39_333  # example B: the council's share of Ben's two nights
    for invoice in overdue_to_the_council(session):
        assert invoice.issue_date == invoice.lines[0].service_start + timedelta(
            days=2
        )  # the day after delivery
        assert invoice.amount_due == 19_333  # £200.00 of it paid


def test_the_council_sees_them_overdue_and_hilltop_can_chase_and_claim(client, session):
    load_demo(session)
    oldest = overdue_to_the_council(session)[0]
    days = (today() - oldest.due_date).days
    _sign_in(client, "sen-team@brightwater.example")
    to_pay = client.get("/invoices/to-pay")
    page = markup.unescape(to_pay.get_data(as_text=True))
    assert to_pay.status_code == 200 and problems(page) == []
    assert page.index("Overdue: ") < page.index(oldest.number)
    assert f">{days}<" in page.split(oldest.number, 1)[1].split("</tr>", 1)[0]
    assert 'href="/invoices/to-pay"' in page  # in the navigation
    form = client.get(f"/payments/made/new?provider={oldest.issuer_id}")
    assert form.status_code == 200 and problems(form.get_data(as_text=True)) == []
    _sign_in(client, "finance@hilltop.example")
    chasing = client.get("/invoices/chasing").get_data(as_text=True)
    assert oldest.number in chasing
    claim = client.get(f"/invoices/{oldest.id}/claim.pdf")
    assert claim.status_code == 200 and claim.mimetype == "application/pdf"
