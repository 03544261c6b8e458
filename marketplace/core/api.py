"""The JSON API root (/api/v1): every domain's api blueprint is nested in `api`."""

from flask import Blueprint, jsonify, request

from marketplace.core.errors import ValidationFailed


def build_api(children: list[Blueprint]) -> Blueprint:
    """A fresh /api/v1 blueprint holding every domain's API (fresh per app, so tests can make many)."""
    api = Blueprint("api", __name__, url_prefix="/api/v1")
    api.add_url_rule("/openapi.json", view_func=openapi_document)
    for child in children:
        api.register_blueprint(child)
    return api


def json_body() -> dict:
    """The request's JSON object, or a clear 400/422 if there is none."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ValidationFailed(
            "Send a JSON object with Content-Type: application/json",
            fields={"_schema": ["Expected a JSON object"]},
        )
    return data


def page_args(default_per_page: int = 20, max_per_page: int = 100) -> tuple[int, int]:
    """?page=&per_page= parsed strictly."""
    errors = {}
    values = {}
    for name, default, top in (("page", 1, 10**6), ("per_page", default_per_page, max_per_page)):
        raw = request.args.get(name, "")
        if raw == "":
            values[name] = default
            continue
        if not raw.isdigit() or not 1 <= int(raw) <= top:
            errors[name] = [f"Must be a whole number from 1 to {top}"]
        else:
            values[name] = int(raw)
    if errors:
        raise ValidationFailed("Check the paging parameters", fields=errors)
    return values["page"], values["per_page"]


def openapi_document():
    from marketplace.core.openapi import build_document

    return jsonify(build_document())


def _describe_document() -> None:
    from marketplace.core.openapi import DocumentOut, describe

    describe("get", "/openapi.json", "This OpenAPI 3 document", response=DocumentOut, public=True, errors=())(
        openapi_document
    )


_describe_document()
