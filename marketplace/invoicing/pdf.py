"""The invoice as a PDF, laid out as a council's accounts-payable team expects: the seller (name,
address, charity/company number), the buyer, number, dates and the PO number prominently, the
lines and the totals; amounts as £1,234.56 and UK dates. One A4 page for a normal invoice.

DejaVu Sans (Debian's fonts-dejavu-core) draws "£" and "—"; without it the PDF falls back to
Helvetica (which has "£" in Latin-1) and writes "-" for the dash."""

from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select

from marketplace.catalog.models import ProviderProfile
from marketplace.core.db import db
from marketplace.core.money import format_bp, format_pence
from marketplace.invoicing.models import EXEMPTION_REASON, CreditNote, Invoice, VatCategory

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
COLUMNS = [  # (heading, width mm, align)
    ("Description", 44, "L"),
    ("Service dates", 42, "L"),  # "31/10/2026 to 01/11/2026" on one line
    ("Child", 18, "L"),
    ("Qty", 14, "R"),
    ("Unit price", 20, "R"),
    ("VAT", 14, "L"),
    ("Amount", 28, "R"),
]


def _uk(day) -> str:
    return day.strftime("%-d %B %Y") if day else "Not yet issued"


def _short(day) -> str:
    return day.strftime("%d/%m/%Y")


def _address(org) -> list[str]:
    lines = [part.strip() for part in (org.address or "").splitlines() if part.strip()]
    return lines + ([org.postcode] if org.postcode else [])


def _seller_lines(invoice: Invoice) -> list[str]:
    """The seller as its organisation's invoicing details give it; the charity and company numbers
    (and, if the organisation has no postal address yet, the address) from its provider profile."""
    org = invoice.issuer
    profile = db.session.scalar(select(ProviderProfile).where(ProviderProfile.organisation_id == org.id))
    lines = [org.legal_name or org.name]
    if org.legal_name and org.legal_name != org.name:
        lines.append(f"trading as {org.name}")
    address = _address(org) or (_address(profile) if profile is not None else [])
    lines += address
    if profile is not None and profile.charity_number:
        lines.append(f"Registered charity no. {profile.charity_number}")
    if profile is not None and profile.company_number:
        lines.append(f"Company no. {profile.company_number}")
    if org.vat_number:
        lines.append(f"VAT no. {org.vat_number}")
    email = org.finance_email or (profile.contact_email if profile is not None else None)
    if email:
        lines.append(email)
    return lines


def _buyer_lines(invoice: Invoice) -> list[str]:
    if invoice.payer_org is None:
        return [invoice.payer_name]
    org = invoice.payer_org
    lines = [org.legal_name or org.name] + _address(org)
    if org.finance_email:
        lines.append(org.finance_email)
    return lines


def _remittance(invoice: Invoice) -> str | None:
    org = invoice.issuer
    if not (org.bank_account_name and org.bank_sort_code and org.bank_account_number):
        return None
    return (
        f"Pay by bank transfer to {org.bank_account_name}, sort code {org.bank_sort_code}, "
        f"account number {org.bank_account_number}"
    )


class _InvoicePDF(FPDF):
    def __init__(self):
        super().__init__(format="A4")
        self.set_auto_page_break(True, margin=15)
        self.set_margins(15, 15, 15)
        if (FONT_DIR / "DejaVuSans.ttf").exists() and (FONT_DIR / "DejaVuSans-Bold.ttf").exists():
            self.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
            self.body_font = "DejaVu"
            self.dash = "—"
        else:
            self.body_font = "Helvetica"
            self.dash = "-"

    def text(self, size: float, value: str, style: str = "", **kwargs) -> None:
        self.set_font(self.body_font, style, size)
        self.cell(text=value.replace("—", self.dash), **kwargs)


def _heading(pdf: "_InvoicePDF", title: str, number: str) -> None:
    full = pdf.epw
    pdf.text(20, title, "B", w=full / 2, h=10)
    pdf.text(12, number, "B", w=full / 2, h=10, align="R")
    pdf.ln(12)


