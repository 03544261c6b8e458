"""An issued invoice as a `UblDocument`: its parties (invoicing details, electronic addresses),
lines (VAT category as the seller's registration allows) and totals as issued."""

from sqlalchemy import select

from marketplace.accounts.models import Organisation, OrgKind
from marketplace.catalog.models import ProviderProfile
from marketplace.core.db import db
from marketplace.core.money import format_pence
from marketplace.invoicing.models import EXEMPTION_REASON, Invoice, InvoiceStatus, VatCategory
from marketplace.invoicing.ubl.document import (
    NOT_SUBJECT,
    UNIT_CODES,
    BankAccount,
    DocumentKind,
    EInvoiceUnavailable,
    Line,
    Party,
    TaxCategory,
    UblDocument,
)
from marketplace.invoicing.ubl.writer import to_xml


def document_from_invoice(invoice: Invoice) -> UblDocument:
    """The e-invoice of an issued invoice: its number, dates, PO, parties, lines and totals as
    issued (what was paid or credited since is for payments and credit notes to say)."""
    if invoice.status is InvoiceStatus.DRAFT:
        raise EInvoiceUnavailable("A draft has no number yet: its e-invoice exists once it is issued.")
    seller = seller_party(invoice.issuer)
    lines = ubl_lines(invoice.lines, seller)
    return UblDocument(
        kind=DocumentKind.INVOICE,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        seller=seller,
        buyer=buyer_party(invoice, bool(seller.vat_number)),
        lines=lines,
        net_total=invoice.net_total,
        vat_total=invoice.vat_total,
        total=invoice.total,
        po_number=invoice.po_number or None,
        buyer_reference=buyer_reference(invoice.po_number, lines),
        payment_terms=_payment_terms(invoice),
        bank=_bank(invoice.issuer),
    )


def why_unavailable(invoice: Invoice) -> str | None:
    """Why the invoice has no e-invoice (for its page), or None when it has one."""
    try:
        document_from_invoice(invoice)
    except EInvoiceUnavailable as refusal:
        return refusal.message
    return None


def invoice_xml(invoice: Invoice) -> bytes:
    return to_xml(document_from_invoice(invoice))


def xml_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number}.xml"


def _profile(org: Organisation) -> ProviderProfile | None:
    return db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == org.id))


