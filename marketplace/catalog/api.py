"""JSON routes of the catalogue (/api/v1/offers...). Reading the catalogue needs no sign-in."""

from datetime import timedelta

from flask import Blueprint, request
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validates_schema

from marketplace.accounts.permissions import acts_for_organisation, visible
from marketplace.catalog import operations
from marketplace.catalog.permissions import get_offer, offer_visible_to
from marketplace.catalog.schemas import OfferOut, SearchArgs, SearchPageOut, SlotIn, SlotOut
from marketplace.catalog.search import OfferFilters, count_limit_setting, offer_slots, search_offers
from marketplace.core.api import json_body
from marketplace.core.auth import roles_required
from marketplace.core.clock import london_midnight, today, utcnow
from marketplace.core.db import db
from marketplace.core.errors import ValidationFailed
from marketplace.core.openapi import describe
from marketplace.core.schemas import Date, FormSchema, Id, parse

bp = Blueprint("catalog_api", __name__)

SEARCH_PARAMS = list(SearchArgs().fields)


def strict_args(schema) -> dict:
    """Query parameters loaded by `schema`; a parameter given but left blank is an error, not 'any'."""
    blank = {
        k: ["Must not be empty; leave the parameter out for no filter"]
        for k, v in request.args.items()
        if not v.strip()
    }
    if blank:
        raise ValidationFailed("Check the search parameters", fields=blank)
    return parse(schema, request.args.to_dict(), "Check the search parameters")


OFFER_OUT = OfferOut()  # one instance, reused: building a schema costs more than a dump


def hit_json(hit) -> dict:
    data = OFFER_OUT.dump(hit.offer)
    data["next_available"] = hit.next_available.isoformat() if hit.next_available else None
    return data


@bp.get("/offers")
@describe("get", "/offers", "Search published offers", response=SearchPageOut, params=SearchArgs, public=True)
def search():
    result = search_offers(
        db.session, OfferFilters.from_args(strict_args(SearchArgs())), count_limit=count_limit_setting()
    )
    return {
        "items": [hit_json(hit) for hit in result.hits],
        "paging": {
            "page": result.page,
            "per_page": result.per_page,
            "total": result.total,
            "total_exact": result.total_exact,
            "pages": result.pages,
        },
    }


@bp.get("/offers/<int:offer_id>")
@describe("get", "/offers/{id}", "One offer", response=OfferOut, public=True)
def offer(offer_id: int):
    found = get_offer(offer_id)
    return OFFER_OUT.dump(visible(found, offer_visible_to(found, current_user), "offer"))


class SlotRange(FormSchema):
    from_ = Date(data_key="from")
    to = Date()

    @validates_schema
    def _order(self, data, **kwargs):
        start, end = data.get("from_"), data.get("to")
        if start and end and end < start:
            raise ValidationError("Must be on or after from", field_name="to")
        if start and end and (end - start).days > 366:
            raise ValidationError("At most a year at a time", field_name="to")


class OfferSlotsOut(Schema):
    offer_id = Id()
    items = fields.List(fields.Nested(SlotOut))


@bp.get("/offers/<int:offer_id>/slots")
@describe(
    "get",
    "/offers/{id}/slots",
    "The offer's open slots with capacity left",
    response=OfferSlotsOut,
    params=SlotRange,
    public=True,
)
def slots(offer_id: int):
    found = get_offer(offer_id)
    visible(found, offer_visible_to(found, current_user), "offer")
    window = strict_args(SlotRange())
    start_day = window.get("from_") or today()
    end_day = window.get("to") or start_day + timedelta(days=90)
    start = london_midnight(start_day) if "from_" in window else utcnow()
    items = offer_slots(db.session, found, start, london_midnight(end_day + timedelta(days=1)))
    return {"offer_id": str(found.id), "items": SlotOut(many=True).dump(items)}


@bp.post("/offers/<int:offer_id>/slots")
@describe(
    "post",
    "/offers/{id}/slots",
    "The offer's provider adds a slot",
    body=SlotIn,
    response=SlotOut,
    status=201,
)
@roles_required("provider")
def add_slot(offer_id: int):
    found = get_offer(offer_id)
    visible(found, found is not None and acts_for_organisation(current_user, found.organisation_id), "offer")
    data = parse(SlotIn(), json_body(), "Check the slot")
    slot = operations.add_slot(
        db.session, found, data["starts_at"], data["ends_at"], data["capacity"], current_user
    )
    db.session.commit()
    return SlotOut().dump(slot), 201
