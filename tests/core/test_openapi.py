"""The OpenAPI document is generated from the URL map and the marshmallow schemas: every /api/v1
route is in it, with the schemas the code uses, CONTRACT.md's error shape and its security."""

import re

from flask import Blueprint

from marketplace import create_app
from marketplace.bookings.schemas import BookingIn
from marketplace.core.openapi import api_rules, build_document, describe, path_shape


def _documented(doc):
    return {
        (path_shape(path), method)
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }


def _routes(app):
    return {(path_shape(rule.rule), method) for rule, method, _ in api_rules(app)}


def test_every_api_route_of_the_url_map_is_in_the_document(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    routes = _routes(app)
    assert len(routes) > 20
    missing = routes - _documented(doc)
    assert not missing, f"routes under /api/v1 missing from the OpenAPI document: {sorted(missing)}"
    # and nothing is documented that the app does not answer
    assert _documented(doc) - routes == set()


def test_a_new_undocumented_route_is_reported_missing(tmp_path):
    """The check above is not vacuous: an /api/v1 route without `describe` is absent from the document."""
    extra = Blueprint("extra_api", __name__)

    @extra.get("/widgets/<int:widget_id>")
    def widget(widget_id):
        return {}

    @extra.get("/gadgets")
    @describe("get", "/gadgets", "Gadgets", public=True)
    def gadgets():
        return {}

    fresh = create_app(
        {"ENV": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "x.db")}
    )
    fresh.register_blueprint(extra, url_prefix="/api/v1")
    with fresh.test_request_context():
        doc = build_document(fresh)
    assert _routes(fresh) - _documented(doc) == {("/api/v1/widgets/{}", "get")}
    assert "get" in doc["paths"]["/api/v1/gadgets"]


def test_every_route_is_documented_under_its_own_path(app):
    """`describe`'s path (CONTRACT.md's names, /offers/{id}) must have the shape of the rule it is on."""
    wrong = [
        (rule.rule, method, view.openapi.method, view.openapi.path)
        for rule, method, view in api_rules(app)
        if path_shape("/api/v1" + view.openapi.path) != path_shape(rule.rule) or view.openapi.method != method
    ]
    assert wrong == []


def test_schemas_come_from_marshmallow(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    post = doc["paths"]["/api/v1/bookings"]["post"]
    booking_in = post["requestBody"]["content"]["application/json"]["schema"]
    assert set(booking_in["properties"]) == set(BookingIn().fields)
    assert set(booking_in["required"]) == {n for n, f in BookingIn().fields.items() if f.required}
    assert booking_in["properties"]["units"]["type"] == "integer"
    assert booking_in["properties"]["units"]["maximum"] == 366  # from validate.Range
    assert booking_in["properties"]["slot_id"]["type"] == "string"  # an Id
    assert "201" in post["responses"]
    # a page of bookings, as the route answers
    ok = doc["paths"]["/api/v1/bookings"]["get"]["responses"]["200"]
    assert set(ok["content"]["application/json"]["schema"]["required"]) == {
        "items",
        "total",
        "page",
        "per_page",
    }
    # path parameters are named as CONTRACT.md names them, typed by the URL map's converter
    (param,) = doc["paths"]["/api/v1/bookings/{id}"]["parameters"]
    assert param["name"] == "id" and param["schema"]["type"] == "integer"
    (param,) = doc["paths"]["/api/v1/budgets/{id}"]["parameters"]
    assert param["schema"]["type"] == "string"  # <budget_id> has no converter


def test_errors_have_the_contract_shape_and_routes_say_who_may_call(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = error["properties"]["error"]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert set(detail["required"]) == {"code", "message"}
    create = doc["paths"]["/api/v1/bookings"]["post"]
    for status in ("401", "403", "404", "409", "422"):
        assert create["responses"][status] == {"$ref": f"#/components/responses/Error{status}"}
    assert create["security"] == [{"bearer": []}, {"session": []}]
    assert doc["paths"]["/api/v1/offers"]["get"]["security"] == []
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "session"}


def test_search_parameters_are_the_search_schema(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    names = {p["name"] for p in doc["paths"]["/api/v1/offers"]["get"]["parameters"]}
    assert {"q", "category", "max_price", "available_from", "available_to", "page", "per_page"} <= names


def test_people_can_read_the_api_reference(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<h1 class="govuk-heading-l">JSON API reference</h1>' in page
    assert "POST /api/v1/bookings" in page
    assert "<code>slot_id</code>" in page  # the request body's fields
    assert "409" in page and "Conflict" in page  # its errors
    # the introduction's code is set as code, not shown with its Markdown backticks
    assert "<code>Authorization: Bearer TOKEN</code>" in page and "`" not in page
    # no inline script (the Content-Security-Policy forbids it), nothing from a CDN
    assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", page)
    assert "cdn" not in page.lower()
    doc = client.get("/api/v1/openapi.json").get_json()
    for path in doc["paths"]:
        assert path in page


def test_the_document_says_which_routes_need_sign_in_as_the_authorisation_matrix_does(app, client):
    """An operation is open (security: []) exactly when the matrix lets anonymous callers in."""
    from tests.test_authorisation_matrix import EXPECTED

    doc = client.get("/api/v1/openapi.json").get_json()
    by_shape = {path_shape(path): item for path, item in doc["paths"].items()}
    for rule, method, _ in api_rules(app):
        op = by_shape[path_shape(rule.rule)][method]
        open_to_anyone = "anonymous" in EXPECTED[f"{method.upper()} {rule.rule}"]
        assert (op["security"] == []) == open_to_anyone, f"{method.upper()} {rule.rule}"
        assert ("401" in op["responses"]) == (not open_to_anyone), f"{method.upper()} {rule.rule}"
