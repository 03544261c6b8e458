"""The only code that changes provider profiles, offers and slots. Operations flush; callers commit."""

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Organisation, OrgKind
from marketplace.catalog.areas import area_code
from marketplace.catalog.models import (
    AreaKind,
    Category,
    Offer,
    OfferFunding,
    OfferPriceChange,
    OfferStatus,
    ProviderArea,
    ProviderProfile,
    Setting,
    Slot,
    StreamKind,
    Unit,
    VatTreatment,
    oruk_uuid,
)
from marketplace.core import audit
from marketplace.core.clock import LONDON, utcnow
from marketplace.core.errors import Conflict, ValidationFailed

PROFILE_FIELDS = (
    "description", "charity_number", "company_number", "ofsted_urn", "cqc_location_id",
    "contact_email", "contact_phone", "website", "address", "postcode", "logo_url",
)  # fmt: skip
OFFER_FIELDS = (
    "title", "description", "category", "setting", "min_age", "max_age", "needs", "staffing_ratio",
    "unit", "price", "vat_treatment", "free_cancellation_hours", "late_cancellation_bp", "no_show_bp",
    "min_units_per_booking", "max_units_per_booking", "yearly_cap_per_child",
    "max_open_bookings_per_family", "booking_window_days", "emergency_reserve", "instant_booking",
)  # fmt: skip
MAX_PATTERN_SLOTS = 1000


# ---- provider profiles ----------------------------------------------------------------------


def provider_profile(session: Session, organisation: Organisation) -> ProviderProfile:
    """The provider organisation's profile, created (unverified) on first use."""
    if organisation.kind is not OrgKind.PROVIDER:
        raise ValidationFailed(
            "Only provider organisations have a provider profile", fields={"org": ["Not a provider"]}
        )
    profile = session.scalar(
        select(ProviderProfile).where(ProviderProfile.organisation_id == organisation.id)
    )
    if profile is None:
        profile = ProviderProfile(organisation=organisation, description="")
        session.add(profile)
        session.flush()
        profile.oruk_id = oruk_uuid("organization", organisation.id)
        session.flush()
    return profile


def update_profile(session: Session, profile: ProviderProfile, data: dict, actor) -> ProviderProfile:
    """Change a provider's public details and the areas it serves; its offers' search text follows."""
    for name in PROFILE_FIELDS:
        if name in data:
            setattr(profile, name, data[name])
    if "councils" in data or "postcode_districts" in data:
        wanted = {}
        for text in data.get("councils", []) + data.get("postcode_districts", []):
            kind, code = text if isinstance(text, tuple) else area_code(text)
            wanted[(kind, code)] = code
        profile.areas = [a for a in profile.areas if (a.kind, a.code) in wanted]
        have = {(a.kind, a.code) for a in profile.areas}
        for kind, code in wanted:
            if (kind, code) not in have:
                name = code.title() if kind is AreaKind.COUNCIL else code
                profile.areas.append(ProviderArea(kind=kind, code=code, name=name))
    profile.updated_at = utcnow()
    session.flush()
    for offer in session.scalars(select(Offer).where(Offer.provider_id == profile.id)):
        _refresh_search_text(offer)
    audit.record(session, actor, "provider.updated", profile)
    session.flush()
    return profile


def verify_provider(session: Session, profile: ProviderProfile, actor, note: str | None = None) -> None:
    """A platform admin confirms the provider's registrations; its offers may then be published."""
    profile.verified_at = utcnow()
    profile.verified_by = actor
    profile.verification_note = note
    audit.record(session, actor, "provider.verified", profile, note=note)
    session.flush()


def decline_provider(session: Session, profile: ProviderProfile, actor, note: str | None) -> None:
    """A platform admin withholds (or withdraws) verification, saying why; the provider sees the note.
    Published offers drop out of search until the provider is verified again."""
    if not (note or "").strip():
        raise ValidationFailed("Say why", fields={"note": ["Tell the provider what is missing"]})
    profile.verified_at = None
    profile.verified_by = None
    profile.verification_note = note
    audit.record(session, actor, "provider.declined", profile, note=note)
    session.flush()


# ---- offers ---------------------------------------------------------------------------------


def _refresh_search_text(offer: Offer) -> None:
    parts = [
        offer.title,
        offer.description or "",
        offer.provider.organisation.name,
        " ".join(offer.needs or []),
    ]
    offer.search_text = " ".join(" ".join(parts).lower().split())


ENUM_FIELDS = {"category": Category, "setting": Setting, "unit": Unit, "vat_treatment": VatTreatment}


def _apply(offer: Offer, data: dict) -> None:
    for name in OFFER_FIELDS:
        if name in data:
            value = data[name]
            setattr(offer, name, ENUM_FIELDS[name](value) if name in ENUM_FIELDS else value)
    if "funding_streams" in data:
        wanted = {StreamKind(s) for s in data["funding_streams"]}
        offer.funding = [f for f in offer.funding if f.stream in wanted]
        for stream in wanted - {f.stream for f in offer.funding}:
            offer.funding.append(OfferFunding(stream=stream))
    offer.needs = list(dict.fromkeys(n.strip().lower() for n in (offer.needs or []) if n.strip()))
    _refresh_search_text(offer)
    offer.updated_at = utcnow()


def create_offer(session: Session, profile: ProviderProfile, data: dict, actor) -> Offer:
    """A new offer starts as a draft; it is published separately."""
    offer = Offer(provider=profile, status=OfferStatus.DRAFT, needs=[])
    _apply(offer, data)
    session.add(offer)
    session.flush()
    offer.oruk_id = oruk_uuid("service", offer.id)
    audit.record(session, actor, "offer.created", offer)
    session.flush()
    return offer


