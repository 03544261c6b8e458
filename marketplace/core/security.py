"""Request hardening and response headers, for every page and API route.

- Input no database can store is refused before any view runs: a NUL byte anywhere in the path,
  the query string, a form or a JSON body (PostgreSQL rejects it in text), and JSON nested
  deeper than `MAX_JSON_DEPTH` (Python's parser would otherwise run out of stack). The answer is
  a 422 naming the field: the JSON error shape for the API, the error page with its summary for
  pages. Nothing is written.
- Every response carries a Content-Security-Policy without inline script, frame-ancestors
  'none', nosniff and a Referrer-Policy; HSTS when served over HTTPS. Budgets, ISFs and invoices
  (pages, documents and JSON) and every response to a signed-in caller are `no-store`.
"""

import json
from typing import Any

from flask import Flask, request
from flask_login import current_user

from marketplace.core.errors import ValidationFailed

MAX_JSON_DEPTH = 32
NUL = "\x00"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # style attributes only (bar widths in the budget and ISF charts); no inline <style>
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"
# Blueprints whose every answer is a budget, an ISF or an invoice (HTML, CSV, PDF, XML or JSON).
PRIVATE_BLUEPRINTS = ("budgets", "isf", "invoicing")


class _TooDeep(Exception):
    pass


def _refuse(field: str, message: str) -> None:
    raise ValidationFailed(message, fields={field: [message]})


def _nul_message(field: str) -> str:
    return f"{field} contains a character that is not allowed (a NUL byte)"


def _walk(value: Any, path: str, depth: int) -> None:
    """Refuse a NUL byte in any key or text of a parsed JSON body; refuse deep nesting."""
    if depth > MAX_JSON_DEPTH:
        raise _TooDeep
    if isinstance(value, str):
        if NUL in value:
            _refuse(path or "_schema", _nul_message(path or "The body"))
    elif isinstance(value, dict):
        for key, item in value.items():
            name = f"{path}.{key}" if path else str(key)
            if NUL in key:
                _refuse(
                    path or "_schema", "A field name contains a character that is not allowed (a NUL byte)"
                )
            _walk(item, name, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index), depth + 1)


def _json_depth_within_limit(raw: bytes) -> bool:
    """True when no array or object in the raw JSON text nests deeper than the limit (checked
    before parsing, which recurses once per level)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return True  # too few brackets to nest too deep: no need to walk the text
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return False
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return True


def check_request() -> None:
    if NUL in request.path:
        _refuse("_path", "The address contains a character that is not allowed (a NUL byte)")
    sources = [request.args] if request.method in ("GET", "HEAD") else [request.args, request.form]
    for source in sources:
        for key, values in source.lists():
            if NUL in key:
                _refuse("_schema", "A field name contains a character that is not allowed (a NUL byte)")
            if any(NUL in v for v in values):
                _refuse(key, _nul_message(key))
    if request.is_json:
        raw = request.get_data(cache=True)
        if not raw:
            return
        too_deep = f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)"
        if not _json_depth_within_limit(raw):
            _refuse("_schema", too_deep)
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return  # not JSON: the endpoint answers that it wants a JSON object
        try:
            _walk(data, "", 0)
        except _TooDeep:
            _refuse("_schema", too_deep)


def set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static" and _private():
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("ETag", None)
    return response


def _private() -> bool:
    # "isf", or "api.isf_api" for a domain's API nested in /api/v1
    blueprint = (request.blueprint or "").rsplit(".", 1)[-1]
    if blueprint.removesuffix("_api") in PRIVATE_BLUEPRINTS:
        return True
    try:
        return bool(current_user.is_authenticated)
    except Exception:  # no user could be loaded (e.g. the database is down): treat as private
        return True


def register_security(app: Flask) -> None:
    app.before_request(check_request)
    app.after_request(set_headers)
