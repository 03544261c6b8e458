"""Domain errors and how they reach people and programs.

Operations raise these; the JSON API turns them into CONTRACT.md's error shape and HTML pages
into a friendly page or a GOV.UK error summary. No stack trace ever reaches a person.
"""

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return {"error": body}


class ValidationFailed(DomainError):
    """Bad input (rule 8): names the fields; nothing is written."""

    status = 422
    code = "validation_failed"


class Conflict(DomainError):
    """The request is well formed but the world says no: capacity, money, state."""

    status = 409
    code = "conflict"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorised(DomainError):
    status = 401
    code = "unauthorised"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorised",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/openreferral")


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    if wants_json():
        body = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        return jsonify({"error": body}), status
    return render_template("core/error.html", status=status, message=message, fields=fields or {}), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(err: DomainError):
        from marketplace.core.db import db

        db.session.rollback()
        return error_response(err.status, err.code, err.message, err.fields)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        status = err.code or 500
        message = err.description or err.name
        return error_response(status, _HTTP_CODES.get(status, "error"), message)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        from marketplace.core.db import db

        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise err
        return error_response(
            500, "internal_error", "Sorry, something went wrong on our side. Please try again."
        )


def register_conflict(app: Flask, error_class: type[Exception]) -> None:
    """Answer `error_class` as a 409 naming its `code` and `message`, rolling back as a DomainError
    does: for refusals raised by code that knows nothing of Flask (the ledger's LedgerError)."""

    @app.errorhandler(error_class)
    def _conflict(err):
        from marketplace.core.db import db

        db.session.rollback()
        return error_response(409, err.code, err.message)
