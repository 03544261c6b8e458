"""Invoicing tables: billable items (one payer's share of one thing, recorded once), invoices and
their lines, each provider's number counter, credit notes, payments received and reminders.

Rule 9: every invoice has exactly one payer and one issuer; each billable item is billed on
exactly one invoice (a unique constraint on the line that bills it); an issued invoice never
changes (a credit note corrects it: its own number, lines that each credit part or all of an
invoice line).

One module per topic; this package is their public face (`from marketplace.invoicing.models
import Invoice` works as it always has): `invoices`, `credit_notes`, `payments`, `reminders`.
"""

from marketplace.invoicing.models.credit_notes import CreditNote, CreditNoteLine
from marketplace.invoicing.models.invoices import (
    EXEMPTION_REASON,
    ISSUED_MUTABLE,
    ONE_PAYER,
    BillableItem,
    BillableKind,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    InvoiceRun,
    InvoiceStatus,
    IsfFundingReceipt,
    RunSource,
    VatCategory,
)
from marketplace.invoicing.models.payments import Payment, PaymentAllocation, PaymentReversal
from marketplace.invoicing.models.reminders import (
    REMINDER_LABELS,
    InvoiceReminder,
    OverdueDigest,
    ReminderEvent,
)
from marketplace.invoicing.models.remittances import RemittanceImport, RemittanceImportLine

__all__ = [
    "EXEMPTION_REASON",
    "ISSUED_MUTABLE",
    "ONE_PAYER",
    "REMINDER_LABELS",
    "BillableItem",
    "BillableKind",
    "CreditNote",
    "CreditNoteLine",
    "Invoice",
    "InvoiceCounter",
    "InvoiceLine",
    "InvoiceReminder",
    "InvoiceRun",
    "InvoiceStatus",
    "IsfFundingReceipt",
    "OverdueDigest",
    "Payment",
    "PaymentAllocation",
    "PaymentReversal",
    "ReminderEvent",
    "RemittanceImport",
    "RemittanceImportLine",
    "RunSource",
    "VatCategory",
]


def _name_credit_note(session, ref) -> str:
    note = session.get(CreditNote, int(ref)) if str(ref).isdigit() else None
    return f"Credit note {note.number}" if note is not None and note.number else "Credit note"


def _name_invoice(session, ref) -> str:
    invoice = session.get(Invoice, int(ref)) if str(ref).isdigit() else None
    return f"Invoice {invoice.number}" if invoice is not None and invoice.number else "Invoice"


from marketplace.budgets.balances import REFERENCE_NAMERS  # noqa: E402  (budget statements name invoices)

REFERENCE_NAMERS.update(credit_note=_name_credit_note, invoice=_name_invoice)