def _lines_of(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").splitlines() if part.strip())


def seller_party(org: Organisation) -> Party:
    """The provider as seller: its invoicing details; its charity and company numbers, and its
    address and contact e-mail if the organisation has none, from its provider profile."""
    profile = _profile(org)
    address, postcode = _lines_of(org.address), org.postcode
    if not address and profile is not None:
        address, postcode = _lines_of(profile.address), profile.postcode
    charity = profile.charity_number if profile is not None else None
    company = profile.company_number if profile is not None else None
    email = org.finance_email or (profile.contact_email if profile is not None else None)
    return Party(
        legal_name=org.legal_name or org.name,
        trading_name=org.name if org.legal_name and org.legal_name != org.name else None,
        endpoint=_endpoint(org.peppol_id, org.name),
        identifiers=_seller_identifiers(org, bool(company or charity)),
        address_lines=address,
        postcode=postcode,
        vat_number=org.vat_number,
        registration_number=company or charity,
        legal_form=f"Registered charity no. {charity}" if charity else None,
        email=email,
    )


def _seller_identifiers(org: Organisation, has_legal_id: bool) -> tuple[tuple[str | None, str], ...]:
    """The seller's identifiers (BT-29): its GLN when it has one. A buyer must be able to tell
    who the seller is (BR-CO-26): with no GLN, registration or VAT number, the reference buyer
    and seller both know it by on this platform, its slug, stands in."""
    scheme, _, value = (org.peppol_id or "").partition(":")
    if scheme == "0088":
        return (("0088", value),)
    if has_legal_id or org.vat_number:
        return ()
    return ((None, org.slug),)


def buyer_party(invoice: Invoice, seller_registered: bool) -> Party:
    """The payer as buyer: an organisation by its invoicing details, a family by its name (its
    members' e-mail addresses stay private). Outside VAT (`O`) no buyer VAT number may be given
    (BR-O-02)."""
    org = invoice.payer_org
    if org is None:
        family = invoice.payer_family
        return Party(legal_name=family.name, endpoint=_endpoint(None, family.name))
    return Party(
        legal_name=org.legal_name or org.name,
        trading_name=org.name if org.legal_name and org.legal_name != org.name else None,
        endpoint=_endpoint(org.peppol_id, org.name),
        address_lines=_lines_of(org.address),
        postcode=org.postcode,
        vat_number=org.vat_number if seller_registered else None,
        email=org.finance_email,
    )


def _endpoint(peppol_id: str | None, name: str) -> tuple[str, str]:
    """A party's electronic address: its own Peppol participant id, else the platform's, which
    delivers the party's invoices to it (on its invoice pages) when it has no address of its own."""
    peppol_id = peppol_id or db.session.scalar(
        select(Organisation.peppol_id)
        .where(Organisation.kind == OrgKind.PLATFORM, Organisation.peppol_id.is_not(None))
        .order_by(Organisation.id)
        .limit(1)
    )
    if not peppol_id:
        raise EInvoiceUnavailable(
            f"{name} has no Peppol id, and the platform has none through which to deliver its "
            "e-invoices: add one to the organisation's invoicing details."
        )
    scheme, _, value = peppol_id.partition(":")
    return scheme, value


def ubl_lines(lines, seller: Party) -> tuple[Line, ...]:
    """Invoice (or credit note) lines as e-invoice lines, numbered 1, 2, … in order. VAT charged
    by a seller with no VAT number cannot be stated truthfully: that document is refused."""
    registered = bool(seller.vat_number)
    if not registered and any(line.vat_category is VatCategory.STANDARD for line in lines):
        raise EInvoiceUnavailable(
            f"This document charges VAT but {seller.trading_name or seller.legal_name} has no VAT "
            "number: add it to its invoicing details."
        )
    return tuple(_line(n, line, registered) for n, line in enumerate(lines, start=1))


def _line(number: int, line, seller_registered: bool) -> Line:
    return Line(
        number=str(number),
        name=line.description.partition(":")[0].strip() or line.description,
        description=line.description,
        quantity=line.quantity,
        unit_code=UNIT_CODES.get(line.unit, "C62"),
        unit_price=line.unit_price,
        amount=line.amount,
        tax=_tax(line, seller_registered),
        period=(line.service_start, line.service_end),
        child_reference=line.child_reference,
    )


def _tax(line, seller_registered: bool) -> TaxCategory:
    if not seller_registered:
        return TaxCategory("O", None, NOT_SUBJECT, "VATEX-EU-O")
    if line.vat_category is VatCategory.STANDARD:
        return TaxCategory("S", line.vat_rate_bp)
    return TaxCategory("E", 0, line.vat_exemption_reason or EXEMPTION_REASON)


def buyer_reference(po_number: str | None, lines: tuple[Line, ...]) -> str | None:
    """The PO, or with none the children's references of the lines (each once, in order)."""
    if po_number:
        return po_number
    refs = list(dict.fromkeys(line.child_reference for line in lines if line.child_reference))
    return ", ".join(refs) or None


def _payment_terms(invoice: Invoice) -> str:
    text = (
        f"Payment within {invoice.payment_terms_days} days of the issue date: "
        f"{format_pence(invoice.total)} by {invoice.due_date:%-d %B %Y}, quoting invoice {invoice.number}"
    )
    if invoice.po_number:
        text += f" and purchase order {invoice.po_number}"
    return text + "."


def _bank(org: Organisation) -> BankAccount | None:
    if not (org.bank_account_name and org.bank_sort_code and org.bank_account_number):
        return None
    sort_code = "".join(ch for ch in org.bank_sort_code if ch.isdigit())
    return BankAccount(org.bank_account_name, sort_code, org.bank_account_number)
