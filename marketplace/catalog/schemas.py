"""What comes in (search filters, offer and profile forms, slots) and what goes out (JSON)."""

import re
from datetime import time, timedelta

from flask import url_for
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from marketplace.catalog.areas import area_code
from marketplace.catalog.models import Category, Setting, StreamKind, Unit, VatTreatment
from marketplace.core.clock import today
from marketplace.core.money import MAX_PENCE
from marketplace.core.schemas import AwareDateTime, FormSchema, Id, Parsed, Pence, Percent, Pounds, TypedDate

MAX_AGE = 25
SORTS = ("relevance", "price", "soonest")
MAX_SLOT_CAPACITY = 500
# An offer's price is a 32-bit column; no short break costs more than £1,000,000.00 a unit.
MAX_OFFER_PRICE = 100_000_000
_RATIO = re.compile(r"^\d{1,2}:\d{1,2}$")
_TIME = re.compile(r"^(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)$")


class BlankIsMissing(FormSchema):
    """HTML forms send every field: a blank one means 'not given'."""

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}


def _int(low: int, high: int, **kwargs) -> fields.Integer:
    messages = {"invalid": "Must be a whole number", **kwargs.pop("error_messages", {})}
    return fields.Integer(
        validate=validate.Range(low, high, error=f"Must be a whole number from {low} to {high}"),
        error_messages=messages,
        **kwargs,
    )


def _choice(enum_cls, **kwargs) -> fields.Enum:
    messages = {"unknown": "Must be one of: " + ", ".join(m.value for m in enum_cls)}
    messages.update(kwargs.pop("error_messages", {}))
    return fields.Enum(enum_cls, by_value=True, error_messages=messages, **kwargs)


class PenceArg(fields.Integer):
    """An amount in pence given as a query parameter (a string of digits)."""

    def __init__(self, **kwargs):
        super().__init__(
            validate=validate.Range(0, MAX_PENCE - 1, error="Must be a whole number of pence, 0 or more"),
            error_messages={"invalid": "Must be a whole number of pence"},
            **kwargs,
        )


class Area(Parsed):
    """A council area or postcode district, loaded as (kind, code)."""

    parse = staticmethod(area_code)


class LocalTime(fields.String):
    """A London wall-clock time 'HH:MM'."""

    def _deserialize(self, value, attr, data, **kwargs):
        match = _TIME.match(super()._deserialize(value, attr, data, **kwargs).strip())
        if not match:
            raise ValidationError("Enter a time like 18:00")
        return time(int(match["h"]), int(match["m"]))


# ---- search ---------------------------------------------------------------------------------


class SearchArgs(BlankIsMissing):
    """The filters of GET /offers (HTML and JSON alike)."""

    q = fields.String(validate=validate.Length(max=200, error="Must be 200 characters or fewer"))
    category = _choice(Category)
    age = _int(0, MAX_AGE)
    area = Area()
    max_price = PenceArg()
    funding_stream = _choice(StreamKind)
    available_from = TypedDate()
    available_to = TypedDate()
    sort = fields.String(
        validate=validate.OneOf(SORTS, error="Must be one of: " + ", ".join(SORTS)), load_default="relevance"
    )
    page = _int(1, 10_000, load_default=1)
    per_page = _int(1, 100, load_default=20)

    @validates_schema
    def _window(self, data, **kwargs):
        start, end = data.get("available_from"), data.get("available_to")
        if start and end and end < start:
            raise ValidationError("Must be on or after available_from", field_name="available_to")
        if start and end and (end - start).days > 366:
            raise ValidationError("The window can be at most a year long", field_name="available_to")


class SearchForm(SearchArgs):
    """The search page's form: people type the highest price in pounds."""

    max_price = Pounds()


# ---- provider profile and offers ------------------------------------------------------------


def _text(length: int, **kwargs) -> fields.String:
    return fields.String(
        validate=validate.Length(max=length, error=f"Must be {length} characters or fewer"), **kwargs
    )


class OfferDatesArgs(BlankIsMissing):
    """Which four weeks of an offer's dates its page shows (?from=2026-12-01)."""

    from_ = TypedDate(data_key="from")

    @validates_schema
    def _near(self, data, **kwargs):
        first = data.get("from_")
        if first is not None and first > today() + timedelta(days=2 * 366):
            raise ValidationError("Choose a date within the next two years", field_name="from")


