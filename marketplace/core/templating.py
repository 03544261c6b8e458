"""Jinja filters shared by every page."""

from datetime import date, datetime

from flask import Flask

from marketplace.core.clock import LONDON
from marketplace.core.money import format_bp, format_pence


def _date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(LONDON).strftime("%-d %B %Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%-d %B %Y")
    return str(value)


uk_date = _date  # for text outside templates (the command line)


def state_label(value) -> str:
    """A state as a person reads it: "no_show" -> "No show" (never the stored value)."""
    if value is None:
        return ""
    raw = getattr(value, "value", value)
    return str(raw).replace("_", " ").capitalize()


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_pence
    app.jinja_env.filters["bp"] = format_bp
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["label"] = state_label
    app.jinja_env.globals["nav_items"] = nav_items


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
