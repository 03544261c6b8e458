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


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["money"] = format_pence
    app.jinja_env.filters["bp"] = format_bp
    app.jinja_env.filters["date"] = _date
    app.jinja_env.globals["nav_items"] = nav_items


_NAV: list[tuple[str, str]] = []


def register_nav(endpoint: str, label: str) -> None:
    """Add a link to the service navigation (domains call this when their blueprint registers)."""
    if (endpoint, label) not in _NAV:
        _NAV.append((endpoint, label))


def nav_items() -> list[tuple[str, str]]:
    return list(_NAV)
