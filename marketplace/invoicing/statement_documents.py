"""A statement of account as CSV and PDF, for people: amounts as £1,234.56, dates as a UK finance
team writes them (31/01/2027 in the CSV and the PDF's table, "31 January 2027" in its headings),
kinds by their label. The same figures as the page (statements.statement)."""

import csv
import io

from marketplace.accounts.models import Organisation
from marketplace.core.money import format_pence
from marketplace.invoicing.pdf import _address, _InvoicePDF
from marketplace.invoicing.statements import Statement

CSV_COLUMNS = ["Date", "Details", "Reference", "Charges", "Payments and credits", "Balance"]


def _short(day) -> str:
    return day.strftime("%d/%m/%Y")


def _long(day) -> str:
    return day.strftime("%-d %B %Y")


def _money(pence: int) -> str:
    return format_pence(pence) if pence else ""


def rows(stmt: Statement) -> list[list[str]]:
    """The statement's table: the opening balance, a row per line, the closing balance."""
    table = [[_short(stmt.start), "Opening balance", "", "", "", format_pence(stmt.opening)]]
    for line in stmt.lines:
        table.append(
            [
                _short(line.day),
                line.label,
                line.reference,
                _money(line.charge),
                _money(line.reduction),
                format_pence(line.balance),
            ]
        )
    table.append([_short(stmt.end), "Closing balance", "", "", "", format_pence(stmt.closing)])
    return table


def statement_csv(stmt: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows(stmt))
    return out.getvalue()


def filename(stmt: Statement, extension: str) -> str:
    payer = getattr(stmt.payer, "slug", stmt.payer.id)
    return (
        f"statement-{stmt.provider.slug}-{payer}-{stmt.start.isoformat()}-{stmt.end.isoformat()}.{extension}"
    )


def _party(party) -> list[str]:
    if not isinstance(party, Organisation):
        return [party.name]
    lines = [party.legal_name or party.name] + _address(party)
    return lines + ([party.finance_email] if party.finance_email else [])


PDF_COLUMNS = [  # (heading, width mm, align): 180 mm, A4 less the margins
    ("Date", 22, "L"),
    ("Details", 34, "L"),
    ("Reference", 40, "L"),
    ("Charges", 26, "R"),
    ("Payments and credits", 32, "R"),
    ("Balance", 26, "R"),
]


def statement_pdf(stmt: Statement) -> bytes:
    pdf = _InvoicePDF()
    pdf.set_title(f"Statement of account: {stmt.provider.name} and {stmt.payer.name}")
    pdf.set_author(stmt.provider.name)
    pdf.add_page()
    full = pdf.epw
    pdf.text(20, "STATEMENT OF ACCOUNT", "B", w=full, h=10, new_x="LMARGIN", new_y="NEXT")
    pdf.text(10, f"{_long(stmt.start)} to {_long(stmt.end)}", w=full, h=6, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    top = pdf.get_y()
    for x, heading, party in ((15, "From", stmt.provider), (15 + full / 2, "To", stmt.payer)):
        pdf.set_xy(x, top)
        pdf.text(9, heading, "B", w=full / 2, h=5, new_x="LEFT", new_y="NEXT")
        for line in _party(party):
            pdf.text(9, line, w=full / 2, h=4.5, new_x="LEFT", new_y="NEXT")
    pdf.set_xy(15, max(pdf.get_y(), top + 30))
    pdf.ln(3)

    pdf.set_fill_color(222, 224, 226)
    for heading, width, align in PDF_COLUMNS:
        pdf.text(7.5, heading, "B", w=width, h=6, align=align, fill=True)
    pdf.ln(6)
    for row in rows(stmt):
        bold = "B" if row[1] in ("Opening balance", "Closing balance") else ""
        pdf.set_font(pdf.body_font, bold, 8)
        cells = [_wrap(pdf, value, width) for (_, width, _), value in zip(PDF_COLUMNS, row, strict=True)]
        height = 4 * max(len(lines) for lines in cells) + 1
        if pdf.will_page_break(height):
            pdf.add_page()
        for n in range(max(len(lines) for lines in cells)):
            for (_, width, align), lines in zip(PDF_COLUMNS, cells, strict=True):
                pdf.text(8, lines[n] if n < len(lines) else "", bold, w=width, h=4, align=align)
            pdf.ln(4)
        pdf.ln(1)
    pdf.ln(4)
    owed = "owed to" if stmt.closing >= 0 else "in credit with"
    pdf.text(
        10,
        f"{stmt.payer.name}: {format_pence(abs(stmt.closing))} {owed} {stmt.provider.name} on {_long(stmt.end)}",
        "B",
        w=full,
        h=7,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    bank = _bank(stmt.provider)
    if bank and stmt.closing > 0:
        pdf.set_font(pdf.body_font, "", 9)
        pdf.multi_cell(full, 5, bank, align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _wrap(pdf, value: str, width: float) -> list[str]:
    """The value in as many lines as its column needs, never cut short: a payment's reference
    names the invoices it paid, which the payer needs to reconcile the statement."""
    if not value:
        return [""]
    return pdf.multi_cell(width, 4, value, dry_run=True, output="LINES")


def _bank(org: Organisation) -> str | None:
    if not (org.bank_account_name and org.bank_sort_code and org.bank_account_number):
        return None
    return (
        f"Please pay by bank transfer to {org.bank_account_name}, sort code {org.bank_sort_code}, "
        f"account number {org.bank_account_number}, quoting the invoice numbers."
    )
