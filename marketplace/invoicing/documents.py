"""Invoices as documents for people and accounts-payable imports. CSV: one row per line, amounts
as £1,234.56 and dates as DD/MM/YYYY (what a UK finance team's spreadsheet expects)."""

import csv
import io

from marketplace.core.money import format_bp, format_pence
from marketplace.invoicing.models import Invoice

# The columns every row of an invoice or credit note CSV has for its line, between the document's
# own columns and its totals.
LINE_CSV_COLUMNS = [
    "Line",
    "Description",
    "Service from",
    "Service to",
    "Child reference",
    "Quantity",
    "Unit",
    "Unit price",
    "VAT category",
    "VAT rate",
    "Line amount",
]

# The invoice's own columns, first on every row of its CSV and of a list of invoices.
INVOICE_CSV_COLUMNS = [
    "Invoice number",
    "Status",
    "Issue date",
    "Due date",
    "Supplier",
    "Customer",
    "PO number",
]

CSV_COLUMNS = [
    *INVOICE_CSV_COLUMNS,
    *LINE_CSV_COLUMNS,
    "Invoice total",
    "Amount due",
]

# The invoice CSV's columns, as a credit note fills them, plus the invoice it credits and why.
# Amounts are what the credit note gives back (positive); a credit note has no due date or status.
CREDIT_NOTE_CSV_COLUMNS = [
    "Credit note number",
    "Credited invoice number",
    "Issue date",
    "Reason",
    "Supplier",
    "Customer",
    "PO number",
    *LINE_CSV_COLUMNS,
    "Credit note total",
]


def _uk(day) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _line_cells(line) -> list:
    """An invoice line or a credit-note line, as LINE_CSV_COLUMNS."""
    return [
        line.position,
        line.description,
        _uk(line.service_start),
        _uk(line.service_end),
        line.child_reference,
        line.quantity,
        line.unit,
        format_pence(line.unit_price),
        line.vat_category.value,
        format_bp(line.vat_rate_bp),
        format_pence(line.amount),
    ]


def _document_csv(columns: list[str], lines, head: list, totals: list) -> str:
    """One row per line: the document's own figures, the line's, then the document's totals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for line in lines:
        writer.writerow([*head, *_line_cells(line), *totals])
    return out.getvalue()


def invoice_csv(invoice: Invoice) -> str:
    """The invoice as CSV, one row per line, with the header's figures on every row."""
    head = [
        invoice.number or "Draft",
        invoice.status.label,
        _uk(invoice.issue_date),
        _uk(invoice.due_date),
        invoice.issuer.name,
        invoice.payer_name,
        invoice.po_number,
    ]
    totals = [format_pence(invoice.total), format_pence(invoice.amount_due)]
    return _document_csv(CSV_COLUMNS, invoice.lines, head, totals)


def csv_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number or f'draft-{invoice.id}'}.csv"


def credit_note_csv(note) -> str:
    """The credit note as CSV, one row per line, with the header's figures on every row."""
    head = [
        note.number,
        note.invoice.number,
        _uk(note.issue_date),
        note.reason,
        note.issuer.name,
        note.payer_name,
        note.invoice.po_number,
    ]
    return _document_csv(CREDIT_NOTE_CSV_COLUMNS, note.lines, head, [format_pence(note.total)])


# ---- a list of invoices, for people (the commissioner's "Download this list") ----------------

LIST_CSV_COLUMNS = [
    *INVOICE_CSV_COLUMNS,
    "Child",
    "Total",
    "Paid",
    "Credited",
    "Amount due",
]


def _text(value: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula (names and PO numbers are typed
    by people)."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def invoice_list_csv(invoices: list[Invoice], children: dict[int, list[str]] | None) -> str:
    """One row per invoice: £1,234.56, DD/MM/YYYY, states by label. `children` names the children
    each invoice bills care for, for users who may see them; None leaves the column out."""
    columns = [c for c in LIST_CSV_COLUMNS if children is not None or c != "Child"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for invoice in invoices:
        row = [
            invoice.number or "Draft",
            invoice.status.label,
            _uk(invoice.issue_date),
            _uk(invoice.due_date),
            _text(invoice.issuer.name),
            _text(invoice.payer_name),
            _text(invoice.po_number),
            _text(", ".join(children.get(invoice.id, []))) if children is not None else None,
            format_pence(invoice.total),
            format_pence(invoice.amount_paid),
            format_pence(invoice.amount_credited),
            format_pence(invoice.amount_due),
        ]
        writer.writerow(
            [cell for cell, column in zip(row, LIST_CSV_COLUMNS, strict=True) if column in columns]
        )
    return out.getvalue()