def update_offer(session: Session, offer: Offer, data: dict, actor) -> Offer:
    """Edit an offer. A change of price or unit is recorded as history; bookings already made keep
    the terms they copied (terms.price_snapshot), so nothing else changes."""
    if offer.status is OfferStatus.ARCHIVED:
        raise Conflict("An archived offer cannot be changed")
    old_price, old_unit = offer.price, offer.unit
    _apply(offer, data)
    if (offer.price, offer.unit) != (old_price, old_unit):
        session.add(
            OfferPriceChange(
                offer=offer,
                changed_by_id=getattr(actor, "id", None),
                old_price=old_price,
                new_price=offer.price,
                old_unit=old_unit,
                new_unit=offer.unit,
            )
        )
        audit.record(session, actor, "offer.price_changed", offer, old=old_price, new=offer.price)
    audit.record(session, actor, "offer.updated", offer)
    session.flush()
    return offer


def publish_offer(session: Session, offer: Offer, actor) -> Offer:
    """Put an offer in search. Only a verified provider may publish; an archived offer stays archived."""
    if not offer.provider.is_verified:
        raise Conflict(
            "Your organisation has not been verified yet, so its offers cannot be published. "
            + (
                offer.provider.verification_note
                or "The platform team checks your registration details first."
            ),
            code="provider_not_verified",
        )
    if offer.status is OfferStatus.ARCHIVED:
        raise Conflict("An archived offer cannot be published again; create a new offer")
    if offer.status is not OfferStatus.PUBLISHED:
        offer.status = OfferStatus.PUBLISHED
        offer.published_at = offer.updated_at = utcnow()
        audit.record(session, actor, "offer.published", offer)
        session.flush()
    return offer


def archive_offer(session: Session, offer: Offer, actor) -> Offer:
    """Take an offer out of search for good; its slots and the bookings on them remain."""
    if offer.status is not OfferStatus.ARCHIVED:
        offer.status = OfferStatus.ARCHIVED
        offer.updated_at = utcnow()
        audit.record(session, actor, "offer.archived", offer)
        session.flush()
    return offer


# ---- slots ----------------------------------------------------------------------------------


def local_times(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """The UTC instants of London wall-clock `start` on `day` and `end` (the next day if not after
    `start`, as for an overnight stay). DST-correct: 17:00 is 16:00Z in summer and 17:00Z in winter."""
    starts = datetime.combine(day, start, tzinfo=LONDON)
    end_day = day if end > start else day + timedelta(days=1)
    ends = datetime.combine(end_day, end, tzinfo=LONDON)
    return starts.astimezone(UTC), ends.astimezone(UTC)


def _check_open_for_slots(offer: Offer) -> None:
    if offer.status is OfferStatus.ARCHIVED:
        raise Conflict("An archived offer takes no new slots")


def add_slot(
    session: Session, offer: Offer, starts_at: datetime, ends_at: datetime, capacity: int, actor
) -> Slot:
    """Add one dated occurrence with a capacity. Two slots of an offer never start at the same instant."""
    _check_open_for_slots(offer)
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = ["Must be after starts_at"]
    if capacity < 0:
        errors["capacity"] = ["Must not be negative"]
    if errors:
        raise ValidationFailed("Check the slot", fields=errors)
    exists = session.scalar(select(Slot.id).where(Slot.offer_id == offer.id, Slot.starts_at == starts_at))
    if exists is not None:
        raise Conflict("This offer already has a slot starting then", fields={"starts_at": ["Already taken"]})
    slot = Slot(offer=offer, starts_at=starts_at, ends_at=ends_at, capacity=capacity, booked=0, closed=False)
    session.add(slot)
    offer.updated_at = utcnow()
    session.flush()
    audit.record(session, actor, "slot.added", slot, offer_id=offer.id)
    return slot


def generate_weekly_slots(
    session: Session,
    offer: Offer,
    *,
    first: date,
    last: date,
    weekdays: list[int],
    start: time,
    end: time,
    capacity: int,
    actor,
) -> list[Slot]:
    """Create a slot on each chosen weekday (0 = Monday) from `first` to `last` at London local
    times. Days that already have a slot at that start are skipped, so re-running adds nothing."""
    _check_open_for_slots(offer)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    wanted = [local_times(d, start, end) for d in days if d.weekday() in set(weekdays)]
    if len(wanted) > MAX_PATTERN_SLOTS:
        raise ValidationFailed(
            "Too many slots at once", fields={"until": [f"At most {MAX_PATTERN_SLOTS} slots"]}
        )
    taken = set()
    if wanted:
        taken = set(
            session.scalars(
                select(Slot.starts_at).where(
                    Slot.offer_id == offer.id, Slot.starts_at.between(wanted[0][0], wanted[-1][0])
                )
            )
        )
    slots = [
        Slot(offer=offer, starts_at=s, ends_at=e, capacity=capacity, booked=0, closed=False)
        for s, e in wanted
        if s not in taken
    ]
    session.add_all(slots)
    offer.updated_at = utcnow()
    session.flush()
    audit.record(
        session, actor, "slot.pattern_added", offer, count=len(slots), first=str(first), last=str(last)
    )
    return slots


def close_slot(session: Session, slot: Slot, actor) -> Slot:
    """Stop further bookings on a slot; bookings already made stand (bookings decides what to tell families)."""
    slot.closed = True
    slot.offer.updated_at = utcnow()
    audit.record(session, actor, "slot.closed", slot)
    session.flush()
    return slot
