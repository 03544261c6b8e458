"""A `UblDocument` as UBL 2.1 XML: an Invoice (380) or a CreditNote (381), every element in the
order the UBL 2.1 schema gives, amounts with two decimals, no empty element."""

from xml.etree import ElementTree as ET

from marketplace.invoicing.ubl.document import (
    CUSTOMIZATION_ID,
    NS,
    OTHER_PAYERS,
    PROFILE_ID,
    ROOT_NS,
    DocumentKind,
    Line,
    Party,
    TaxCategory,
    UblDocument,
    vat_breakdown,
)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _money(pence: int) -> str:
    """Pence as EN 16931 writes an amount: two decimals, no thousands separator (39333 -> 393.33)."""
    sign = "-" if pence < 0 else ""
    pounds, rem = divmod(abs(pence), 100)
    return f"{sign}{pounds}.{rem:02d}"


def _percent(bp: int) -> str:
    """Basis points as a VAT rate: 2000 -> '20', 1750 -> '17.5', 0 -> '0'."""
    whole, rem = divmod(bp, 100)
    return str(whole) if rem == 0 else f"{whole}.{rem:02d}".rstrip("0")


def _add(parent: ET.Element, tag: str, text=None, **attrs) -> ET.Element | None:
    """A child element with `text` (none at all when the text is empty: Peppol forbids empty
    elements, PEPPOL-EN16931-R008); `_add(parent, tag)` with no text makes an aggregate."""
    if text is not None and str(text) == "":
        return None
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = str(text)
    return element


