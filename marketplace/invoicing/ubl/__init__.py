"""Invoices and credit notes as e-invoices: UBL 2.1 in the Peppol BIS Billing 3.0 format (EN 16931),
which English public bodies must accept and the NHS receives over Peppol ("no PO, no pay").

Two steps. `document_from_invoice` reads an issued invoice into a `UblDocument`, a neutral record of
what the e-invoice says (pence, plain dates, finished VAT categories); `to_xml` writes any
`UblDocument` as an Invoice (type 380) or a CreditNote (381), each element where the UBL 2.1 schema
puts it. `tests/invoicing/peppol.py` runs the official rules (`../shared/peppol/`) over the result.

How our figures become EN 16931's:
- A line's quantity × unit price is the whole booking's price; its amount is this payer's share.
  The e-invoice keeps both: the quantity and price as they are, and a line allowance "Funded by
  other payers" of the difference, so quantity × price − allowance = the line's net amount
  (PEPPOL-EN16931-R120). A single-payer line has no allowance.
- VAT: one breakdown per (category, rate), the VAT of a standard-rated group rounded once, half up,
  as `operations._total` does. Care is exempt (`E`, 0%, with its exemption reason). EN 16931 lets
  only a seller in the VAT system say "exempt" (BR-E-02 wants its VAT number); a seller with no VAT
  number is outside VAT altogether, so its lines say `O`, "Not subject to VAT", as the Peppol
  countries' guidance has unregistered sellers do. VAT charged by a seller with no VAT number cannot
  be stated truthfully: that e-invoice is refused.
- Electronic addresses (Peppol wants one for seller and buyer, from its own EAS list, which has no
  e-mail scheme: PEPPOL-EN16931-CL008): the organisation's Peppol participant id ("0088:<GLN>",
  "9932:<UK VAT no.>" -> schemeID and value). A party with none (every family, and organisations
  not on Peppol) is reached through the platform, which delivers its invoices to it on its invoice
  pages: the platform organisation's own Peppol id stands in. With neither, the e-invoice is
  refused, naming the detail to add; an address made up would misdirect the invoice. Finance
  e-mails go in as contacts; a family's members' addresses are never put on a document.
- The seller must be identifiable (BR-CO-26): its GLN, its company (else charity) number or its VAT
  number; with none of them, its reference on this platform (its slug), known to both parties.
- The PO goes in OrderReference and, since UK public buyers route invoices by it, BuyerReference
  too; with no PO, BuyerReference is the children's references the lines carry, which the buyer
  knows the care by (Peppol wants one or the other: PEPPOL-EN16931-R003).

Credit notes: `credit_notes.document_from_credit_note` (a CreditNote, type 381, with a
BillingReference to the invoice it corrects, the reason as its note, one line per credited line of
quantity 1 at the amount credited, and no due date or bank details: nothing is to be paid).
"""

from marketplace.invoicing.ubl.credit_notes import (
    credit_note_xml,
    credit_note_xml_filename,
    document_from_credit_note,
)
from marketplace.invoicing.ubl.document import (
    CUSTOMIZATION_ID,
    PROFILE_ID,
    BankAccount,
    DocumentKind,
    EInvoiceUnavailable,
    Line,
    Party,
    TaxCategory,
    UblDocument,
    vat_breakdown,
)
from marketplace.invoicing.ubl.invoices import (
    buyer_party,
    buyer_reference,
    document_from_invoice,
    invoice_xml,
    seller_party,
    ubl_lines,
    why_unavailable,
    xml_filename,
)
from marketplace.invoicing.ubl.writer import to_xml

__all__ = [
    "credit_note_xml",
    "credit_note_xml_filename",
    "document_from_credit_note",
    "CUSTOMIZATION_ID",
    "PROFILE_ID",
    "BankAccount",
    "DocumentKind",
    "EInvoiceUnavailable",
    "Line",
    "Party",
    "TaxCategory",
    "UblDocument",
    "buyer_party",
    "buyer_reference",
    "document_from_invoice",
    "invoice_xml",
    "seller_party",
    "to_xml",
    "ubl_lines",
    "vat_breakdown",
    "why_unavailable",
    "xml_filename",
]
