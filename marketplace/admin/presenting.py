"""How an audit entry's details read on the page: money as £1,234.56, percentages as 5%, dates
UK style and stored values as words — never pence, ISO dates or enum values."""

import re
from datetime import date

from marketplace.core.money import format_bp, format_pence
from marketplace.core.templating import state_label, uk_date

MONEY_WORDS = ("amount", "allocated", "total", "charge", "pence", "price", "cost", "balance", "held",
               "spent", "available", "interest", "compensation", "shortfall", "paid", "due", "fee")  # fmt: skip
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
WORD = re.compile(r"^[a-z][a-z_]*$")


def _value(key: str, value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int) and key.endswith("bp"):
        return format_bp(value)
    if isinstance(value, int) and any(word in key for word in MONEY_WORDS):
        return format_pence(value)
    if isinstance(value, list | tuple):
        return ", ".join(_value(key, v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{label}: {text}" for label, text in describe(value))
    if isinstance(value, str) and ISO_DATE.match(value):
        try:
            return uk_date(date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, str) and WORD.match(value):
        return state_label(value)
    return str(value)


def describe(detail: dict | None) -> list[tuple[str, str]]:
    """(label, text) for each item of an audit entry's detail."""
    return [
        (state_label(key.removesuffix("_bp")), _value(key.lower(), value))
        for key, value in (detail or {}).items()
    ]
