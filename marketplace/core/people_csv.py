"""CSV files meant for people (opened in a spreadsheet), one format for all of them: amounts in
pounds with two decimals and the pound sign, thousands separated (£1,234.56, -£5.00), dates
DD/MM/YYYY, headings and stored values in words. (The JSON API keeps pence and ISO dates.)"""

import csv
import io
from datetime import date, datetime

from marketplace.core.clock import LONDON
from marketplace.core.money import format_pence


def csv_money(pence: int | None) -> str:
    """12345 -> '£123.45' (the same as every page); None -> ''."""
    return "" if pence is None else format_pence(pence)


def csv_date(day: date | datetime | None) -> str:
    """A date as UK spreadsheets read it: 05/12/2026; a timestamp by its London date."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.astimezone(LONDON).date()
    return day.strftime("%d/%m/%Y")


def write_csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
