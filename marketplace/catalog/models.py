"""Provider profiles, offers, their price history and their dated slots.

Past 400 lines because the offer table's indexes are explained beside it: each serves a search
strategy (catalog.ranking), and why it exists, and what breaks without it, belongs with the index.
SQLite's free-text tables, made by DDL rather than models, are in catalog.text_indexes."""

import enum
import uuid
from datetime import datetime

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import Organisation, User
from marketplace.core.clock import utcnow
from marketplace.core.db import db
from marketplace.core.templating import register_labels
from marketplace.core.types import UTCDateTime, str_enum


def _enum(cls, name):
    return str_enum(cls, name, length=30)  # the catalogue's enum columns are VARCHAR(30)


# Open Referral UK identifies everything by UUID: ours are uuid5 over this namespace and
# "<kind>/<our id>", so they never change and need no coordination.
ORUK_NAMESPACE = uuid.UUID("9a1c3f0e-5b7d-5e2a-8c4f-2d6b1e7a9c30")


def oruk_uuid(kind: str, key) -> str:
    return str(uuid.uuid5(ORUK_NAMESPACE, f"{kind}/{key}"))


class Category(enum.StrEnum):
    OVERNIGHT_SHORT_BREAK = "overnight_short_break"
    DAY_SESSION = "day_session"
    EVENING_WEEKEND_SESSION = "evening_weekend_session"
    IN_HOME_CARE = "in_home_care"
    BEFRIENDING = "befriending"
    OUTREACH = "outreach"
    ACTIVITY_GROUP_BREAK = "activity_group_break"
    SIBLING_SUPPORT = "sibling_support"
    FAMILY_SUPPORT = "family_support"
    THERAPY = "therapy"
    EQUIPMENT = "equipment"
    OTHER = "other"

    @property
    def label(self) -> str:
        return CATEGORY_LABELS[self]


CATEGORY_LABELS = {
    Category.OVERNIGHT_SHORT_BREAK: "Overnight short break",
    Category.DAY_SESSION: "Day session",
    Category.EVENING_WEEKEND_SESSION: "Evening or weekend session",
    Category.IN_HOME_CARE: "Care at home",
    Category.BEFRIENDING: "Befriending",
    Category.OUTREACH: "Outreach",
    Category.ACTIVITY_GROUP_BREAK: "Activity or group break",
    Category.SIBLING_SUPPORT: "Sibling support",
    Category.FAMILY_SUPPORT: "Family support",
    Category.THERAPY: "Therapy (including hydrotherapy)",
    Category.EQUIPMENT: "Equipment",
    Category.OTHER: "Other",
}


class Setting(enum.StrEnum):
    HOSPICE_RESIDENTIAL = "hospice_residential"
    FAMILY_HOME = "family_home"
    CARERS_HOME = "carers_home"
    COMMUNITY = "community"


class Unit(enum.StrEnum):
    HOUR = "hour"
    SESSION = "session"
    NIGHT = "night"
    DAY = "day"
    WEEK = "week"
    FIXED = "fixed"

    @property
    def per(self) -> str:
        """'per night', or 'fixed price' for a one-off charge."""
        return "fixed price" if self is Unit.FIXED else f"per {self.value}"


class VatTreatment(enum.StrEnum):
    EXEMPT = "exempt"
    ZERO_RATED = "zero_rated"
    STANDARD = "standard"
    OUTSIDE_SCOPE = "outside_scope"


class StreamKind(enum.StrEnum):
    """A kind of money: a budget's funding stream is one (budgets.models.FundingStream.kind), and
    an offer lists the kinds that may pay for it."""

    SOCIAL_CARE = "social_care"
    EDUCATION = "education"
    HEALTH = "health"
    CHARITY = "charity"


register_labels(CATEGORY_LABELS)
register_labels(
    {
        Setting.HOSPICE_RESIDENTIAL: "Residential, at a hospice",
        Setting.FAMILY_HOME: "In the family's home",
        Setting.CARERS_HOME: "In a carer's home",
        Setting.COMMUNITY: "In the community",
        VatTreatment.ZERO_RATED: "Zero-rated",
        VatTreatment.OUTSIDE_SCOPE: "Outside the scope of VAT",
    }
)


class OfferStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class AreaKind(enum.StrEnum):
    COUNCIL = "council"
    POSTCODE_DISTRICT = "postcode_district"


class ProviderProfile(db.Model):
    """A provider organisation's public profile. Its offers can be published only once a
    platform admin has verified it (registration numbers checked)."""

    __tablename__ = "provider_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    oruk_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    charity_number: Mapped[str | None] = mapped_column(String(20))
    company_number: Mapped[str | None] = mapped_column(String(20))
    ofsted_urn: Mapped[str | None] = mapped_column(String(20))
    cqc_location_id: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(10))
    logo_url: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verification_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    verified_by: Mapped[User | None] = relationship()
    areas: Mapped[list["ProviderArea"]] = relationship(
        back_populates="profile", order_by="ProviderArea.id", cascade="all, delete-orphan"
    )

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def name(self) -> str:
        return self.organisation.name


class ProviderArea(db.Model):
    """A council area or postcode district a provider serves; `code` is normalised for search
    (council names lower-cased, districts upper-cased without spaces)."""

    __tablename__ = "provider_area"
    __table_args__ = (
        UniqueConstraint("profile_id", "kind", "code"),
        Index("ix_provider_area_code_profile", "code", "profile_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("provider_profile.id"))
    kind: Mapped[AreaKind] = mapped_column(_enum(AreaKind, "area_kind"))
    name: Mapped[str] = mapped_column(String(120))
    code: Mapped[str] = mapped_column(String(120))

    profile: Mapped[ProviderProfile] = relationship(back_populates="areas")


WALK_TEXT_BYTES = 1800
"""PostgreSQL's walk index (ix_offer_walk) holds offers whose search_text is up to this many bytes:
with a title of up to 200 characters (800 bytes) its rows stay under a btree row's 2,704."""


class Offer(db.Model):
    """A priced service a provider offers. Only published offers of verified providers are
    searchable; archived offers stay for the bookings that refer to them."""

    __tablename__ = "offer"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("min_age >= 0 AND max_age <= 25 AND min_age <= max_age", name="age_range"),
        CheckConstraint("free_cancellation_hours >= 0", name="free_cancellation_hours_not_negative"),
        CheckConstraint("late_cancellation_bp BETWEEN 0 AND 10000", name="late_cancellation_bp_range"),
        CheckConstraint("no_show_bp BETWEEN 0 AND 10000", name="no_show_bp_range"),
        CheckConstraint("min_units_per_booking >= 1", name="min_units_positive"),
        CheckConstraint(
            "max_units_per_booking IS NULL OR max_units_per_booking >= min_units_per_booking",
            name="max_units_at_least_min",
        ),
        CheckConstraint("emergency_reserve >= 0", name="emergency_reserve_not_negative"),
        # The common search filters: status always, then category (with price for a price cap or
        # a price order within a category) / price / age.
        Index("ix_offer_status_category_price", "status", "category", "price"),
        Index("ix_offer_status_price", "status", "price"),
        Index("ix_offer_status_min_age_max_age", "status", "min_age", "max_age"),
        # Soonest availability: offers in stored-next-open-slot order, so a search stops at its
        # page; and the few whose stored slot has started or was never worked out (search, the
        # refresh job).
        # (On SQLite the walk index below starts with the same columns: this one stays empty there.)
        Index("ix_offer_status_next_open_at", "status", "next_open_at", sqlite_where=text("0")),
        Index("ix_offer_next_open_from", "next_open_from"),
        # Free text alone is read off the published offers in stored-next-open-slot order, each
        # checked against the words in the index itself (catalog.ranking.rank_walk), so these hold
        # every column that walk reads. On PostgreSQL: INCLUDE, for search_text up to WALK_TEXT_BYTES
        # (an index row has a size limit); the few longer ones have an index of their own, and
        # the walk merges the two. On SQLite (no INCLUDE, no size limit): one index, whose key
        # starts as ix_offer_status_next_open_at's, so it serves that index's searches too. Each is
        # empty on the other database.
        Index(
            "ix_offer_walk",
            "next_open_at",
            "id",
            postgresql_include=["search_text", "title", "provider_id", "next_open_from", "emergency_reserve"],
            postgresql_where=text(f"status = 'published' AND octet_length(search_text) <= {WALK_TEXT_BYTES}"),
            sqlite_where=text("0"),
        ),
        Index(
            "ix_offer_walk_long",
            "next_open_at",
            "id",
            postgresql_where=text(f"status = 'published' AND octet_length(search_text) > {WALK_TEXT_BYTES}"),
            sqlite_where=text("0"),
        ),
        Index(
            "ix_offer_walk_sqlite",
            *("status", "next_open_at", "id", "search_text", "title", "provider_id", "next_open_from"),
            "emergency_reserve",
            postgresql_where=text("false"),
        ),
        # Free-text search finds offers whose search_text holds each word: a trigram index serves
        # it on PostgreSQL (pg_trgm, created below and in the migration). On SQLite this index is
        # partial on a false predicate, so it stays empty and models and migrations still agree;
        # there an FTS5 trigram table does the work (text_indexes.OFFER_TEXT).
        Index(
            "ix_offer_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
            sqlite_where=text("0"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider_profile.id"), index=True)
    oruk_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[Category] = mapped_column(_enum(Category, "offer_category"))
    setting: Mapped[Setting] = mapped_column(_enum(Setting, "offer_setting"))
    min_age: Mapped[int] = mapped_column(Integer, default=0)
    max_age: Mapped[int] = mapped_column(Integer, default=25)
    needs: Mapped[list] = mapped_column(JSON, default=list)
    staffing_ratio: Mapped[str | None] = mapped_column(String(10))
    unit: Mapped[Unit] = mapped_column(_enum(Unit, "offer_unit"))
    price: Mapped[int] = mapped_column(Integer)
    vat_treatment: Mapped[VatTreatment] = mapped_column(
        _enum(VatTreatment, "vat_treatment"), default=VatTreatment.EXEMPT
    )
    free_cancellation_hours: Mapped[int] = mapped_column(Integer, default=48)
    late_cancellation_bp: Mapped[int] = mapped_column(Integer, default=0)
    no_show_bp: Mapped[int] = mapped_column(Integer, default=10000)
    min_units_per_booking: Mapped[int] = mapped_column(Integer, default=1)
    max_units_per_booking: Mapped[int | None] = mapped_column(Integer)
    yearly_cap_per_child: Mapped[int | None] = mapped_column(Integer)
    max_open_bookings_per_family: Mapped[int | None] = mapped_column(Integer)
    booking_window_days: Mapped[int | None] = mapped_column(Integer)
    emergency_reserve: Mapped[int] = mapped_column(Integer, default=0)
    instant_booking: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[OfferStatus] = mapped_column(_enum(OfferStatus, "offer_status"), default=OfferStatus.DRAFT)
    # Lower-cased title, description, provider name and needs: what free-text search matches.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Search's "soonest availability", kept by catalog.availability whenever a slot, a booking's
    # place or the emergency reserve changes: the start of the first slot with a place to book
    # that starts at or after next_open_from (when it was worked out); None: no such slot. A new
    # offer has none from its creation (its first slots are worked out when they are committed).
    next_open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_open_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider: Mapped[ProviderProfile] = relationship()
    funding: Mapped[list["OfferFunding"]] = relationship(
        back_populates="offer", cascade="all, delete-orphan", order_by="OfferFunding.stream"
    )
    price_changes: Mapped[list["OfferPriceChange"]] = relationship(
        back_populates="offer", order_by="OfferPriceChange.id"
    )

    @property
    def organisation_id(self) -> int:
        return self.provider.organisation_id

    @property
    def funding_streams(self) -> list[StreamKind]:
        return sorted((f.stream for f in self.funding), key=list(StreamKind).index)

    def __repr__(self) -> str:
        return f"<Offer {self.id} {self.title!r} {self.status}>"


# Relevance is how many of the words the title holds: this finds the offers whose title holds
# them (ranking.rank_walk asks whether any match ranks above its page), with ILIKE (trigrams
# ignore case, so no lower(title) expression is needed). On SQLite it stays empty:
# text_indexes.OFFER_TITLE does its work.
Index(
    "ix_offer_title_trgm",
    Offer.title,
    postgresql_using="gin",
    postgresql_ops={"title": "gin_trgm_ops"},
    sqlite_where=text("0"),
)


class OfferFunding(db.Model):
    """A funding stream an offer accepts (one row each, so the filter is an index lookup)."""

    __tablename__ = "offer_funding"
    __table_args__ = (Index("ix_offer_funding_stream_offer", "stream", "offer_id"),)

    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), primary_key=True)
    stream: Mapped[StreamKind] = mapped_column(_enum(StreamKind, "funding_stream"), primary_key=True)

    offer: Mapped[Offer] = relationship(back_populates="funding")


class OfferPriceChange(db.Model):
    """An append-only record of each change of an offer's price or unit. Bookings keep the
    terms they were made at (see operations.price_snapshot), so this is history, not a rule."""

    __tablename__ = "offer_price_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    old_price: Mapped[int] = mapped_column(Integer)
    new_price: Mapped[int] = mapped_column(Integer)
    old_unit: Mapped[Unit] = mapped_column(_enum(Unit, "offer_unit"))
    new_unit: Mapped[Unit] = mapped_column(_enum(Unit, "offer_unit"))

    offer: Mapped[Offer] = relationship(back_populates="price_changes")


class Slot(db.Model):
    """A dated occurrence of an offer with a capacity (e.g. 4 beds on the night of 3 May).

    `booked` is maintained by the bookings domain: it must read the slot with
    SELECT ... FOR UPDATE (`select(Slot).with_for_update()`), check `capacity_left`, and
    change `booked` in the same transaction as the booking. The CHECK constraints are the
    backstop: booked can never exceed capacity nor go below zero.
    """

    __tablename__ = "slot"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("booked >= 0", name="booked_not_negative"),
        CheckConstraint("booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        UniqueConstraint("offer_id", "starts_at"),
        Index("ix_slot_starts_at", "starts_at"),
        # Covers "the offer's next open slot with places left" (search's next_available and the
        # availability filter) so it is answered from the index alone, without visiting the rows.
        Index("ix_slot_offer_open", "offer_id", "starts_at", "closed", "capacity", "booked"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offer: Mapped[Offer] = relationship()

    @property
    def capacity_left(self) -> int:
        return self.capacity - self.booked

    @property
    def bookable(self) -> int:
        """Places a family may book: capacity left beyond the offer's emergency reserve, none if closed."""
        if self.closed:
            return 0
        return max(0, self.capacity_left - self.offer.emergency_reserve)


# create_all (tests, benchmarks) needs pg_trgm before the trigram index; the migration does the same.
event.listen(
    Offer.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)

# How many offers have a search_text too long for the walk index (ix_offer_walk): the planner
# needs this to choose ix_offer_walk_long for them (without it, it guesses a third of all offers).
OFFER_TEXT_BYTES_STATISTICS = (
    "CREATE STATISTICS IF NOT EXISTS offer_search_text_bytes ON (octet_length(search_text)) FROM offer"
)
event.listen(
    Offer.__table__, "after_create", DDL(OFFER_TEXT_BYTES_STATISTICS).execute_if(dialect="postgresql")
)


# Keeps Offer.next_open_at up to date on every flush that touches slots or the emergency reserve;
# and SQLite's free-text indexes (FTS5 tables made by DDL with offer, not models).
from marketplace.catalog import availability, text_indexes  # noqa: E402, F401
