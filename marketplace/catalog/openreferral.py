"""The Open Referral UK (HSDS-UK 3.0) feed of the catalogue at /openreferral: open to anyone,
published offers of verified providers only. Offer -> service, provider -> organization,
price -> cost_option, areas -> service_areas, category -> taxonomy term."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import Blueprint, Flask, current_app, request
from marshmallow import fields, validate
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from marketplace.catalog.models import (
    CATEGORY_LABELS,
    Category,
    Offer,
    OfferStatus,
    ProviderProfile,
    Slot,
    oruk_uuid,
)
from marketplace.catalog.search import OfferFilters, search_offers
from marketplace.core.api import page_args
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.errors import NotFound
from marketplace.core.schemas import FormSchema, parse

bp = Blueprint("openreferral", __name__, url_prefix="/openreferral")

PROFILE_URL = "https://github.com/openreferral/uk-profile"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/uk-profile/main/openapi.json"
TAXONOMY_ID = oruk_uuid("taxonomy", "offer_category")
TAXONOMY_NAME = "Short-break offer categories"
TERM_IDS = {oruk_uuid("taxonomy_term", c.value): c for c in Category}
STREAM_SOURCES = {
    "social_care": "Council social care",
    "education": "Council education (SEN)",
    "health": "NHS (personal health budget)",
    "charity": "Charitable funding",
}


def register(app: Flask) -> None:
    @app.after_request
    def _open_to_all(response):
        if request.path.startswith("/openreferral"):
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response


# ---- mapping --------------------------------------------------------------------------------


def pounds(pence: int) -> int | float:
    """ORUK amounts are JSON numbers in pounds. The conversion is exact decimal arithmetic; the value
    becomes a float only to be written as JSON, and a float prints its shortest round-trip form, which
    for any amount below MAX_PENCE (13 significant digits < 15) is exactly the decimal: 14750 -> 147.5."""
    amount = Decimal(pence).scaleb(-2)
    return int(amount) if pence % 100 == 0 else float(amount)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _public(path: str) -> str:
    return current_app.config["PUBLIC_URL"].rstrip("/") + path


def _compact(data: dict) -> dict:
    """ORUK fields are typed strings/numbers: leave out what we do not know rather than send null."""
    return {k: v for k, v in data.items() if v is not None and v != ""}


def organization(profile: ProviderProfile) -> dict:
    return _compact(
        {
            "id": profile.oruk_id,
            "name": profile.organisation.name,
            "description": profile.description or profile.organisation.name,
            "email": profile.contact_email,
            "website": profile.website,
            "logo": profile.logo_url,
        }
    )


def organization_full(profile: ProviderProfile, services: list[Offer]) -> dict:
    identifiers = [
        ("GB-CHC", "Charity number", profile.charity_number),
        ("GB-COH", "Company number", profile.company_number),
        ("GB-OFSTED", "Ofsted URN", profile.ofsted_urn),
        ("GB-CQC", "CQC location id", profile.cqc_location_id),
    ]
    return organization(profile) | {
        "organization_identifiers": [
            {
                "id": oruk_uuid("organization_identifier", f"{profile.id}/{scheme}"),
                "organization_id": profile.oruk_id,
                "identifier_scheme": scheme,
                "identifier_type": kind,
                "identifier": value,
            }
            for scheme, kind, value in identifiers
            if value
        ],
        "services": [service_summary(offer) for offer in services],
    }


def service_summary(offer: Offer) -> dict:
    """A service with its one-to-one fields (the /services list form)."""
    profile = offer.provider
    return _compact(
        {
            "id": offer.oruk_id,
            "organization_id": profile.oruk_id,
            "name": offer.title,
            "description": offer.description,
            "url": _public(f"/offers/{offer.id}"),
            "email": profile.contact_email,
            "status": "active",
            "minimum_age": offer.min_age,
            "maximum_age": offer.max_age,
            "assured_date": profile.verified_at.date().isoformat() if profile.verified_at else None,
            "last_modified": timestamp(offer.updated_at),
            "organization": organization(profile),
        }
    )


def taxonomy_term(category: Category) -> dict:
    return {
        "id": oruk_uuid("taxonomy_term", category.value),
        "name": CATEGORY_LABELS[category],
        "description": CATEGORY_LABELS[category],
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": TAXONOMY_ID,
        "term": category.value,
    }


def schedule(offer: Offer, dates: list[datetime]) -> dict:
    """One schedule per service pointing at our offer page, where the dated slots are booked."""
    upcoming = sorted(dates)
    summary = (
        f"{len(upcoming)} dates with places in the next 90 days; the first starts {timestamp(upcoming[0])}."
        if upcoming
        else "No dates with places in the next 90 days."
    )
    return _compact(
        {
            "id": oruk_uuid("schedule", offer.id),
            "service_id": offer.oruk_id,
            "valid_from": upcoming[0].date().isoformat() if upcoming else None,
            "valid_to": upcoming[-1].date().isoformat() if upcoming else None,
            "description": summary,
            "schedule_link": _public(f"/offers/{offer.id}"),
            "attending_type": "in person",
        }
    )


def service_full(offer: Offer, dates: list[datetime]) -> dict:
    service_id = offer.oruk_id
    return service_summary(offer) | {
        "schedules": [schedule(offer, dates)],
        "service_areas": [
            {
                "id": oruk_uuid("service_area", f"{offer.id}/{area.kind.value}/{area.code}"),
                "service_id": service_id,
                "name": area.name if area.kind.value == "council" else f"{area.code} postcode district",
                "service_area": area.name,
                "extent_type": area.kind.value,
            }
            for area in offer.provider.areas
        ],
        "cost_options": [
            {
                "id": oruk_uuid("cost_option", offer.id),
                "service_id": service_id,
                "option": f"Price (VAT {offer.vat_treatment.value.replace('_', ' ')})",
                "amount": pounds(offer.price),
                "amount_description": offer.unit.per,
                "currency": "GBP",
            }
        ],
        "funding": [
            {
                "id": oruk_uuid("funding", f"{offer.id}/{s.value}"),
                "service_id": service_id,
                "source": STREAM_SOURCES[s.value],
            }
            for s in offer.funding_streams
        ],
        "attributes": [
            {
                "id": oruk_uuid("attribute", f"{offer.id}/category"),
                "link_id": service_id,
                "link_type": "service",
                "taxonomy_term_id": oruk_uuid("taxonomy_term", offer.category.value),
                "taxonomy_term": taxonomy_term(offer.category),
            }
        ],
    }


def page_envelope(items: list, total: int, page: int, per_page: int) -> dict:
    pages = max(1, -(-total // per_page))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(items),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not items,
        "contents": items,
    }


# ---- routes ---------------------------------------------------------------------------------


class ServicesArgs(FormSchema):
    search = fields.String(validate=validate.Length(max=200, error="Must be 200 characters or fewer"))
    taxonomy_term_id = fields.UUID(error_messages={"invalid_uuid": "Must be a UUID"})
    organization_id = fields.UUID(error_messages={"invalid_uuid": "Must be a UUID"})
    modified_after = fields.DateTime(
        error_messages={"invalid": "Must be a date-time like 2026-05-01T00:00:00Z"}
    )
    minimum_age = fields.Integer(
        validate=validate.Range(0, 120), error_messages={"invalid": "Must be a whole number"}
    )
    maximum_age = fields.Integer(
        validate=validate.Range(0, 120), error_messages={"invalid": "Must be a whole number"}
    )


def _published_profile(oruk_id: str) -> ProviderProfile | None:
    return db.session.scalar(
        select(ProviderProfile).where(
            ProviderProfile.oruk_id == oruk_id, ProviderProfile.verified_at.is_not(None)
        )
    )


@bp.get("/")
def root():
    return {"version": "HSDS-UK-3.0", "profile": PROFILE_URL, "openapi_url": OPENAPI_URL}


@bp.get("/services")
def services():
    page, per_page = page_args(default_per_page=50, max_per_page=100)
    args = parse(
        ServicesArgs(), {k: v for k, v in request.args.items() if v.strip()}, "Check the query parameters"
    )
    # by id: a stable order for feed readers paging through every service
    filters = OfferFilters(q=args.get("search"), page=page, per_page=per_page, sort="id")
    if "taxonomy_term_id" in args:
        filters.category = TERM_IDS.get(str(args["taxonomy_term_id"]))
        if filters.category is None:
            return page_envelope([], 0, page, per_page)
    if "organization_id" in args:
        profile = _published_profile(str(args["organization_id"]))
        filters.provider_ids = [profile.organisation_id] if profile else []
    if "modified_after" in args:
        moment = args["modified_after"]
        filters.modified_after = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    filters.min_age_at_least = args.get("minimum_age")
    filters.max_age_at_most = args.get("maximum_age")
    result = search_offers(db.session, filters, count_limit=None)  # total_items counts every one
    return page_envelope([service_summary(h.offer) for h in result.hits], result.total, page, per_page)


@bp.get("/services/<oruk_id>")
def service(oruk_id: str):
    offer = db.session.scalar(
        select(Offer)
        .join(ProviderProfile, ProviderProfile.id == Offer.provider_id)
        .where(
            Offer.oruk_id == oruk_id[:36],
            Offer.status == OfferStatus.PUBLISHED,
            ProviderProfile.verified_at.is_not(None),
        )
        .options(selectinload(Offer.provider).selectinload(ProviderProfile.areas))
    )
    if offer is None:
        raise NotFound("No published service has that id.")
    now = utcnow()
    dates = db.session.scalars(
        select(Slot.starts_at).where(
            Slot.offer_id == offer.id,
            Slot.closed.is_(False),
            Slot.capacity - Slot.booked > offer.emergency_reserve,
            Slot.starts_at >= now,
            Slot.starts_at < now + timedelta(days=90),
        )
    ).all()
    return service_full(offer, list(dates))


@bp.get("/organizations")
def organizations():
    page, per_page = page_args(default_per_page=50, max_per_page=100)
    verified = select(ProviderProfile).where(ProviderProfile.verified_at.is_not(None))
    total = db.session.scalar(select(func.count()).select_from(verified.subquery()))
    profiles = db.session.scalars(
        verified.join(ProviderProfile.organisation)
        .order_by(ProviderProfile.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return page_envelope([organization(p) for p in profiles], total, page, per_page)


@bp.get("/organizations/<oruk_id>")
def organization_detail(oruk_id: str):
    profile = _published_profile(oruk_id[:36])
    if profile is None:
        raise NotFound("No verified organization has that id.")
    offers = db.session.scalars(
        select(Offer)
        .where(Offer.provider_id == profile.id, Offer.status == OfferStatus.PUBLISHED)
        .order_by(Offer.id)
    ).all()
    return organization_full(profile, list(offers))


@bp.get("/taxonomies")
def taxonomies():
    page, per_page = page_args(default_per_page=50, max_per_page=100)
    items = [
        {
            "id": TAXONOMY_ID,
            "name": TAXONOMY_NAME,
            "description": "The fixed categories of short-break offers in this marketplace.",
            "version": "1",
        }
    ]
    return page_envelope(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    page, per_page = page_args(default_per_page=50, max_per_page=100)
    items = [taxonomy_term(c) for c in Category]
    return page_envelope(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)
