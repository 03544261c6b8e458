"""Jinja filters shared by every page."""

import calendar
import re
from datetime import date, datetime

from flask import Flask

from marketplace.core.clock import LONDON
from marketplace.core.money import format_bp, format_pence
from marketplace.core.schemas import example_date


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(LONDON).strftime("%-d %B %Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%-d %B %Y")
    if isinstance(value, str) and len(value) == 10:  # an ISO date kept as text (an audit entry's detail)
        try:
            return date.fromisoformat(value).strftime("%-d %B %Y")
        except ValueError:
            pass
    return str(value)


uk_date = _date  # for text outside templates (the command line)


_LABELS: dict[str, str] = {}


def register_labels(labels: dict) -> None:
    """Name stored values for people ({"in_home_care": "Care at home"}): domains call this for
    their enums whose label is not just the value with spaces, so a bare string from a JSON column
    or a query reads the same as the enum member."""
    for key, text in labels.items():
        _LABELS[str(getattr(key, "value", key))] = text


def state_label(value) -> str:
    """A stored value as a person reads it: its registered label ("in_home_care" -> "Care at
    home"), else the value in words ("no_show" -> "No show"); never the stored value."""
    if value is None:
        return ""
    if isinstance(getattr(type(value), "label", None), property):  # an enum with its own labels
        return value.label
    return value_words(value)


def value_words(value) -> str:
    """The registered label of a stored value, else the value in words: "no_show" -> "No show"."""
    raw = str(getattr(value, "value", value))
    return _LABELS.get(raw) or raw.replace("_", " ").capitalize()


def labels(values, sep: str = ", ") -> str:
    """Several stored values as a list a person reads: "Overnight short break, care at home"."""
    words = [state_label(v) for v in values or ()]
    return sep.join(w if i == 0 else _lower_first(w) for i, w in enumerate(words))


_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def changed_value(value, field: str = "") -> str:
    """One side of a recorded change (an amendment's old or new value) as a person reads it:
    amounts in pounds, basis points as a percentage, dates UK style, stored values as labels."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int) and (
        field == "amount" or field.endswith("_amount") or field.endswith("_pence")
    ):
        return format_pence(value)
    if isinstance(value, int) and field.endswith("_bp"):
        return format_bp(value)
    if isinstance(value, int) and field.endswith("weekday") and 0 <= value <= 6:
        return calendar.day_name[value]
    if isinstance(value, str) and _ISO_DAY.match(value):
        return _date(date.fromisoformat(value))
    if isinstance(value, (date, datetime)):
        return _date(value)
    if isinstance(value, (list, tuple)):
        return labels(value)
    if isinstance(value, str) and "_" in value:
        return state_label(value)
    return str(value)


def _lower_first(text: str) -> str:
    # keep names such as "NHS" whole; only an ordinary capitalised word is lowered mid-list
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_pence
    app.jinja_env.filters["bp"] = format_bp
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["label"] = state_label
    app.jinja_env.filters["labels"] = labels
    app.jinja_env.filters["changed_value"] = changed_value
    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["example_date"] = example_date


_NAV: list[tuple[str, str, frozenset[str] | None]] = []


def register_nav(endpoint: str, label: str, roles: tuple[str, ...] | None = None) -> None:
    """Add a link to the service navigation (domains call this when their blueprint registers).
    `roles` limits it to signed-in users with one of those roles; None shows it to everyone."""
    item = (endpoint, label, frozenset(roles) if roles is not None else None)
    if item not in _NAV:
        _NAV.append(item)


def nav_items() -> list[tuple[str, str]]:
    """(endpoint, label) of the links the current visitor can use: a link to a page that would
    only send them to sign in, or refuse them, is not shown."""
    from flask_login import current_user

    role = current_user.role.value if current_user.is_authenticated else None
    return [(endpoint, label) for endpoint, label, roles in _NAV if roles is None or role in roles]
