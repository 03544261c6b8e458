"""Invoices as Peppol BIS Billing 3.0 e-invoices (UBL 2.1): every document the app makes passes the
official rules (../shared/peppol) with no fatal failure, says example B's figures truthfully, and
is written in the UBL schema's element order; a document without a PO or buyer reference fails."""

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from marketplace.core.demo import load_demo
from marketplace.invoicing import operations, ubl
from marketplace.invoicing.models import EXEMPTION_REASON, Invoice, InvoiceStatus, VatCategory
from tests.invoicing.einvoices import ISSUED_ON, PLATFORM_GLN, family_invoice, invoiced
from tests.invoicing.peppol import NS, assert_passes, assert_ubl_order, fatal_rules


def endpoint(root, party: str) -> tuple[str, str]:
    element = root.find(f"cac:{party}/cac:Party/cbc:EndpointID", NS)
    return element.get("schemeID"), element.text


def checked(xml: bytes):
    """The document, after it has passed the Peppol rules and the UBL order check."""
    assert_passes(xml)
    return assert_ubl_order(xml)


def text(element, path: str) -> str | None:
    return element.findtext(path, namespaces=NS)


def test_example_b_each_funder_is_billed_its_share_of_the_whole_price(session, demo_details):
    world = demo_details
    booking = world.delivered(units=2)
    invoices = invoiced(session, world, world.service_date(booking))
    expected = [
        (world.council, "393.33", "196.67", "BC-SB-2026-0142", "2027-01-04", ("0088", "5012345000022")),
        (world.icb, "196.67", "393.33", "ICB-PHB-88213", "2027-01-19", ("9932", "GB654321987")),
    ]
    for funder, share, others, po, due, (scheme, address) in expected:
        invoice = invoices[funder.id]
        root = checked(ubl.invoice_xml(invoice))
        assert text(root, "cbc:CustomizationID") == ubl.CUSTOMIZATION_ID
        assert text(root, "cbc:InvoiceTypeCode") == "380" and text(root, "cbc:ID") == invoice.number
        assert (text(root, "cbc:IssueDate"), text(root, "cbc:DueDate")) == ("2026-12-05", due)
        assert text(root, "cac:OrderReference/cbc:ID") == po == text(root, "cbc:BuyerReference")
        buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
        assert (buyer.find("cbc:EndpointID", NS).get("schemeID"), text(buyer, "cbc:EndpointID")) == (
            scheme,
            address,
        )
        [line] = root.findall("cac:InvoiceLine", NS)
        # the whole booking's price, less what the other funder pays, is this funder's share
        assert (
            text(line, "cbc:InvoicedQuantity") == "2" and text(line, "cac:Price/cbc:PriceAmount") == "295.00"
        )
        assert text(line, "cac:AllowanceCharge/cbc:ChargeIndicator") == "false"
        assert text(line, "cac:AllowanceCharge/cbc:AllowanceChargeReason") == "Funded by other payers"
        assert text(line, "cac:AllowanceCharge/cbc:Amount") == others
        assert text(line, "cbc:LineExtensionAmount") == share
        assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == share
        assert text(line, "cac:Item/cbc:Name") == "Overnight short break"
        assert text(line, "cac:Item/cac:AdditionalItemProperty/cbc:Value").startswith("B-")
        assert b"Ben" not in ubl.invoice_xml(invoice)  # the child by reference only


def test_the_seller_bank_details_and_terms_are_there_to_pay_by(session, demo_details):
    world = demo_details
    booking = world.delivered(units=2)
    root = checked(ubl.invoice_xml(invoiced(session, world, world.service_date(booking))[world.council.id]))
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert text(seller, "cbc:EndpointID") == "5012345000015"
    assert text(seller, "cac:PartyIdentification/cbc:ID") == "5012345000015"  # its GLN
    assert text(seller, "cac:PartyLegalEntity/cbc:RegistrationName") == "Hilltop Children's Hospice Trust"
    assert text(seller, "cac:PartyName/cbc:Name") == "Hilltop Children's Hospice"
    assert text(seller, "cac:PostalAddress/cbc:PostalZone") == "BW1 4HT"
    assert text(seller, "cac:PostalAddress/cac:Country/cbc:IdentificationCode") == "GB"
    assert text(seller, "cac:Contact/cbc:ElectronicMail") == "finance@hilltop.example"
    means = root.find("cac:PaymentMeans", NS)
    assert text(means, "cbc:PaymentMeansCode") == "30"
    assert text(means, "cac:PayeeFinancialAccount/cbc:ID") == "00733445"
    assert text(means, "cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") == "309457"
    assert "4 January 2027" in text(root, "cac:PaymentTerms/cbc:Note")