class ProfileForm(BlankIsMissing):
    description = _text(5000, load_default="")
    charity_number = _text(20, load_default=None)
    company_number = _text(20, load_default=None)
    ofsted_urn = _text(20, load_default=None)
    cqc_location_id = _text(20, load_default=None)
    contact_email = fields.Email(
        load_default=None, error_messages={"invalid": "Enter a valid e-mail address"}
    )
    contact_phone = _text(40, load_default=None)
    website = fields.URL(load_default=None, error_messages={"invalid": "Enter a web address like https://…"})
    address = _text(500, load_default=None)
    postcode = _text(10, load_default=None)
    logo_url = fields.URL(load_default=None, error_messages={"invalid": "Enter a web address like https://…"})
    councils = fields.List(Area(), load_default=list)
    postcode_districts = fields.List(Area(), load_default=list)

    @pre_load
    def _split_lists(self, data, **kwargs):
        for name in ("councils", "postcode_districts"):
            if isinstance(data.get(name), str):
                data[name] = [part for part in re.split(r"[,\n]", data[name]) if part.strip()]
        return data


class OfferForm(BlankIsMissing):
    """An offer as a provider writes it: price in pounds, charges as percentages."""

    title = _text(200, required=True, error_messages={"required": "Enter a title"})
    description = _text(5000, required=True, error_messages={"required": "Enter a description"})
    category = _choice(Category, required=True, error_messages={"required": "Choose a category"})
    setting = _choice(Setting, required=True, error_messages={"required": "Choose a setting"})
    min_age = _int(0, MAX_AGE, load_default=0)
    max_age = _int(0, MAX_AGE, load_default=MAX_AGE)
    needs = fields.List(_text(60), load_default=list)
    staffing_ratio = fields.String(
        load_default=None, validate=validate.Regexp(_RATIO, error="Enter a ratio like 1:1 or 2:1")
    )
    unit = _choice(Unit, required=True, error_messages={"required": "Choose what the price is for"})
    price = Pounds(
        required=True,
        validate=validate.Range(max=MAX_OFFER_PRICE, error="Must be £1,000,000.00 or less"),
        error_messages={"required": "Enter a price"},
    )
    vat_treatment = _choice(VatTreatment, load_default=VatTreatment.EXEMPT)
    funding_streams = fields.List(_choice(StreamKind), load_default=list)
    free_cancellation_hours = _int(0, 24 * 90, load_default=48)
    late_cancellation_bp = Percent(load_default=0, data_key="late_cancellation_percent")
    no_show_bp = Percent(load_default=10000, data_key="no_show_percent")
    min_units_per_booking = _int(1, 365, load_default=1)
    max_units_per_booking = _int(1, 365, load_default=None)
    yearly_cap_per_child = _int(1, 366, load_default=None)
    max_open_bookings_per_family = _int(1, 100, load_default=None)
    booking_window_days = _int(1, 730, load_default=None)
    emergency_reserve = _int(0, MAX_SLOT_CAPACITY, load_default=0)
    instant_booking = fields.Boolean(load_default=False)

    @pre_load
    def _split_needs(self, data, **kwargs):
        if isinstance(data.get("needs"), str):
            data["needs"] = [n.strip() for n in data["needs"].split(",") if n.strip()]
        return data

    @validates_schema(skip_on_field_errors=False)
    def _consistent(self, data, **kwargs):
        if data.get("min_age", 0) > data.get("max_age", MAX_AGE):
            raise ValidationError("Must be at least the youngest age", field_name="max_age")
        top = data.get("max_units_per_booking")
        if top is not None and top < data.get("min_units_per_booking", 1):
            raise ValidationError(
                "Must be at least the minimum per booking", field_name="max_units_per_booking"
            )


# ---- slots ----------------------------------------------------------------------------------


class SlotIn(Schema):
    """POST /offers/{id}/slots: instants with an offset (stored in UTC)."""

    starts_at = AwareDateTime(
        required=True,
        error_messages={"invalid": "Must be a date-time with an offset, like 2026-05-03T17:00:00Z"},
    )
    ends_at = AwareDateTime(
        required=True,
        error_messages={"invalid": "Must be a date-time with an offset, like 2026-05-04T10:00:00Z"},
    )
    capacity = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(0, MAX_SLOT_CAPACITY),
        error_messages={"invalid": "Must be a whole number"},
    )