def to_xml(doc: UblDocument) -> bytes:
    """The document as UBL 2.1 XML (UTF-8), elements in the schema's order."""
    if doc.kind is DocumentKind.CREDIT_NOTE and doc.due_date is not None:
        raise ValueError("A UBL 2.1 credit note has no due date")
    invoice = doc.kind is DocumentKind.INVOICE
    # Prefixed names are written as they are, with the namespaces declared once on the root:
    # the document's own namespace as the default, as UBL documents are conventionally written.
    namespaces = {"xmlns": ROOT_NS[doc.kind.value]} | {f"xmlns:{p}": uri for p, uri in NS.items()}
    root = ET.Element("Invoice" if invoice else "CreditNote", namespaces)
    _add(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    _add(root, "cbc:ProfileID", PROFILE_ID)
    _add(root, "cbc:ID", doc.number)
    _add(root, "cbc:IssueDate", doc.issue_date.isoformat())
    if doc.due_date is not None:
        _add(root, "cbc:DueDate", doc.due_date.isoformat())
    _add(root, "cbc:InvoiceTypeCode" if invoice else "cbc:CreditNoteTypeCode", "380" if invoice else "381")
    if doc.note:
        _add(root, "cbc:Note", doc.note)
    _add(root, "cbc:DocumentCurrencyCode", doc.currency)
    if doc.buyer_reference:
        _add(root, "cbc:BuyerReference", doc.buyer_reference)
    if doc.po_number:
        _add(_add(root, "cac:OrderReference"), "cbc:ID", doc.po_number)
    if doc.corrects is not None:
        reference = _add(_add(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
        _add(reference, "cbc:ID", doc.corrects[0])
        if doc.corrects[1] is not None:
            _add(reference, "cbc:IssueDate", doc.corrects[1].isoformat())
    _party(_add(root, "cac:AccountingSupplierParty"), doc.seller, seller=True)
    _party(_add(root, "cac:AccountingCustomerParty"), doc.buyer, seller=False)
    if doc.bank is not None:
        _payment_means(root, doc)
    if doc.payment_terms:
        _add(_add(root, "cac:PaymentTerms"), "cbc:Note", doc.payment_terms)
    _tax_total(root, doc)
    _monetary_total(root, doc)
    for line in doc.lines:
        _line_xml(root, line, doc.currency, invoice)
    ET.indent(root)
    return (XML_DECLARATION + ET.tostring(root, encoding="unicode") + "\n").encode("utf-8")


def _party(holder: ET.Element, party: Party, *, seller: bool) -> None:
    element = _add(holder, "cac:Party")
    _add(element, "cbc:EndpointID", party.endpoint[1], schemeID=party.endpoint[0])
    for scheme, value in party.identifiers:
        _add(
            _add(element, "cac:PartyIdentification"),
            "cbc:ID",
            value,
            **({"schemeID": scheme} if scheme else {}),
        )
    if party.trading_name:
        _add(_add(element, "cac:PartyName"), "cbc:Name", party.trading_name)
    _address(_add(element, "cac:PostalAddress"), party)
    if party.vat_number:
        tax_scheme = _add(element, "cac:PartyTaxScheme")
        _add(tax_scheme, "cbc:CompanyID", party.vat_number)
        _add(_add(tax_scheme, "cac:TaxScheme"), "cbc:ID", "VAT")
    legal = _add(element, "cac:PartyLegalEntity")
    _add(legal, "cbc:RegistrationName", party.legal_name)
    if party.registration_number:
        _add(legal, "cbc:CompanyID", party.registration_number)
    if seller and party.legal_form:
        _add(legal, "cbc:CompanyLegalForm", party.legal_form)
    if party.email:
        _add(_add(element, "cac:Contact"), "cbc:ElectronicMail", party.email)


def _address(element: ET.Element, party: Party) -> None:
    """A UK address, one line per line: the first is the street, the last (of two or more) the
    post town, a second of three or more the additional street, any others one address line."""
    lines = party.address_lines
    if lines:
        _add(element, "cbc:StreetName", lines[0])
    if len(lines) >= 3:
        _add(element, "cbc:AdditionalStreetName", lines[1])
    if len(lines) >= 2:
        _add(element, "cbc:CityName", lines[-1])
    if party.postcode:
        _add(element, "cbc:PostalZone", party.postcode)
    if len(lines) >= 4:
        _add(_add(element, "cac:AddressLine"), "cbc:Line", ", ".join(lines[2:-1]))
    _add(_add(element, "cac:Country"), "cbc:IdentificationCode", party.country)


def _payment_means(root: ET.Element, doc: UblDocument) -> None:
    means = _add(root, "cac:PaymentMeans")
    _add(means, "cbc:PaymentMeansCode", "30", name="Credit transfer")
    _add(means, "cbc:PaymentID", doc.number)
    account = _add(means, "cac:PayeeFinancialAccount")
    _add(account, "cbc:ID", doc.bank.account_number)
    _add(account, "cbc:Name", doc.bank.name)
    _add(_add(account, "cac:FinancialInstitutionBranch"), "cbc:ID", doc.bank.sort_code)


def _tax_category(parent: ET.Element, name: str, tax: TaxCategory, *, with_reason: bool) -> None:
    category = _add(parent, name)
    _add(category, "cbc:ID", tax.code)
    if tax.rate_bp is not None:
        _add(category, "cbc:Percent", _percent(tax.rate_bp))
    if with_reason and tax.exemption_code:
        _add(category, "cbc:TaxExemptionReasonCode", tax.exemption_code)
    if with_reason and tax.exemption_reason:
        _add(category, "cbc:TaxExemptionReason", tax.exemption_reason)
    _add(_add(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _tax_total(root: ET.Element, doc: UblDocument) -> None:
    total = _add(root, "cac:TaxTotal")
    _add(total, "cbc:TaxAmount", _money(doc.vat_total), currencyID=doc.currency)
    for tax, taxable, vat in vat_breakdown(doc.lines):
        subtotal = _add(total, "cac:TaxSubtotal")
        _add(subtotal, "cbc:TaxableAmount", _money(taxable), currencyID=doc.currency)
        _add(subtotal, "cbc:TaxAmount", _money(vat), currencyID=doc.currency)
        _tax_category(subtotal, "cac:TaxCategory", tax, with_reason=True)


def _monetary_total(root: ET.Element, doc: UblDocument) -> None:
    totals = _add(root, "cac:LegalMonetaryTotal")
    for name, pence in (
        ("cbc:LineExtensionAmount", doc.net_total),
        ("cbc:TaxExclusiveAmount", doc.net_total),
        ("cbc:TaxInclusiveAmount", doc.total),
        ("cbc:PayableAmount", doc.total),
    ):
        _add(totals, name, _money(pence), currencyID=doc.currency)


def _line_xml(root: ET.Element, line: Line, currency: str, invoice: bool) -> None:
    element = _add(root, "cac:InvoiceLine" if invoice else "cac:CreditNoteLine")
    _add(element, "cbc:ID", line.number)
    quantity = "cbc:InvoicedQuantity" if invoice else "cbc:CreditedQuantity"
    _add(element, quantity, line.quantity, unitCode=line.unit_code)
    _add(element, "cbc:LineExtensionAmount", _money(line.amount), currencyID=currency)
    if line.period is not None:
        period = _add(element, "cac:InvoicePeriod")
        _add(period, "cbc:StartDate", line.period[0].isoformat())
        _add(period, "cbc:EndDate", line.period[1].isoformat())
    for charge, amount, reason in (
        (False, line.allowance, OTHER_PAYERS),
        (True, line.charge, "Charged above the listed price"),
    ):
        if amount:
            allowance = _add(element, "cac:AllowanceCharge")
            _add(allowance, "cbc:ChargeIndicator", "true" if charge else "false")
            _add(allowance, "cbc:AllowanceChargeReason", reason)
            _add(allowance, "cbc:Amount", _money(amount), currencyID=currency)
    item = _add(element, "cac:Item")
    _add(item, "cbc:Description", line.description)
    _add(item, "cbc:Name", line.name)
    _tax_category(item, "cac:ClassifiedTaxCategory", line.tax, with_reason=False)
    if line.child_reference:
        prop = _add(item, "cac:AdditionalItemProperty")
        _add(prop, "cbc:Name", "Child reference")
        _add(prop, "cbc:Value", line.child_reference)
    _add(_add(element, "cac:Price"), "cbc:PriceAmount", _money(line.unit_price), currencyID=currency)
