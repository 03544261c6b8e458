"""Reading a remittance advice CSV: four columns found by their header names (case, spaces and
punctuation ignored; see `HEADERS`), in any order, other columns ignored. Tolerant of what
councils' finance systems and spreadsheets write: a byte-order mark, Windows-1252 "£", `;` or
tab separators, blank lines, "£" signs and thousands separators in amounts, UK dates (05/12/2026,
5/12/26, 5 December 2026, 5 Dec 2026) and ISO dates (2026-12-05), with or without a time.

A file that cannot be read as a remittance at all (empty, no header row, a column missing or
named twice, too many lines) raises `BadFile`, naming the row and column. A line whose amount or
date cannot be read is kept, with its problem in `RemittanceLine.problems` (column -> message):
it will not be recorded, and the rest of the file still can be."""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from marketplace.core.money import parse_pounds

MAX_LINES = 2000
MAX_CELL = 200

# column -> (its name for people, the header names accepted, normalised: lower case, words only)
HEADERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "invoice_number": (
        "Invoice number",
        (
            "invoice number", "invoice no", "invoice", "invoice num", "invoice ref", "invoice reference",
            "inv no", "our ref", "our reference", "supplier invoice number", "supplier invoice no",
        ),
    ),
    "amount": ("Amount", ("amount", "amount paid", "paid", "payment amount", "amount gbp", "value", "net paid")),
    "reference": (
        "Payment reference",
        (
            "payment reference", "payment ref", "reference", "ref", "remittance ref", "remittance reference",
            "remittance number", "remittance no", "bacs reference",
        ),
    ),
    "date": ("Date", ("date", "payment date", "paid on", "date paid", "remittance date", "payment made")),
}  # fmt: skip
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_DATES = (
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d %B %y",
    "%d %b %y",
    "%Y-%m-%d",
)


class BadFile(ValueError):
    """The file is not a remittance we can read; `problems` maps a field to messages."""

    def __init__(self, *messages: str):
        super().__init__(messages[0])
        self.messages = list(messages)


@dataclass
class RemittanceLine:
    """One line of the file as written, and what could be read from it."""

    row: int
    invoice_number: str
    amount_text: str
    reference: str
    date_text: str
    amount: int | None = None
    paid_on: date | None = None
    problems: dict[str, str] = field(default_factory=dict)

    def cells(self) -> list:
        return [self.row, self.invoice_number, self.amount_text, self.reference, self.date_text]


def normalise(header: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", header.lower()).split())


def column_names() -> dict[str, str]:
    return {key: name for key, (name, _) in HEADERS.items()}


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252 as Excel writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_amount(text: str) -> int:
    """'£1,234.56', '1234.5', 'GBP 393.33' as pence; more than zero."""
    cleaned = re.sub(r"^(gbp|£)\s*|\s*(gbp)$", "", text.strip(), flags=re.IGNORECASE).replace(" ", "")
    if cleaned.startswith("-") or cleaned.startswith("("):
        raise ValueError(f"{text} is not an amount received (it is negative)")
    try:
        pence = parse_pounds(cleaned)
    except ValueError:
        raise ValueError(f"{text or 'nothing'} is not an amount in pounds and pence, like 393.33") from None
    if pence == 0:
        raise ValueError("The amount is £0.00")
    return pence


def parse_date(text: str) -> date:
    """A UK or ISO date, perhaps with a time after it (spreadsheets add 00:00)."""
    cleaned = _TIME.sub("", " ".join(text.split()))
    for pattern in _DATES:
        try:
            day = datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
        if day.year >= 1900:
            return day
    raise ValueError(f"{text or 'nothing'} is not a date, like 05/12/2026 or 5 December 2026")


def read_remittance(data: bytes) -> list[RemittanceLine]:
    """The file's lines (blank ones skipped), numbered as a spreadsheet numbers its rows (the
    header is row 1). Raises BadFile when the file cannot be read as a remittance."""
    text = decode(data)
    if not text.strip():
        raise BadFile("The file is empty: choose the remittance advice CSV file")
    if "\x00" in text:
        raise BadFile("The file is not a CSV file: save the remittance as CSV and try again")
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns, lines = None, []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if columns is None:
                columns = _columns(cells, reader.line_num)
                continue
            if len(lines) >= MAX_LINES:
                raise BadFile(f"The file has more than {MAX_LINES} lines: split it into smaller files")
            lines.append(_line(cells, columns, reader.line_num))
    except csv.Error as err:
        raise BadFile(f"Row {reader.line_num}: the file cannot be read as CSV ({err})") from None
    if not lines:
        raise BadFile("The file has a header row but no lines under it")
    return lines


def _columns(cells: list[str], row: int) -> dict[str, int]:
    """Which cell of each row holds each column, from the header row."""
    accepted = {name: key for key, (_, names) in HEADERS.items() for name in names}
    found: dict[str, int] = {}
    problems = []
    for index, cell in enumerate(cells):
        key = accepted.get(normalise(cell))
        if key is None:
            continue
        if key in found:
            problems.append(
                f"Row {row}: columns {found[key] + 1} ({cells[found[key]].strip()}) and {index + 1} "
                f"({cell.strip()}) are both the {HEADERS[key][0].lower()}: keep one"
            )
        found.setdefault(key, index)
    for key, (name, names) in HEADERS.items():
        if key not in found:
            problems.append(
                f"Row {row}: no column for the {name.lower()}. Name it one of: "
                + ", ".join(f'"{n.capitalize()}"' for n in names[:4])
            )
    if problems:
        raise BadFile(*problems)
    return found


def _cell(cells: list[str], index: int) -> str:
    return cells[index].strip()[:MAX_CELL] if index < len(cells) else ""


def _line(cells: list[str], columns: dict[str, int], row: int) -> RemittanceLine:
    line = RemittanceLine(row, *(_cell(cells, columns[key]) for key in HEADERS))
    read_line(line)
    return line


def read_line(line: RemittanceLine) -> RemittanceLine:
    """Read the amount and date of a line's cells; each problem named by its column."""
    names = column_names()
    line.problems = {}
    if not line.invoice_number:
        line.problems[names["invoice_number"]] = "No invoice number"
    try:
        line.amount = parse_amount(line.amount_text)
    except ValueError as err:
        line.problems[names["amount"]] = str(err)
    if not line.reference:
        line.problems[names["reference"]] = "No payment reference"
    elif len(line.reference) > 120:
        line.problems[names["reference"]] = "The payment reference is longer than 120 characters"
    try:
        line.paid_on = parse_date(line.date_text)
    except ValueError as err:
        line.problems[names["date"]] = str(err)
    return line


def line_from_cells(cells: list) -> RemittanceLine:
    """A line kept between the preview and the confirmation, read again."""
    row, invoice_number, amount_text, reference, date_text = cells
    return read_line(
        RemittanceLine(int(row), str(invoice_number), str(amount_text), str(reference), str(date_text))
    )