class SlotForm(BlankIsMissing):
    """One slot as a provider types it: a London date, start and end times (end before start = next day)."""

    day = TypedDate(required=True, error_messages={"required": "Enter a date"})
    start_time = LocalTime(required=True, error_messages={"required": "Enter a start time"})
    end_time = LocalTime(required=True, error_messages={"required": "Enter an end time"})
    capacity = _int(0, MAX_SLOT_CAPACITY, required=True, error_messages={"required": "Enter the capacity"})


class PatternForm(SlotForm):
    """A weekly pattern: these weekdays (0 = Monday) from `day` to `until`."""

    until = TypedDate(
        required=True,
        error_messages={"required": "Enter the last date"},
    )
    weekdays = fields.List(
        _int(0, 6), required=True, validate=validate.Length(min=1, error="Choose at least one day")
    )

    @validates_schema
    def _range(self, data, **kwargs):
        if data.get("day") and data.get("until"):
            if data["until"] < data["day"]:
                raise ValidationError("Must be on or after the first date", field_name="until")
            if (data["until"] - data["day"]).days > 366:
                raise ValidationError("A pattern can cover at most a year", field_name="until")


class VerifyForm(BlankIsMissing):
    decision = fields.String(required=True, validate=validate.OneOf(("verify", "decline")))
    note = _text(1000, load_default=None)


# ---- out ------------------------------------------------------------------------------------


class ProviderOut(Schema):
    id = Id(attribute="organisation_id")
    slug = fields.Function(lambda p: p.organisation.slug)
    name = fields.Function(lambda p: p.organisation.name)
    verified = fields.Function(lambda p: p.is_verified)
    councils = fields.Function(lambda p: [a.name for a in p.areas if a.kind.value == "council"])
    postcode_districts = fields.Function(
        lambda p: [a.code for a in p.areas if a.kind.value == "postcode_district"]
    )


class CancellationOut(Schema):
    free_notice_hours = fields.Integer(attribute="free_cancellation_hours")
    late_charge_bp = fields.Integer(attribute="late_cancellation_bp")
    no_show_charge_bp = fields.Integer(attribute="no_show_bp")


class BookingRulesOut(Schema):
    min_units_per_booking = fields.Integer()
    max_units_per_booking = fields.Integer(allow_none=True)
    yearly_cap_per_child = fields.Integer(allow_none=True)
    max_open_bookings_per_family = fields.Integer(allow_none=True)
    booking_window_days = fields.Integer(allow_none=True)
    emergency_reserve = fields.Integer()
    instant_booking = fields.Boolean()


class OfferOut(Schema):
    id = Id()
    title = fields.String()
    description = fields.String()
    category = fields.Function(lambda o: o.category.value)
    setting = fields.Function(lambda o: o.setting.value)
    min_age = fields.Integer()
    max_age = fields.Integer()
    needs = fields.List(fields.String())
    staffing_ratio = fields.String(allow_none=True)
    unit = fields.Function(lambda o: o.unit.value)
    price = Pence(allow_zero=True)
    vat_treatment = fields.Function(lambda o: o.vat_treatment.value)
    funding_streams = fields.Function(lambda o: [s.value for s in o.funding_streams])
    cancellation = fields.Function(lambda o: _CANCELLATION.dump(o))
    booking_rules = fields.Function(lambda o: _BOOKING_RULES.dump(o))
    status = fields.Function(lambda o: o.status.value)
    provider = fields.Nested(ProviderOut)
    updated_at = fields.DateTime()
    url = fields.Function(lambda o: url_for("catalog.offer_page", offer_id=o.id, _external=True))


# one instance each, reused: building a marshmallow schema costs more than dumping an offer with it
_CANCELLATION = CancellationOut()
_BOOKING_RULES = BookingRulesOut()


class SearchHitOut(OfferOut):
    next_available = fields.DateTime(allow_none=True)


class SlotOut(Schema):
    id = Id()
    offer_id = Id()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    capacity = fields.Integer()
    booked = fields.Integer()
    capacity_left = fields.Integer()
    bookable = fields.Integer()
    closed = fields.Boolean()


class PagingOut(Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer(
        metadata={"description": "Matches, or the count limit (1,000) when total_exact is false"}
    )
    total_exact = fields.Boolean(
        metadata={
            "description": "false: more offers match than total; only the first total can be paged through"
        }
    )
    pages = fields.Integer()


class SearchPageOut(Schema):
    items = fields.List(fields.Nested(SearchHitOut))
    paging = fields.Nested(PagingOut)
