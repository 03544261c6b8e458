"""A credit note as an e-invoice: a UBL 2.1 CreditNote (type 381) in the Peppol BIS Billing 3.0
format, pointing at the invoice it corrects (BillingReference).

Each credit-note line becomes one line of quantity 1 at the amount credited ("Credit: " and the
invoice line's description): what is credited is a sum of money, not a number of nights, so the
invoice line's quantity × price (and its "funded by other payers" allowance) are not repeated.
Amounts are positive; the document type says which way the money goes.
"""

from types import SimpleNamespace

from marketplace.core.money import format_pence
from marketplace.invoicing.models import CreditNote
from marketplace.invoicing.ubl.document import DocumentKind, UblDocument
from marketplace.invoicing.ubl.invoices import buyer_party, buyer_reference, seller_party, ubl_lines
from marketplace.invoicing.ubl.writer import to_xml


def _as_credited(line) -> SimpleNamespace:
    return SimpleNamespace(
        description=f"Credit: {line.description}"[:300],
        service_start=line.service_start,
        service_end=line.service_end,
        child_reference=line.child_reference,
        quantity=1,
        unit="charge",
        unit_price=line.amount,
        vat_category=line.vat_category,
        vat_rate_bp=line.vat_rate_bp,
        vat_exemption_reason=line.vat_exemption_reason,
        amount=line.amount,
    )


def document_from_credit_note(note: CreditNote) -> UblDocument:
    invoice = note.invoice
    seller = seller_party(invoice.issuer)
    lines = ubl_lines([_as_credited(line) for line in note.lines], seller)
    return UblDocument(
        kind=DocumentKind.CREDIT_NOTE,
        number=note.number,
        issue_date=note.issue_date,
        due_date=None,
        seller=seller,
        buyer=buyer_party(invoice, bool(seller.vat_number)),
        lines=lines,
        net_total=note.net_total,
        vat_total=note.vat_total,
        total=note.total,
        po_number=invoice.po_number or None,
        buyer_reference=buyer_reference(invoice.po_number, lines),
        corrects=(invoice.number, invoice.issue_date),
        note=f"Reason for credit: {note.reason}",
        payment_terms=(
            f"Credits invoice {invoice.number}: reduces what is due on it by {format_pence(note.total)}."
        ),
        bank=None,
    )


def credit_note_xml(note: CreditNote) -> bytes:
    return to_xml(document_from_credit_note(note))


def credit_note_xml_filename(note: CreditNote) -> str:
    return f"credit-note-{note.number}.xml"
