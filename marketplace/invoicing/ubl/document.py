"""What an e-invoice says, before it is XML: a `UblDocument` of parties, lines and totals in pence,
with each line's VAT category settled. Neutral: an invoice or a credit note maps onto it."""

import enum
from dataclasses import dataclass
from datetime import date

from marketplace.core.errors import Conflict
from marketplace.core.money import apply_bp

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
ROOT_NS = {
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "credit_note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}

OTHER_PAYERS = "Funded by other payers"
NOT_SUBJECT = "Not subject to VAT: the seller is not registered for VAT"
# UN/ECE Recommendation 20 units. A night or a session is counted as a service unit; the item's
# name and description say which.
UNIT_CODES = {
    "hour": "HUR",
    "day": "DAY",
    "week": "WEE",
    "night": "E48",
    "session": "E48",
    "fixed": "LS",  # a lump sum
    "charge": "LS",
}


class DocumentKind(enum.StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class EInvoiceUnavailable(Conflict):
    """The e-invoice cannot be made truthfully (a draft, or a party with no electronic address)."""

    code = "einvoice_unavailable"


@dataclass(frozen=True)
class Party:
    legal_name: str
    endpoint: tuple[str, str]  # (EAS scheme, value): ("0088", "5012345000015"), ("9932", "GB654321987")
    trading_name: str | None = None
    identifiers: tuple[tuple[str | None, str], ...] = ()  # (ICD scheme or None, value): BT-29
    address_lines: tuple[str, ...] = ()
    postcode: str | None = None
    country: str = "GB"
    vat_number: str | None = None
    registration_number: str | None = None  # company, else charity, number (PartyLegalEntity/CompanyID)
    legal_form: str | None = None  # the seller's additional legal information
    email: str | None = None


@dataclass(frozen=True)
class TaxCategory:
    code: str  # E exempt, S standard rate, O not subject to VAT
    rate_bp: int | None  # None for O, which has no rate
    exemption_reason: str | None = None
    exemption_code: str | None = None


@dataclass(frozen=True)
class Line:
    number: str
    name: str
    description: str
    quantity: int
    unit_code: str
    unit_price: int  # pence per unit: the whole booking's price
    amount: int  # pence: the line's net amount, this payer's share
    tax: TaxCategory
    period: tuple[date, date] | None = None
    child_reference: str | None = None

    @property
    def allowance(self) -> int:
        """What other payers fund of the whole price: quantity × price − this payer's share."""
        return max(self.quantity * self.unit_price - self.amount, 0)

    @property
    def charge(self) -> int:
        return max(self.amount - self.quantity * self.unit_price, 0)


@dataclass(frozen=True)
class BankAccount:
    name: str
    sort_code: str  # six digits
    account_number: str


@dataclass(frozen=True)
class UblDocument:
    """What one e-invoice says. Amounts are positive pence; `due_date` is for invoices only (a UBL
    2.1 credit note has none); `corrects` is (number, issue date) of the invoice a credit note
    corrects; `note` is the document's one free-text note (a credit note's reason)."""

    kind: DocumentKind
    number: str
    issue_date: date
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    net_total: int
    vat_total: int
    total: int
    due_date: date | None = None
    po_number: str | None = None
    buyer_reference: str | None = None
    corrects: tuple[str, date | None] | None = None
    note: str | None = None
    payment_terms: str | None = None
    bank: BankAccount | None = None
    currency: str = "GBP"


def vat_breakdown(lines) -> list[tuple[TaxCategory, int, int]]:
    """(category, taxable pence, VAT pence) per VAT category and rate, in the lines' order; the
    VAT of each group rounded once, half up (as `operations._total` works out the invoice's)."""
    groups: dict[tuple[str, int | None], list[Line]] = {}
    for line in lines:
        groups.setdefault((line.tax.code, line.tax.rate_bp), []).append(line)
    breakdown = []
    for (code, rate_bp), members in groups.items():
        taxable = sum(line.amount for line in members)
        reasons = list(dict.fromkeys(m.tax.exemption_reason for m in members if m.tax.exemption_reason))
        category = TaxCategory(code, rate_bp, "; ".join(reasons) or None, members[0].tax.exemption_code)
        vat = apply_bp(taxable, rate_bp) if code == "S" else 0
        breakdown.append((category, taxable, vat))
    return breakdown
