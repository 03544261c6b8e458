"""Real credit notes as e-invoices: a UBL 2.1 CreditNote (381) that passes the official Peppol BIS
Billing 3.0 rules, refers to the invoice it corrects, and downloads for the invoice's parties only."""

from datetime import date
from xml.etree import ElementTree as ET

import pytest

from marketplace.invoicing import credit_notes, operations, ubl
from marketplace.invoicing.models import VatCategory
from tests.invoicing.einvoices import invoiced
from tests.invoicing.peppol import NS, assert_passes, assert_ubl_order, fatal_rules
from tests.invoicing.test_ubl import draft_for

URLS = ["/credit-notes/{id}.xml", "/api/v1/credit-notes/{id}.xml"]
CN = {**NS, "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"}


@pytest.fixture
def icb_invoice(session, demo_details):
    booking = demo_details.delivered(units=2)
    return invoiced(session, demo_details, demo_details.service_date(booking))[demo_details.icb.id]


def credit(session, invoice, world, **how):
    return credit_notes.issue_credit_note(
        session, invoice, reason="Went home early for a hospital appointment", actor=world.provider,
        issue_date=date(2026, 12, 10), **how,
    )  # fmt: skip


def test_a_credit_of_an_amount_passes_and_names_the_invoice_it_corrects(session, demo_details, icb_invoice):
    note = credit(session, icb_invoice, demo_details, amount=3000)
    xml = ubl.credit_note_xml(note)
    assert_passes(xml)
    assert_ubl_order(xml)
    root = ET.fromstring(xml)
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    assert root.findtext("cbc:ID", namespaces=NS) == note.number
    ref = root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert ref.findtext("cbc:ID", namespaces=NS) == icb_invoice.number
    assert root.findtext("cac:OrderReference/cbc:ID", namespaces=NS) == "ICB-PHB-88213"
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=NS) == "30.00"
    assert "hospital appointment" in root.findtext("cbc:Note", namespaces=NS)


def test_a_credit_of_whole_lines_passes_line_for_line(session, demo_details, icb_invoice):
    note = credit(session, icb_invoice, demo_details, lines=[{"line": 1}])
    xml = ubl.credit_note_xml(note)
    assert_passes(xml)
    amounts = [e.text for e in ET.fromstring(xml).iterfind("cac:CreditNoteLine/cbc:LineExtensionAmount", NS)]
    assert amounts == ["196.67"]  # the ICB's whole share, credited


def test_crediting_a_standard_rated_invoice_passes_with_its_vat(session, demo_details):
    world = demo_details
    world.provider_org.vat_number = "GB987654321"
    world.delivered(units=2, days_ahead=10)
    last = world.delivered(units=1, days_ahead=20)
    draft = draft_for(session, world, world.service_date(last))
    draft.lines[1].vat_category, draft.lines[1].vat_rate_bp = VatCategory.STANDARD, 2000
    draft.lines[1].vat_exemption_reason = None
    operations._total(draft)
    invoice = operations.issue_invoice(session, draft, date(2026, 12, 5))
    note = credit(session, invoice, world, lines=[{"line": 1}, {"line": 2}])  # £393.33 E + £196.67 S
    assert (note.net_total, note.vat_total, note.total) == (59000, 3933, 62933)
    xml = ubl.credit_note_xml(note)
    assert_passes(xml)
    root = ET.fromstring(xml)
    assert root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=NS) == "39.33"
    categories = [e.text for e in root.iterfind(".//cac:ClassifiedTaxCategory/cbc:ID", NS)]
    assert categories == ["E", "S"]


def test_a_broken_credit_note_without_its_po_fails_the_rules(session, demo_details, icb_invoice):
    note = credit(session, icb_invoice, demo_details, amount=3000)
    document = ubl.document_from_credit_note(note)
    from dataclasses import replace

    broken = ubl.to_xml(replace(document, po_number=None, buyer_reference=None))
    assert "PEPPOL-EN16931-R003" in fatal_rules(broken)


@pytest.mark.parametrize("url", URLS)
def test_the_parties_download_it_and_others_do_not(
    session, client, demo_details, sign_in, icb_invoice, make, url
):
    note = credit(session, icb_invoice, demo_details, amount=3000)
    sign_in(demo_details.provider)
    response = client.get(url.format(id=note.id))
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert f"credit-note-{note.number}.xml" in response.headers["Content-Disposition"]
    assert_passes(response.get_data())
    sign_in(make.user("commissioner"))
    assert client.get(url.format(id=note.id)).status_code == 404
    sign_in(make.user("provider"))
    assert client.get(url.format(id=note.id)).status_code == 404


def test_the_credit_note_page_links_to_its_e_invoice(session, client, demo_details, sign_in, icb_invoice):
    note = credit(session, icb_invoice, demo_details, amount=3000)
    sign_in(demo_details.provider)
    page = client.get(f"/credit-notes/{note.id}").get_data(as_text=True)
    assert f'href="/credit-notes/{note.id}.xml"' in page and "Download e-invoice (XML)" in page
    assert client.get(f"/api/v1/credit-notes/{note.id}").get_json()["links"]["xml"] == (
        f"/api/v1/credit-notes/{note.id}.xml"
    )
