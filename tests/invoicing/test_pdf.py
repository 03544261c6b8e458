"""The invoice as a PDF: it opens, reads as an accounts-payable team expects (number, PO, £ amounts,
UK due date, the seller's charity number) and only the invoice's parties may download it."""

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from marketplace.invoicing import pdf
from marketplace.invoicing.models import Invoice
from marketplace.invoicing.runs import run_invoices

ISSUED_ON = date(2026, 12, 5)
URLS = ["/invoices/{id}.pdf", "/api/v1/invoices/{id}.pdf"]


@pytest.fixture
def council_invoice(session, world):
    booking = world.delivered(units=2)
    run_invoices(session, world.service_date(booking), issue_date=ISSUED_ON)
    return session.scalars(select(Invoice).where(Invoice.payer_org_id == world.council.id)).one()


def pdf_text(data: bytes, tmp_path=None) -> str:
    """The PDF's text as a reader's PDF viewer extracts it (pypdf, through the fonts' ToUnicode maps)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


@pytest.mark.parametrize("url", URLS)
def test_the_pdf_carries_the_number_po_amounts_and_uk_due_date(
    client, world, sign_in, council_invoice, url, tmp_path
):
    sign_in(world.commissioner)
    response = client.get(url.format(id=council_invoice.id))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"{council_invoice.number}.pdf" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"%PDF") and page_count(data) == 1
    text = pdf_text(data, tmp_path)
    assert council_invoice.number in text and "BC-SB-2026-0142" in text
    assert "Brightwater Council" in text and world.provider_org.name in text
    assert "£393.33" in text and "£295.00" in text  # the line, the unit price, the totals
    assert "4 January 2027" in text and "5 December 2026" in text
    assert "Exempt" in text and "Ben" not in text
    assert "2 nights" in text and "2 night " not in text


def test_the_pdf_shows_the_sellers_address_and_charity_number(
    session, client, world, sign_in, council_invoice, tmp_path
):
    profile = world.profile
    profile.address, profile.postcode, profile.charity_number = (
        "1 Hill Road\nBrightwater",
        "BW1 2AB",
        "1123456",
    )
    session.flush()
    sign_in(world.provider)
    text = pdf_text(client.get(f"/invoices/{council_invoice.id}.pdf").get_data(), tmp_path)
    assert "1 Hill Road" in text and "BW1 2AB" in text and "Registered charity no. 1123456" in text


def test_without_dejavu_the_pdf_falls_back_to_helvetica_with_pounds(
    client, world, sign_in, council_invoice, monkeypatch, tmp_path
):
    monkeypatch.setattr(pdf, "FONT_DIR", tmp_path / "no-fonts")
    sign_in(world.provider)
    data = client.get(f"/invoices/{council_invoice.id}.pdf").get_data()
    assert data.startswith(b"%PDF")
    assert b"/Helvetica" in data and b"DejaVu" not in data
    text = pdf_text(data, tmp_path)
    assert (
        council_invoice.number in text
        and "4 January 2027" in text
        and "£393.33" in text
        and "BC-SB-2026-0142" in text
    )


def test_the_detail_page_links_to_the_pdf(client, world, sign_in, council_invoice):
    sign_in(world.provider)
    page = client.get(f"/invoices/{council_invoice.id}").get_data(as_text=True)
    assert f'href="/invoices/{council_invoice.id}.pdf"' in page and "Download as PDF" in page


@pytest.mark.parametrize("url", URLS)
def test_others_cannot_download_the_pdf(client, world, sign_in, council_invoice, make, url):
    assert client.get(url.format(id=council_invoice.id)).status_code in (302, 401)
    sign_in(make.user("provider"))
    assert client.get(url.format(id=council_invoice.id)).status_code == 404
    sign_in(make.user("commissioner"))
    assert client.get(url.format(id=council_invoice.id)).status_code == 404


def test_the_pdf_reads_the_organisations_invoicing_details(
    session, client, world, sign_in, council_invoice, tmp_path
):
    hilltop, council = world.provider_org, world.council
    hilltop.legal_name, hilltop.vat_number = "Hilltop Children's Hospice Trust", "GB123456782"
    hilltop.bank_account_name, hilltop.bank_sort_code, hilltop.bank_account_number = (
        "Hilltop Trust",
        "30-94-57",
        "00733445",
    )
    council.address, council.postcode = "Accounts Payable\nCivic Centre", "BW1 1CC"
    session.flush()
    sign_in(world.commissioner)
    text = pdf_text(client.get(f"/api/v1/invoices/{council_invoice.id}.pdf").get_data(), tmp_path)
    assert "Hilltop Children's Hospice Trust" in text and "VAT no. GB123456782" in text
    assert "sort code 30-94-57" in text and "account number 00733445" in text
    assert "Civic Centre" in text and "BW1 1CC" in text
