"""Credit note pages: the issuer credits an invoice from its page (£ amounts as people type them, a
GOV.UK error summary on bad input, nothing written), the credit note's page, PDF and CSV; the
payer reads them; nobody else sees them."""

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from marketplace.core.demo import load_demo
from marketplace.invoicing.credit_notes import issue_credit_note
from marketplace.invoicing.models import CreditNote, Invoice, InvoiceStatus
from marketplace.invoicing.runs import run_invoices
from tests.core.test_accessibility import _sign_in, problems
from tests.invoicing.test_pdf import page_count, pdf_text


@pytest.fixture
def council_invoice(session, world):
    """The council's invoice for two deliveries (lines of £196.67 and £393.33), issued today."""
    world.delivered(units=1, days_ahead=10)
    booking = world.delivered(units=2, days_ahead=13)
    run_invoices(session, world.service_date(booking))
    return session.scalars(select(Invoice).where(Invoice.payer_org_id == world.council.id)).one()


def post_form(client, csrf, invoice, **fields):
    return client.post(f"/invoices/{invoice.id}/credit-notes", data={"csrf_token": csrf(), **fields})


def notes(session):
    return session.scalar(select(func.count(CreditNote.id)))


def test_the_issuer_credits_part_of_a_line_from_the_invoice_page(
    client, session, world, sign_in, csrf, council_invoice
):
    sign_in(world.provider)
    page = client.get(f"/invoices/{council_invoice.id}").get_data(as_text=True)
    assert "Issue a credit note" in page and "Up to £590.00 can be credited" in page
    assert ">Credited<" not in page  # the summary shows credits only once there are some
    form = client.get(f"/invoices/{council_invoice.id}/credit-notes/new").get_data(as_text=True)
    assert (
        "Leave blank to credit all £196.67 left" in form and "Leave blank to credit all £393.33 left" in form
    )
    response = post_form(
        client, csrf, council_invoice, **{"amount-2": "£196.00", "reason": "Ben went home early"}
    )
    assert response.status_code == 302
    note = session.scalars(select(CreditNote)).one()
    assert response.headers["Location"].endswith(f"/credit-notes/{note.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert note.number in page and "Credit note HIL-CN-000001 issued" in page
    assert "Ben went home early" in page and "£196.00" in page and council_invoice.number in page
    assert f"/invoices/{council_invoice.id}" in page  # the link back to its invoice
    assert f"/credit-notes/{note.id}.pdf" in page and f"/credit-notes/{note.id}.csv" in page
    invoice_page = client.get(f"/invoices/{council_invoice.id}").get_data(as_text=True)
    assert note.number in invoice_page and "Up to £394.00 can be credited" in invoice_page
    summary = re.sub(r"\s+", " ", invoice_page[: invoice_page.index("Lines")])
    assert re.search(r">Credited</dt>\s*<dd[^>]*>£196.00</dd>", summary), summary[-600:]


def test_ticking_whole_lines_credits_all_that_is_left_and_the_invoice_is_credited(
    client, session, world, sign_in, csrf, council_invoice
):
    sign_in(world.provider)
    response = post_form(
        client, csrf, council_invoice, **{"line-1": "yes", "amount-2": "1,234.56", "reason": "x"}
    )
    assert response.status_code == 409  # read as £1,234.56: more than line 2 has
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Line 2 of invoice HIL-000001 has £393.33 left to credit" in page
    assert 'href="#amount-2"' in page and 'value="1,234.56"' in page  # what was typed is kept
    assert notes(session) == 0

    response = post_form(
        client, csrf, council_invoice, **{"line-1": "yes", "line-2": "yes", "reason": "Not delivered"}
    )
    assert response.status_code == 302
    session.expire_all()
    invoice = session.get(Invoice, council_invoice.id)
    assert invoice.status is InvoiceStatus.CREDITED and invoice.amount_due == 0
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Issue a credit note" not in page and "Credited" in page and ">credited<" not in page
    refused = client.get(f"/invoices/{invoice.id}/credit-notes/new")
    assert refused.status_code == 409 and "nothing left to credit" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"reason": "Not delivered"}, "line-1", "Choose at least one line to credit"),
        ({"line-1": "yes", "reason": "  "}, "reason", "Say why the invoice is being credited"),
        ({"amount-1": "12.345", "reason": "x"}, "amount-1", "Line 1: Enter an amount in pounds and pence"),
        ({"amount-1": "-5", "reason": "x"}, "amount-1", "Line 1: Enter an amount in pounds and pence"),
        ({"amount-1": "0", "reason": "x"}, "amount-1", "more than zero"),
    ],
)
def test_bad_input_shows_an_error_summary_and_writes_nothing(
    client, session, world, sign_in, csrf, council_invoice, fields, field, message
):
    sign_in(world.provider)
    response = post_form(client, csrf, council_invoice, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and f'href="#{field}"' in page and message in page
    assert f'id="{field}-error"' in page
    assert notes(session) == 0


def test_the_payer_reads_credit_notes_but_cannot_issue_one(
    client, session, world, sign_in, csrf, council_invoice
):
    note = issue_credit_note(
        session, council_invoice, reason="Ben went home early", amount=5000, actor=world.provider
    )
    sign_in(world.commissioner)
    invoice_page = client.get(f"/invoices/{council_invoice.id}").get_data(as_text=True)
    assert note.number in invoice_page and "Issue a credit note" not in invoice_page
    page = client.get(f"/credit-notes/{note.id}")
    assert page.status_code == 200 and "Ben went home early" in page.get_data(as_text=True)
    assert client.get(f"/credit-notes/{note.id}.pdf").status_code == 200
    assert client.get(f"/invoices/{council_invoice.id}/credit-notes/new").status_code == 403
    assert post_form(client, csrf, council_invoice, **{"line-1": "yes", "reason": "x"}).status_code == 403
    assert notes(session) == 1


@pytest.mark.parametrize("who", ["other_provider", "other_commissioner", "icb", "family"])
def test_others_get_404(client, session, world, sign_in, csrf, council_invoice, make, who):
    note = issue_credit_note(
        session, council_invoice, reason="Not delivered", amount=5000, actor=world.provider
    )
    user = {
        "other_provider": lambda: make.user("provider"),
        "other_commissioner": lambda: make.user("commissioner"),
        "icb": lambda: make.user("commissioner", org=world.icb),  # pays the other half, not this invoice
        "family": lambda: world.parent,
    }[who]()
    sign_in(user)
    for url in (f"/credit-notes/{note.id}", f"/credit-notes/{note.id}.pdf", f"/credit-notes/{note.id}.csv"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/invoices/{council_invoice.id}/credit-notes/new").status_code == 404
    assert post_form(client, csrf, council_invoice, **{"line-1": "yes", "reason": "x"}).status_code == 404
    assert notes(session) == 1


@pytest.mark.parametrize("url", ["/credit-notes/{id}.csv", "/api/v1/credit-notes/{id}.csv"])
def test_the_csv_has_the_invoice_columns_and_the_credited_invoice(
    client, session, world, sign_in, council_invoice, url
):
    note = issue_credit_note(
        session,
        council_invoice,
        reason="Nights not delivered",
        lines=[{"line": 1}, {"line": 2, "amount": 10000}],
        actor=world.provider,
    )
    sign_in(world.commissioner)
    response = client.get(url.format(id=note.id))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "credit-note-HIL-CN-000001.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["Line"], r["Line amount"]) for r in rows] == [("1", "£196.67"), ("2", "£100.00")]
    row = rows[0]
    assert (row["Credit note number"], row["Credited invoice number"]) == (
        "HIL-CN-000001",
        council_invoice.number,
    )
    assert row["Credit note total"] == "£296.67" and row["Reason"] == "Nights not delivered"
    assert row["PO number"] == "BC-SB-2026-0142" and row["Customer"] == "Brightwater Council"
    assert row["Issue date"] == note.issue_date.strftime("%d/%m/%Y") and row["Unit price"] == "£295.00"
    assert not row["Child reference"].startswith("Ben")


@pytest.mark.parametrize("url", ["/credit-notes/{id}.pdf", "/api/v1/credit-notes/{id}.pdf"])
def test_the_pdf_says_credit_note_and_names_the_invoice_it_credits(
    client, session, world, sign_in, council_invoice, url
):
    note = issue_credit_note(
        session, council_invoice, reason="Ben went home after breakfast", amount=25000, actor=world.provider
    )
    sign_in(world.provider)
    response = client.get(url.format(id=note.id))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF") and page_count(data) == 1
    text = pdf_text(data)
    issued = council_invoice.issue_date.strftime("%-d %B %Y")
    assert "CREDIT NOTE" in text and "HIL-CN-000001" in text
    assert f"Credits invoice {council_invoice.number} of {issued}" in text
    assert "Ben went home after breakfast" in text and "BC-SB-2026-0142" in text
    assert "£196.67" in text and "£53.33" in text and "£250.00" in text  # the lines and the total
    assert "Brightwater Council" in text and world.provider_org.name in text


def test_the_credit_note_pages_pass_the_accessibility_checks_on_the_demo(client, session, csrf):
    ctx = load_demo(session)
    [icb_invoice] = [i for i in ctx["invoices"] if i.credit_notes]  # Ben's stay, to the ICB
    assert icb_invoice.payer_org.slug == "nhs-brightwater-icb"
    [note] = icb_invoice.credit_notes
    _sign_in(client, "finance@hilltop.example")
    for url in (
        f"/invoices/{icb_invoice.id}",
        f"/invoices/{icb_invoice.id}/credit-notes/new",
        f"/credit-notes/{note.id}",
    ):
        response = client.get(url)
        assert response.status_code == 200 and problems(response.get_data(as_text=True)) == [], url
    refused = post_form(client, csrf, icb_invoice, **{"amount-1": "lots", "reason": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and problems(html) == []
    assert 'href="#amount-1"' in html and 'href="#reason"' in html  # every problem at once