def _parties(pdf: "_InvoicePDF", document, facts: list[tuple[str, str]]) -> None:
    """From (the seller) on the left; To (the buyer) and the document's facts on the right."""
    full = pdf.epw
    top = pdf.get_y()
    pdf.text(9, "From", "B", w=full / 2, h=5, new_x="LMARGIN", new_y="NEXT")
    for line in _seller_lines(document):
        pdf.text(9, line, w=full / 2, h=4.5, new_x="LMARGIN", new_y="NEXT")
    seller_bottom = pdf.get_y()

    pdf.set_xy(15 + full / 2, top)
    pdf.text(9, "To", "B", w=full / 2, h=5, new_x="LEFT", new_y="NEXT")
    for line in _buyer_lines(document):
        pdf.text(9, line, w=full / 2, h=4.5, new_x="LEFT", new_y="NEXT")
    pdf.ln(3)
    for label, value in facts:
        pdf.set_x(15 + full / 2)
        pdf.text(9, label, "B", w=30, h=5)
        pdf.text(9, value, w=full / 2 - 30, h=5, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), seller_bottom) + 4)


def _line_table(pdf: "_InvoicePDF", lines) -> None:
    """The lines (of an invoice or a credit note): description, dates, child, quantity, price, VAT, amount."""
    full = pdf.epw
    pdf.set_fill_color(222, 224, 226)
    for heading, width, align in COLUMNS:
        pdf.text(8, heading, "B", w=width, h=6, align=align, fill=True)
    pdf.ln(6)
    for line in lines:
        dates = _short(line.service_start)
        if line.service_end != line.service_start:
            dates += f" to {_short(line.service_end)}"
        vat = "Exempt" if line.vat_category is VatCategory.EXEMPT else format_bp(line.vat_rate_bp)
        values = [
            line.description,
            dates,
            line.child_reference,
            f"{line.quantity} {line.unit}{'' if line.quantity == 1 else 's'}",
            format_pence(line.unit_price),
            vat,
            format_pence(line.amount),
        ]
        y = pdf.get_y()
        pdf.set_x(15 + COLUMNS[0][1])
        for (_, width, align), value in zip(COLUMNS[1:], values[1:], strict=True):
            pdf.text(8, value, w=width, h=4.5, align=align)
        pdf.set_xy(15, y)
        pdf.set_font(pdf.body_font, "", 8)
        description = line.description.replace("—", pdf.dash)
        pdf.multi_cell(COLUMNS[0][1], 4.5, description, align="L", new_x="LMARGIN", new_y="NEXT")
        bottom = max(pdf.get_y(), y + 4.5)
        pdf.set_y(bottom)
        pdf.line(15, pdf.get_y() + 0.5, 15 + full, pdf.get_y() + 0.5)
        pdf.ln(1.5)
    pdf.ln(3)


