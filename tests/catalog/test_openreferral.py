"""The Open Referral UK feed: every response validates against the profile's JSON Schemas."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.catalog import operations
from marketplace.catalog.models import oruk_uuid
from marketplace.catalog.openreferral import pounds
from marketplace.core.money import MAX_PENCE

REPO_ROOT = Path(__file__).resolve().parents[2]
ORUK = REPO_ROOT.parent / "shared" / "oruk"
BASE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"

jsonschema = pytest.importorskip("jsonschema")
referencing = pytest.importorskip("referencing")
if not ORUK.is_dir():
    pytest.skip(
        f"the Open Referral UK schemas are not at {ORUK} (CI keeps them beside the repository)",
        allow_module_level=True,
    )


def _load(name):
    return json.loads((ORUK / name).read_text())


@pytest.fixture(scope="module")
def validate():
    """validate(kind, document): resolves the profile's OpenAPI response schemas, whose $refs point at
    the compiled schema files by URL, against our local copies through a referencing Registry."""
    from referencing.jsonschema import DRAFT202012

    openapi = _load("openapi.json")
    definitions = _load("service_with_definitions.json")["definitions"]
    files = {
        BASE + "compiled/service.json": _load("service.json"),
        BASE + "compiled/service_list.json": _load("service_list.json"),
        BASE + "compiled/organization.json": _load("organization.json"),
        BASE + "compiled/organization_list.json": _load("organization_list.json"),
        BASE + "taxonomy.json": definitions["taxonomy"],
        BASE + "taxonomy_term.json": definitions["taxonomy_term"],
        "urn:oruk:openapi": {"components": openapi["components"]},
    }
    registry = referencing.Registry().with_resources(
        (uri, DRAFT202012.create_resource(schema)) for uri, schema in files.items()
    )

    def page_of(item_uri):
        return {
            "allOf": [{"$ref": "urn:oruk:openapi#/components/schemas/Page"}],
            "properties": {"contents": {"type": "array", "items": {"$ref": item_uri}}},
            "required": [
                "total_items",
                "total_pages",
                "page_number",
                "size",
                "first_page",
                "last_page",
                "empty",
                "contents",
            ],
        }

    schemas = {
        "root": openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        "services": page_of(BASE + "compiled/service_list.json"),
        "service": {"$ref": BASE + "compiled/service.json"},
        "organizations": page_of(BASE + "compiled/organization_list.json"),
        "organization": {"$ref": BASE + "compiled/organization.json"},
        "taxonomies": page_of(BASE + "taxonomy.json"),
        "taxonomy_terms": page_of(BASE + "taxonomy_term.json"),
    }

    def _validate(kind, document):
        validator = jsonschema.Draft202012Validator(
            schemas[kind], registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)

    return _validate


@pytest.fixture
def feed(catalog, make_offer, make_slot):
    hilltop = catalog.provider("Hilltop Children's Hospice", charity_number="1101234", cqc_location_id="1-101",
                               contact_email="hello@hilltop.example", website="https://hilltop.example")  # fmt: skip
    overnight = make_offer(hilltop, title="Overnight short break", price=29500, min_age=0, max_age=19)
    make_slot(overnight, days_ahead=5)
    swim = make_offer(
        hilltop, title="Swim", category="therapy", unit="session", price=14750, min_age=4, max_age=16
    )
    make_offer(hilltop, title="Draft", publish=False)
    archived = make_offer(hilltop, title="Archived")
    operations.archive_offer(catalog.session, archived, None)
    catalog.session.commit()
    return dict(hilltop=hilltop, overnight=overnight, swim=swim)


def get(client, url, **params):
    response = client.get(url, query_string=params)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response


def test_root(client, validate):
    body = get(client, "/openreferral/").get_json()
    assert body["version"] == "HSDS-UK-3.0"
    validate("root", body)


def test_services_envelope(client, validate, feed):
    body = get(client, "/openreferral/services").get_json()
    validate("services", body)
    assert body["total_items"] == 2 and body["total_pages"] == 1 and body["page_number"] == 1
    assert body["size"] == 2 and body["first_page"] and body["last_page"] and not body["empty"]
    assert {s["name"] for s in body["contents"]} == {"Overnight short break", "Swim"}  # published only
    paged = get(client, "/openreferral/services", per_page=1, page=2).get_json()
    validate("services", paged)
    assert paged["size"] == 1 and not paged["first_page"] and paged["last_page"] and paged["total_pages"] == 2


def test_services_filters(client, validate, feed):
    def names(**params):
        body = get(client, "/openreferral/services", **params).get_json()
        validate("services", body)
        return sorted(s["name"] for s in body["contents"])

    assert names(search="overnight") == ["Overnight short break"]
    assert names(taxonomy_term_id=oruk_uuid("taxonomy_term", "therapy")) == ["Swim"]
    assert names(taxonomy_term_id="00000000-0000-0000-0000-000000000000") == []
    assert names(organization_id=feed["hilltop"].oruk_id) == ["Overnight short break", "Swim"]
    assert names(organization_id="00000000-0000-0000-0000-000000000000") == []
    assert names(minimum_age=4) == ["Swim"]
    assert names(maximum_age=16) == ["Swim"]
    assert names(modified_after="2000-01-01T00:00:00Z") == ["Overnight short break", "Swim"]
    assert names(modified_after="2999-01-01T00:00:00Z") == []


@pytest.mark.parametrize(
    "params, field",
    [({"page": "0"}, "page"), ({"per_page": "abc"}, "per_page"), ({"minimum_age": "old"}, "minimum_age"),
     ({"taxonomy_term_id": "not-a-uuid"}, "taxonomy_term_id"), ({"modified_after": "yesterday"}, "modified_after")],
)  # fmt: skip
def test_services_bad_parameters_are_422(client, params, field):
    response = get(client, "/openreferral/services", **params)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_one_service(client, validate, feed, app):
    offer = feed["overnight"]
    assert offer.oruk_id == oruk_uuid("service", offer.id)  # stable, derived from our id
    body = get(client, f"/openreferral/services/{offer.oruk_id}").get_json()
    validate("service", body)
    assert body["name"] == "Overnight short break" and body["status"] == "active"
    assert body["minimum_age"] == 0 and body["maximum_age"] == 19
    assert body["organization"]["id"] == feed["hilltop"].oruk_id
    assert (
        body["cost_options"][0]["amount"] == 295
        and body["cost_options"][0]["amount_description"] == "per night"
    )
    link = body["schedules"][0]["schedule_link"]
    assert link == app.config["PUBLIC_URL"].rstrip("/") + f"/offers/{offer.id}"
    assert {a["name"] for a in body["service_areas"]} == {"Brightwater", "BW1 postcode district"}
    assert body["attributes"][0]["taxonomy_term"]["term"] == "overnight_short_break"
    assert sorted(f["source"] for f in body["funding"]) == [
        "Council social care",
        "NHS (personal health budget)",
    ]


def test_amounts_are_exact_in_the_json_text(client, feed):
    text = get(client, f"/openreferral/services/{feed['swim'].oruk_id}").get_data(as_text=True)
    amount = json.loads(text, parse_float=Decimal)["cost_options"][0]["amount"]
    assert amount == Decimal("147.5")


@given(st.integers(min_value=0, max_value=MAX_PENCE - 1))
def test_pounds_round_trips_every_amount_exactly(pence):
    assert Decimal(json.dumps(pounds(pence))) * 100 == pence


def test_unpublished_services_are_404(client, catalog, make_offer):
    draft = make_offer(publish=False)
    assert get(client, f"/openreferral/services/{draft.oruk_id}").status_code == 404
    assert get(client, "/openreferral/services/no-such-id").status_code == 404


def test_organizations(client, validate, feed):
    body = get(client, "/openreferral/organizations").get_json()
    validate("organizations", body)
    assert [o["name"] for o in body["contents"]] == ["Hilltop Children's Hospice"]
    one = get(client, f"/openreferral/organizations/{feed['hilltop'].oruk_id}").get_json()
    validate("organization", one)
    assert {i["identifier_scheme"] for i in one["organization_identifiers"]} == {"GB-CHC", "GB-CQC"}
    assert len(one["services"]) == 2


def test_taxonomies(client, validate):
    validate("taxonomies", get(client, "/openreferral/taxonomies").get_json())
    terms = get(client, "/openreferral/taxonomy_terms").get_json()
    validate("taxonomy_terms", terms)
    assert terms["total_items"] == 12


def test_the_validator_bites(validate):
    with pytest.raises(AssertionError):
        validate("service", {"id": "not-a-uuid", "name": "x"})
    with pytest.raises(AssertionError):
        validate("services", {"total_items": 1, "contents": [{"name": "x", "status": "active"}]})
    with pytest.raises(AssertionError):
        validate(
            "service",
            {
                "id": oruk_uuid("service", 1),
                "name": "x",
                "status": "active",
                "cost_options": [{"id": oruk_uuid("c", 1), "amount": "295.00"}],
            },
        )
