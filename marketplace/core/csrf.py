"""CSRF protection for every HTML form: a per-session token checked on each unsafe request.

The JSON API is exempt when a valid bearer token authenticated the call (a header merely
starting "Bearer " is not enough); with a session cookie it requires Content-Type
application/json (which a cross-site form cannot send) or the token in X-CSRF-Token. The token
is made afresh for every new session (sign-in clears the session).
"""

import hmac
import secrets

from flask import Flask, request, session

from marketplace.core.auth import authenticated_by_token
from marketplace.core.errors import DomainError

SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


class CsrfFailed(DomainError):
    status = 400
    code = "csrf_failed"


def csrf_token() -> str:
    if "_csrf" not in session:
        session["_csrf"] = secrets.token_urlsafe(32)
    return session["_csrf"]


def csrf_exempt(view):
    """Mark a view that is authenticated otherwise (a webhook's signature), not by the session:
    it takes no CSRF token."""
    view.csrf_exempt = True
    return view


def register_csrf(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def _check_csrf():
        if request.method in SAFE_METHODS or not app.config.get("CSRF_ENABLED", True):
            return
        if getattr(app.view_functions.get(request.endpoint or ""), "csrf_exempt", False):
            return
        if request.path.startswith("/api/"):
            if authenticated_by_token():
                return
            if request.is_json:
                return
            sent = request.headers.get("X-CSRF-Token", "")
            if sent and hmac.compare_digest(sent, session.get("_csrf", "")):
                return
            raise CsrfFailed("Send JSON to the API (Content-Type: application/json), or use a bearer token.")
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
        expected = session.get("_csrf", "")
        if not expected or not hmac.compare_digest(sent, expected):
            raise CsrfFailed(
                "This form has expired or was not sent from our site. Go back, reload the page and try again."
            )
