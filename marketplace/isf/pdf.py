"""ISF statements and review packs as PDF (fpdf2), with DejaVu for "£" when it is installed."""

from pathlib import Path

from fpdf import FPDF

from marketplace.core.money import format_bp, format_pence
from marketplace.core.templating import state_label, uk_date

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


class _Document(FPDF):
    def __init__(self, title: str):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_auto_page_break(auto=True, margin=15)
        self.unicode = (DEJAVU / "DejaVuSans.ttf").exists() and (DEJAVU / "DejaVuSans-Bold.ttf").exists()
        if self.unicode:
            self.add_font("DejaVu", "", str(DEJAVU / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
        self.family_name = "DejaVu" if self.unicode else "Helvetica"
        self.add_page()
        self.set_title(title)
        self.heading(title, 15)

    def money(self, pence: int) -> str:
        return format_pence(pence) if self.unicode else "GBP " + format_pence(pence, symbol=False)

    def text_safe(self, text: str) -> str:
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def heading(self, text: str, size: int = 12) -> None:
        self.set_font(self.family_name, "B", size)
        self.multi_cell(0, 8, self.text_safe(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family_name, "", 9)

    def para(self, text: str) -> None:
        self.set_font(self.family_name, "", 9)
        self.multi_cell(0, 5, self.text_safe(text), new_x="LMARGIN", new_y="NEXT")

    def table(self, header: list[str], rows: list[list[str]], widths: list[int]) -> None:
        self.set_font(self.family_name, "B", 8)
        for text, width in zip(header, widths, strict=True):
            self.cell(width, 6, self.text_safe(text), border=1)
        self.ln()
        self.set_font(self.family_name, "", 8)
        for row in rows:
            for text, width in zip(row, widths, strict=True):
                self.cell(width, 5, self.text_safe(str(text))[: int(width * 0.6)], border=1)
            self.ln()
        self.ln(3)


def _totals(doc: _Document, s: dict) -> None:
    m = doc.money
    doc.table(
        ["", "Available", "Contingency"],
        [
            ["Opening", m(s["opening"]["available"]), m(s["opening"]["contingency"])],
            ["Closing", m(s["closing"]["available"]), m(s["closing"]["contingency"])],
        ],
        [60, 50, 50],
    )
    doc.table(
        ["Receipts", "Set aside", "Drawn", "Top-slice", "Delivery", "Released", "Shortfall"],
        [
            [
                m(s[k])
                for k in (
                    "receipts",
                    "contingency_set_aside",
                    "drawn",
                    "top_slice",
                    "delivery",
                    "contingency_released",
                    "shortfall",
                )
            ]
        ],  # fmt: skip
        [27, 27, 27, 27, 27, 27, 27],
    )


def statement_pdf(isf, s: dict) -> bytes:
    """The statement: balances, totals, each funder's share and every line."""
    doc = _Document(f"ISF statement: {isf.budget.child.name}, held by {isf.provider.name}")
    doc.para(f"Period {uk_date(s['from'])} to {uk_date(s['to'])}. Top-slice {format_bp(isf.top_slice_bp)} "
             f"of every drawdown; contingency {format_bp(isf.contingency_bp)} of every receipt.")  # fmt: skip
    _totals(doc, s)
    doc.heading("By funder")
    doc.table(
        ["Funder", "Stream", "Receipts", "Set aside", "Share of drawn"],
        [
            [
                f["funder"],
                state_label(f["stream"]),
                doc.money(f["receipts"]),
                doc.money(f["contingency_set_aside"]),
                doc.money(f["share_of_drawn"]),
            ]
            for f in s["funders"]
        ],  # fmt: skip
        [60, 30, 30, 30, 30],
    )
    doc.heading("Lines")
    doc.table(
        ["Date", "Description", "Amount", "Available", "Contingency"],
        [
            [
                ln["date"].strftime("%d/%m/%Y"),
                ln["description"][:70],
                doc.money(ln["amount"]),
                doc.money(ln["available_change"]),
                doc.money(ln["contingency_change"]),
            ]
            for ln in s["lines"]
        ],  # fmt: skip
        [20, 100, 22, 22, 22],
    )
    return bytes(doc.output())


def review_pdf(isf, r: dict) -> bytes:
    """The quarterly review pack."""
    s = r["statement"]
    doc = _Document(f"ISF quarterly review: {isf.budget.child.name}, held by {isf.provider.name}")
    doc.para(f"Period {uk_date(s['from'])} to {uk_date(s['to'])}.")
    doc.heading("Spend against plan")
    doc.para(f"Planned {doc.money(r['planned'])} over {r['weeks_planned']} weeks; drawn {doc.money(r['drawn'])} "
             f"(variance {doc.money(r['variance'])}). Top-slice disclosed: {doc.money(s['top_slice'])} "
             f"({format_bp(isf.top_slice_bp)} of every drawdown).")  # fmt: skip
    if r["weeks_not_run"]:
        doc.para(f"The weekly drawdown has not yet run for {len(r['weeks_not_run'])} week(s) that were due: "
                 f"{doc.money(r['spoken_for'])} is kept for them, and they are left out of the variance and "
                 "the surplus.")  # fmt: skip
    _totals(doc, s)
    doc.heading("Contingency used and why")
    rows = [
        [state_label(rel.status), doc.money(rel.amount), rel.reason[:60], rel.decision_note or ""]
        for rel in r["releases"]
    ]
    doc.table(["Status", "Amount", "Reason", "Decision"], rows or [["None", "", "", ""]], [25, 25, 80, 60])
    doc.heading("Outcomes")
    outcomes = [[o.description[:70], state_label(o.time_frame), uk_date(o.review_date), state_label(o.status)]
                for o in r["outcomes"]]  # fmt: skip
    doc.table(
        ["Outcome", "Time frame", "Review", "Status"],
        outcomes or [["None recorded", "", "", ""]],
        [95, 30, 30, 35],
    )
    doc.heading("Surplus")
    doc.para(f"Surplus: {r['surplus_tenths_of_weeks'] // 10}.{r['surplus_tenths_of_weeks'] % 10} weeks of budget "
             f"(clawback threshold {r['threshold_weeks']} weeks). Projected in 13 weeks: "
             f"{doc.money(r['projected_available'])}.")  # fmt: skip
    if r["clawback_warning"]:
        doc.para(
            "Warning: the surplus is heading past the council's clawback threshold within the next quarter."
        )
    return bytes(doc.output())
