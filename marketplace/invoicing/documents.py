"""Invoices as documents for people and accounts-payable imports. CSV: one row per line, amounts
as £1,234.56 and dates as DD/MM/YYYY (what a UK finance team's spreadsheet expects)."""

import csv
import io

from marketplace.core.money import format_bp, format_pence
from marketplace.invoicing.models import Invoice

CSV_COLUMNS = [
    "Invoice number",
    "Status",
    "Issue date",
    "Due date",
    "Supplier",
    "Customer",
    "PO number",
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
    "Invoice total",
    "Amount due",
]


def _uk(day) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def invoice_csv(invoice: Invoice) -> str:
    """The invoice as CSV, one row per line, with the header's figures on every row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in invoice.lines:
        writer.writerow(
            [
                invoice.number or "Draft",
                invoice.status.label,
                _uk(invoice.issue_date),
                _uk(invoice.due_date),
                invoice.issuer.name,
                invoice.payer_name,
                invoice.po_number,
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
                format_pence(invoice.total),
                format_pence(invoice.amount_due),
            ]
        )
    return out.getvalue()


def csv_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number or f'draft-{invoice.id}'}.csv"


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
    "Credit note total",
]


def credit_note_csv(note) -> str:
    """The credit note as CSV, one row per line, with the header's figures on every row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CREDIT_NOTE_CSV_COLUMNS)
    invoice = note.invoice
    for line in note.lines:
        writer.writerow(
            [
                note.number,
                invoice.number,
                _uk(note.issue_date),
                note.reason,
                note.issuer.name,
                note.payer_name,
                invoice.po_number,
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
                format_pence(note.total),
            ]
        )
    return out.getvalue()


# ---- a list of invoices, for people (the commissioner's "Download this list") ----------------

LIST_CSV_COLUMNS = [
    "Invoice number",
    "Status",
    "Issue date",
    "Due date",
    "Supplier",
    "Customer",
    "PO number",
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