def _totals(pdf: "_InvoicePDF", rows: list[tuple[str, int]], bold=("Total", "Amount due")) -> None:
    full = pdf.epw
    for label, amount in rows:
        style = "B" if label in bold else ""
        pdf.set_x(15 + full - 70)
        pdf.text(9, label, style, w=40, h=5.5)
        pdf.text(9, format_pence(amount), style, w=30, h=5.5, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _exemption_note(pdf: "_InvoicePDF", lines) -> None:
    if any(line.vat_category is VatCategory.EXEMPT for line in lines):
        pdf.ln(1)
        pdf.set_font(pdf.body_font, "", 8)
        pdf.multi_cell(pdf.epw, 4.5, EXEMPTION_REASON, align="L", new_x="LMARGIN", new_y="NEXT")


def invoice_pdf(invoice: Invoice) -> bytes:
    pdf = _InvoicePDF()
    pdf.set_title(f"Invoice {invoice.number or 'draft'}")
    pdf.set_author(invoice.issuer.name)
    pdf.add_page()
    full = pdf.epw
    facts = [
        ("Invoice number", invoice.number or "Not yet numbered"),
        ("Issue date", _uk(invoice.issue_date)),
        ("Due date", _uk(invoice.due_date)),
        ("Status", invoice.status.label),
    ]
    _heading(pdf, "INVOICE" if invoice.number else "DRAFT INVOICE", invoice.number or "Not yet numbered")
    _parties(pdf, invoice, facts)

    # The PO number, prominently: accounts payable matches invoices to orders by it.
    pdf.set_fill_color(243, 242, 241)
    pdf.text(12, f"Purchase order: {invoice.po_number or 'None quoted'}", "B", w=full, h=10, fill=True)
    pdf.ln(13)
    _line_table(pdf, invoice.lines)

    totals = [
        ("Net", invoice.net_total),
        ("VAT", invoice.vat_total),
        ("Total", invoice.total),
        ("Paid", invoice.amount_paid),
        ("Credited", invoice.amount_credited),
        ("Amount due", invoice.amount_due),
    ]
    _totals(pdf, [(label, amount) for label, amount in totals if amount or label != "Credited"])

    terms = f"Payment terms: {invoice.payment_terms_days} days from the issue date"
    if invoice.due_date:
        terms += f" — please pay {format_pence(invoice.amount_due)} by {_uk(invoice.due_date)}"
    terms += f", quoting invoice {invoice.number or '(draft)'}"
    if invoice.po_number:
        terms += f" and purchase order {invoice.po_number}"
    bank = _remittance(invoice)
    if bank:
        terms += f". {bank}"
    pdf.set_font(pdf.body_font, "", 9)
    pdf.multi_cell(full, 5, (terms + ".").replace("—", pdf.dash), align="L", new_x="LMARGIN", new_y="NEXT")
    _exemption_note(pdf, invoice.lines)
    return bytes(pdf.output())


def pdf_filename(invoice: Invoice) -> str:
    return f"invoice-{invoice.number or f'draft-{invoice.id}'}.pdf"


def credit_note_pdf(note: CreditNote) -> bytes:
    """The credit note, laid out as its invoice is: "CREDIT NOTE", its number, the invoice it
    credits (number and date), the reason, the lines credited and the total credited."""
    invoice = note.invoice
    pdf = _InvoicePDF()
    pdf.set_title(f"Credit note {note.number}")
    pdf.set_author(note.issuer.name)
    pdf.add_page()
    full = pdf.epw
    facts = [
        ("Credit note", note.number),
        ("Issue date", _uk(note.issue_date)),
        ("Credits invoice", invoice.number),
    ]
    _heading(pdf, "CREDIT NOTE", note.number)
    _parties(pdf, note, facts)

    pdf.set_fill_color(243, 242, 241)
    pdf.text(
        12, f"Credits invoice {invoice.number} of {_uk(invoice.issue_date)}", "B", w=full, h=10, fill=True
    )
    pdf.ln(11)
    pdf.text(
        9, f"Purchase order: {invoice.po_number or 'None quoted'}", w=full, h=5, new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(pdf.body_font, "", 9)
    reason = f"Reason: {note.reason}".replace("—", pdf.dash)
    pdf.multi_cell(full, 5, reason, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _line_table(pdf, note.lines)
    _totals(
        pdf,
        [("Net", note.net_total), ("VAT", note.vat_total), ("Total credited", note.total)],
        bold=("Total credited",),
    )
    after = (
        f"This credit note reduces what is owed on invoice {invoice.number} by {format_pence(note.total)}. "
        "Nothing is to be paid against it."
    )
    pdf.set_font(pdf.body_font, "", 9)
    pdf.multi_cell(full, 5, after, align="L", new_x="LMARGIN", new_y="NEXT")
    _exemption_note(pdf, note.lines)
    return bytes(pdf.output())
