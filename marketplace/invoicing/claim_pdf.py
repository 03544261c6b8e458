"""The claim a provider sends for late payment of one invoice (a PDF): the invoice, its due date,
how many days overdue it is, what is outstanding, the rate, the statutory interest and the fixed
compensation, the total claimable and the Act that gives the right to them. Laid out with the
invoice PDF's helpers, amounts as £1,234.56 and UK dates."""

from fractions import Fraction

from marketplace.core.money import format_bp, format_pence
from marketplace.invoicing.late_payment import ACT, LatePayment, round_half_up
from marketplace.invoicing.models import Invoice
from marketplace.invoicing.pdf import _buyer_lines, _InvoicePDF, _remittance, _seller_lines, _short, _uk


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def _exact_pounds(pence: Fraction) -> str:
    """Exact pence as pounds to four places (£3.8794), rounded half up: how the total builds up."""
    ten_thousandths = round_half_up(pence * 100)
    pounds, rest = divmod(ten_thousandths, 10_000)
    return f"£{pounds:,}.{rest:04d}"


def _parties(pdf: _InvoicePDF, invoice: Invoice) -> None:
    full = pdf.epw
    top = pdf.get_y()
    pdf.text(9, "From", "B", w=full / 2, h=5, new_x="LMARGIN", new_y="NEXT")
    for line in _seller_lines(invoice):
        pdf.text(9, line, w=full / 2, h=4.5, new_x="LMARGIN", new_y="NEXT")
    bottom = pdf.get_y()
    pdf.set_xy(15 + full / 2, top)
    pdf.text(9, "To", "B", w=full / 2, h=5, new_x="LEFT", new_y="NEXT")
    for line in _buyer_lines(invoice):
        pdf.text(9, line, w=full / 2, h=4.5, new_x="LEFT", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), bottom) + 5)


def _rows(pdf: _InvoicePDF, rows: list[tuple[str, str]], bold: tuple[str, ...] = ()) -> None:
    for label, value in rows:
        style = "B" if label in bold else ""
        pdf.text(10, label, style, w=70, h=6.5)
        pdf.set_font(pdf.body_font, style, 10)  # a long value wraps within its column
        pdf.multi_cell(pdf.epw - 70, 6.5, value, new_x="LMARGIN", new_y="NEXT")


def _periods(pdf: _InvoicePDF, claim: LatePayment) -> None:
    """How the interest was worked out, period by period (the outstanding amount or rate changed)."""
    pdf.ln(3)
    pdf.text(10, "How the interest is worked out", "B", w=pdf.epw, h=7, new_x="LMARGIN", new_y="NEXT")
    pdf.set_fill_color(222, 224, 226)
    widths = (60, 22, 36, 22, 40)
    headings = ("Days", "Number", "Outstanding", "Rate", "Interest (exact)")
    for heading, width in zip(headings, widths, strict=True):
        pdf.text(8, heading, "B", w=width, h=6, fill=True, align="L" if heading == "Days" else "R")
    pdf.ln(6)
    for period in claim.periods:
        exact = period.interest
        values = (
            f"{_short(period.first_day)} to {_short(period.last_day)}",
            str(period.days),
            format_pence(period.outstanding),
            format_bp(period.statutory_bp),
            _exact_pounds(exact),
        )
        for value, width, heading in zip(values, widths, headings, strict=True):
            pdf.text(8, value, w=width, h=5, align="L" if heading == "Days" else "R")
        pdf.ln(5)
    pdf.set_font(pdf.body_font, "", 8)
    pdf.multi_cell(
        pdf.epw,
        4.5,
        "Simple interest accrues daily on the amount outstanding each day, over a 365-day year; "
        "the total is rounded to the nearest penny once.",
        new_x="LMARGIN",
        new_y="NEXT",
    )


def claim_pdf(invoice: Invoice, claim: LatePayment) -> bytes:
    """The claim for `invoice` as `claim` (late_payment.for_invoice) works it out on its date."""
    pdf = _InvoicePDF()
    pdf.set_title(f"Claim for late payment of invoice {invoice.number}")
    pdf.set_author(invoice.issuer.name)
    pdf.add_page()
    full = pdf.epw
    pdf.text(18, "CLAIM FOR LATE PAYMENT", "B", w=full * 0.65, h=10)
    pdf.text(11, f"Invoice {invoice.number}", "B", w=full * 0.35, h=10, align="R")
    pdf.ln(12)
    _parties(pdf, invoice)

    pdf.set_font(pdf.body_font, "", 10)
    pdf.multi_cell(
        full,
        5.5,
        f"Invoice {invoice.number} was due on {_uk(invoice.due_date)} and "
        f"{'is unpaid' if claim.outstanding == invoice.total else 'has not been paid in full'}. Under the {ACT} "
        f"we claim statutory interest and fixed compensation on it, as at {_uk(claim.on)}.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    _rows(
        pdf,
        [
            ("Invoice number", invoice.number),
            ("Purchase order", invoice.po_number or "None quoted"),
            ("Issue date", _uk(invoice.issue_date)),
            ("Due date", _uk(invoice.due_date)),
            ("Date of this claim", _uk(claim.on)),
            ("Days overdue", _days(claim.days_overdue)),
            ("Invoice total", format_pence(invoice.total)),
            ("Amount outstanding", format_pence(claim.outstanding)),
            (
                "Reference rate",
                f"{format_bp(claim.rate.reference_bp)} (Bank of England base rate for {claim.rate.half_year})",
            ),
            (
                "Statutory interest rate",
                f"{format_bp(claim.rate.statutory_bp)} a year (8% over the reference rate)",
            ),
            ("Statutory interest", format_pence(claim.interest)),
            ("Fixed compensation", format_pence(claim.compensation)),
            ("Total claimable", format_pence(claim.claimable)),
            ("With the amount outstanding", format_pence(claim.outstanding + claim.claimable)),
        ],
        bold=("Total claimable", "With the amount outstanding"),
    )
    if claim.periods:
        _periods(pdf, claim)
    pdf.ln(4)
    terms = (
        f"Please pay {format_pence(claim.outstanding + claim.claimable)}, quoting invoice {invoice.number}"
        + (f" and purchase order {invoice.po_number}" if invoice.po_number else "")
        + ". Interest continues to accrue daily until the invoice is paid."
    )
    bank = _remittance(invoice)
    if bank:
        terms += f" {bank}."
    pdf.set_font(pdf.body_font, "", 9)
    pdf.multi_cell(full, 5, terms, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(pdf.body_font, "", 8)
    pdf.multi_cell(
        full,
        4.5,
        f"The fixed compensation is set by the {ACT}: £40 for a debt under £1,000, £70 under £10,000 "
        "and £100 otherwise, once per invoice.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(pdf.output())


def claim_filename(invoice: Invoice) -> str:
    return f"late-payment-claim-{invoice.number}.pdf"