def test_a_seller_outside_vat_says_not_subject_and_a_registered_one_says_exempt(session, demo_details):
    world = demo_details
    booking = world.delivered(units=2)
    invoice = invoiced(session, world, world.service_date(booking))[world.council.id]

    root = checked(ubl.invoice_xml(invoice))  # Hilltop has no VAT number: outside VAT
    assert text(root, ".//cac:ClassifiedTaxCategory/cbc:ID") == "O"
    assert (
        text(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode") == "VATEX-EU-O"
    )
    assert root.find("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme", NS) is None

    world.provider_org.vat_number = "GB987654321"
    session.flush()
    root = checked(ubl.invoice_xml(invoice))
    assert text(root, ".//cac:ClassifiedTaxCategory/cbc:ID") == "E"
    assert text(root, ".//cac:ClassifiedTaxCategory/cbc:Percent") == "0"
    subtotal = root.find("cac:TaxTotal/cac:TaxSubtotal", NS)
    assert text(subtotal, "cac:TaxCategory/cbc:TaxExemptionReason") == EXEMPTION_REASON
    assert (text(subtotal, "cbc:TaxableAmount"), text(subtotal, "cbc:TaxAmount")) == ("393.33", "0.00")
    for party, vat in (
        ("AccountingSupplierParty", "GB987654321"),
        ("AccountingCustomerParty", "GB123456782"),
    ):
        assert text(root, f"cac:{party}/cac:Party/cac:PartyTaxScheme/cbc:CompanyID") == vat


def test_a_late_cancellation_charge(session, demo_details):
    world = demo_details
    booking = world.cancelled_late(units=1)  # £147.50 charged, as each stream's hold paid it
    invoices = invoiced(session, world, world.service_date(booking))
    shares = [invoices[world.council.id].total, invoices[world.icb.id].total]
    assert sum(shares) == 14750 and all(shares)
    for funder in (world.council, world.icb):
        share = invoices[funder.id].total
        root = checked(ubl.invoice_xml(invoices[funder.id]))
        [line] = root.findall("cac:InvoiceLine", NS)
        assert line.find("cbc:InvoicedQuantity", NS).get("unitCode") == "LS"
        assert text(line, "cbc:InvoicedQuantity") == "1"
        assert text(line, "cac:Price/cbc:PriceAmount") == "147.50"
        assert text(line, "cac:AllowanceCharge/cbc:Amount") == f"{(14750 - share) / 100:.2f}"
        assert text(line, "cbc:LineExtensionAmount") == f"{share / 100:.2f}"
        assert text(line, "cac:Item/cbc:Name") == "Late-cancellation charge"


def test_a_multi_line_invoice_sums_its_lines(session, demo_details):
    world = demo_details
    first = world.delivered(units=2, days_ahead=10)
    world.no_show(days_ahead=14)
    last = world.delivered(units=1, days_ahead=20)
    invoice = invoiced(session, world, world.service_date(last))[world.council.id]
    assert world.service_date(first) < world.service_date(last)
    root = checked(ubl.invoice_xml(invoice))
    lines = root.findall("cac:InvoiceLine", NS)
    assert [text(line, "cbc:ID") for line in lines] == ["1", "2", "3"]
    assert [text(line, "cbc:LineExtensionAmount") for line in lines] == ["393.33", "196.67", "196.67"]
    assert text(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount") == "786.67"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "786.67" == f"{invoice.total / 100:.2f}"


def draft_for(session, world, through) -> Invoice:
    """The council's unbilled items on a draft invoice (not yet issued, so its lines may change)."""
    operations.record_billable_items(session, through)
    [key] = [k for k in operations.unbilled_groups(session, through) if k[1] == world.council.id]
    return operations.draft_invoice(session, operations.unbilled_items(session, key, through, lock=True))


def test_standard_rated_lines_carry_vat_per_category_rounded_once(session, demo_details):
    world = demo_details
    world.provider_org.vat_number = "GB987654321"
    world.delivered(units=2, days_ahead=10)
    last = world.delivered(units=1, days_ahead=20)
    draft = draft_for(session, world, world.service_date(last))
    standard = draft.lines[1]  # £196.67: 20% is £39.334, so £39.33
    standard.vat_category, standard.vat_rate_bp, standard.vat_exemption_reason = (
        VatCategory.STANDARD,
        2000,
        None,
    )
    operations._total(draft)
    invoice = operations.issue_invoice(session, draft, ISSUED_ON)
    assert (invoice.net_total, invoice.vat_total, invoice.total) == (59000, 3933, 62933)

    root = checked(ubl.invoice_xml(invoice))
    subtotals = {
        text(s, "cac:TaxCategory/cbc:ID"): (
            text(s, "cbc:TaxableAmount"),
            text(s, "cbc:TaxAmount"),
            text(s, "cac:TaxCategory/cbc:Percent"),
        )
        for s in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    }
    assert subtotals == {"E": ("393.33", "0.00", "0"), "S": ("196.67", "39.33", "20")}
    assert text(root, "cac:TaxTotal/cbc:TaxAmount") == "39.33"
    totals = root.find("cac:LegalMonetaryTotal", NS)
    assert [text(totals, f"cbc:{name}") for name in ("TaxExclusiveAmount", "TaxInclusiveAmount")] == [
        "590.00",
        "629.33",
    ]


def test_vat_charged_by_a_seller_with_no_vat_number_is_refused(session, demo_details):
    world = demo_details
    booking = world.delivered(units=1)
    draft = draft_for(session, world, world.service_date(booking))
    draft.lines[0].vat_category, draft.lines[0].vat_rate_bp = VatCategory.STANDARD, 2000
    operations._total(draft)
    invoice = operations.issue_invoice(session, draft, ISSUED_ON)
    with pytest.raises(ubl.EInvoiceUnavailable, match="charges VAT but .* has no VAT number"):
        ubl.invoice_xml(invoice)


def test_an_organisation_without_a_peppol_id_is_reached_through_the_platform(session, demo_details, platform):
    world = demo_details
    world.council.peppol_id = None
    session.flush()
    booking = world.delivered(units=2)
    invoices = invoiced(session, world, world.service_date(booking))
    root = checked(ubl.invoice_xml(invoices[world.council.id]))
    assert endpoint(root, "AccountingCustomerParty") == ("0088", PLATFORM_GLN)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert text(buyer, "cac:Contact/cbc:ElectronicMail") == "accounts.payable@brightwater.example"
    assert endpoint(checked(ubl.invoice_xml(invoices[world.icb.id])), "AccountingCustomerParty") == (
        "9932",
        "GB654321987",
    )


def test_a_seller_with_no_gln_registration_or_vat_number_is_identified_by_its_platform_reference(
    session, demo_details, platform
):
    world = demo_details
    world.provider_org.peppol_id = None
    session.flush()
    booking = world.delivered(units=2)
    root = checked(ubl.invoice_xml(invoiced(session, world, world.service_date(booking))[world.council.id]))
    assert endpoint(root, "AccountingSupplierParty") == ("0088", PLATFORM_GLN)
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert text(seller, "cac:PartyIdentification/cbc:ID") == world.provider_org.slug

    world.profile.charity_number = "1123456"
    session.flush()
    root = checked(ubl.invoice_xml(invoiced(session, world, world.service_date(booking))[world.council.id]))
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    assert seller.find("cac:PartyIdentification", NS) is None
    assert text(seller, "cac:PartyLegalEntity/cbc:CompanyID") == "1123456"
    assert text(seller, "cac:PartyLegalEntity/cbc:CompanyLegalForm") == "Registered charity no. 1123456"


def test_a_party_with_no_electronic_address_gets_no_made_up_one(session, world, make):
    booking = world.delivered(units=2)  # nobody here has a Peppol id, and there is no platform
    invoice = invoiced(session, world, world.service_date(booking))[world.council.id]
    with pytest.raises(ubl.EInvoiceUnavailable, match="Hilltop Children's Hospice has no Peppol id"):
        ubl.invoice_xml(invoice)
    world.provider_org.peppol_id = "0088:5012345000015"
    make.org("platform", name="A platform without a Peppol id")
    session.flush()
    assert ubl.why_unavailable(invoice).startswith("Brightwater Council has no Peppol id")


def test_a_family_payer_is_the_buyer_reached_through_the_platform(session, demo_details, platform):
    world = demo_details
    invoice = family_invoice(session, world)
    xml = ubl.invoice_xml(invoice)
    root = checked(xml)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)
    assert text(buyer, "cac:PartyLegalEntity/cbc:RegistrationName") == world.family.name
    assert endpoint(root, "AccountingCustomerParty") == ("0088", PLATFORM_GLN)
    assert world.parent.email.encode() not in xml and b"Ben" not in xml
    assert root.find("cac:OrderReference", NS) is None  # no PO: the child's reference instead
    assert text(root, "cbc:BuyerReference") == invoice.lines[0].child_reference
    assert text(root, "cac:InvoiceLine/cbc:LineExtensionAmount") == "45.00"
    assert root.find("cac:InvoiceLine/cac:AllowanceCharge", NS) is None  # the family pays it all


def credit_note_for(invoice: Invoice) -> ubl.UblDocument:
    """A credit note for the whole of `invoice`, as `document_from_credit_note` is to map one."""
    doc = ubl.document_from_invoice(invoice)
    return replace(
        doc,
        kind=ubl.DocumentKind.CREDIT_NOTE,
        number="HIL-CN-000001",
        issue_date=date(2026, 12, 20),
        due_date=None,
        bank=None,
        corrects=(invoice.number, invoice.issue_date),
        note="Reason for credit: the stay was cut short by the hospice",
        payment_terms=f"Credits invoice {invoice.number}: reduces what is due on it by £393.33.",
    )


def test_a_credit_note_corrects_its_invoice(session, demo_details):
    world = demo_details
    booking = world.delivered(units=2)
    invoice = invoiced(session, world, world.service_date(booking))[world.council.id]
    root = checked(ubl.to_xml(credit_note_for(invoice)))
    assert root.tag == "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
    assert text(root, "cbc:CreditNoteTypeCode") == "381" and text(root, "cbc:DueDate") is None
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID") == invoice.number
    assert text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:IssueDate") == "2026-12-05"
    assert text(root, "cbc:Note").startswith("Reason for credit:")
    assert text(root, "cac:OrderReference/cbc:ID") == "BC-SB-2026-0142"
    [line] = root.findall("cac:CreditNoteLine", NS)
    assert text(line, "cbc:CreditedQuantity") == "2" and text(line, "cbc:LineExtensionAmount") == "393.33"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "393.33"


def test_a_credit_note_for_an_amount_from_a_vat_registered_seller(session, demo_details):
    world = demo_details
    world.provider_org.vat_number = "GB987654321"
    booking = world.delivered(units=2)
    invoice = invoiced(session, world, world.service_date(booking))[world.council.id]
    exempt = ubl.TaxCategory("E", 0, EXEMPTION_REASON)
    line = ubl.Line("1", "Credit", "Credit: one night not delivered", 1, "LS", 5000, 5000, exempt)
    doc = replace(credit_note_for(invoice), lines=(line,), net_total=5000, vat_total=0, total=5000)
    root = checked(ubl.to_xml(doc))
    assert text(root, "cac:CreditNoteLine/cac:Item/cac:ClassifiedTaxCategory/cbc:ID") == "E"
    assert text(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == "50.00"


def test_a_document_without_a_po_or_buyer_reference_fails_the_rules(session, demo_details):
    world = demo_details
    booking = world.delivered(units=2)
    invoice = invoiced(session, world, world.service_date(booking))[world.council.id]
    good = ubl.document_from_invoice(invoice)
    assert "PEPPOL-EN16931-R003" not in fatal_rules(ubl.to_xml(good))
    broken = ubl.to_xml(replace(good, po_number=None, buyer_reference=None))
    assert "PEPPOL-EN16931-R003" in fatal_rules(broken)  # "no PO, no pay"
    with pytest.raises(AssertionError, match="PEPPOL-EN16931-R003"):
        assert_passes(broken)


def test_the_order_check_notices_an_element_out_of_place(session, demo_details):
    world = demo_details
    booking = world.delivered(units=2)
    xml = ubl.invoice_xml(invoiced(session, world, world.service_date(booking))[world.council.id])
    assert_ubl_order(xml)
    due = b"  <cbc:DueDate>2027-01-04</cbc:DueDate>\n"
    moved = xml.replace(due, b"").replace(
        b"  <cbc:DocumentCurrencyCode>", due + b"  <cbc:DocumentCurrencyCode>"
    )
    assert moved != xml
    with pytest.raises(AssertionError, match="out of the schema's order"):
        assert_ubl_order(moved)


def test_every_demo_invoice_has_an_e_invoice_that_passes(session):
    load_demo(session)
    issued = session.scalars(select(Invoice).where(Invoice.status != InvoiceStatus.DRAFT)).all()
    assert issued
    for invoice in issued:
        checked(ubl.invoice_xml(invoice))
