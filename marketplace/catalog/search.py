"""Searching published offers (read-only). Every filter is a plain, index-friendly predicate:
status/category/price/age on offer's composite indexes, funding and area as EXISTS lookups on
(stream, offer_id) and (code, profile_id), availability on slot (offer_id, starts_at)."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, exists, func, nulls_last, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from marketplace.accounts.models import Organisation
from marketplace.catalog.models import (
    Category,
    FundingStream,
    Offer,
    OfferFunding,
    OfferStatus,
    ProviderArea,
    ProviderProfile,
    Slot,
)
from marketplace.core.clock import london_midnight, utcnow

MAX_WORDS = 8


@dataclass
class OfferFilters:
    q: str | None = None
    category: Category | None = None
    age: int | None = None
    area: tuple | None = None  # (AreaKind, code) from areas.area_code
    max_price: int | None = None
    funding_stream: FundingStream | None = None
    available_from: date | None = None
    available_to: date | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    # Open Referral's extra filters
    provider_ids: list[int] | None = None
    min_age_at_least: int | None = None
    max_age_at_most: int | None = None
    modified_after: datetime | None = None

    @classmethod
    def from_args(cls, args: dict) -> "OfferFilters":
        return cls(**args)


@dataclass
class Hit:
    offer: Offer
    next_available: datetime | None


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int
    page: int
    per_page: int
    filters: OfferFilters = field(repr=False)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _words(q: str | None) -> list[str]:
    return [w.lower() for w in (q or "").split()][:MAX_WORDS]


def _window(filters: OfferFilters, now: datetime) -> tuple[datetime, datetime | None]:
    """Slots count from the later of now and the start of `available_from` (London), up to the end
    of `available_to`."""
    start = now
    if filters.available_from is not None:
        start = max(now, london_midnight(filters.available_from))
    end = None
    if filters.available_to is not None:
        end = london_midnight(filters.available_to + timedelta(days=1))
    return start, end


def open_slot_condition(start: datetime, end: datetime | None):
    """A slot of the (correlated) offer that is open and has places beyond the emergency reserve."""
    conditions = [
        Slot.offer_id == Offer.id,
        Slot.closed.is_(False),
        Slot.capacity - Slot.booked > Offer.emergency_reserve,
        Slot.starts_at >= start,
    ]
    if end is not None:
        conditions.append(Slot.starts_at < end)
    return and_(*conditions)


def _conditions(filters: OfferFilters, start: datetime, end: datetime | None) -> list:
    conditions = [Offer.status == OfferStatus.PUBLISHED, ProviderProfile.verified_at.is_not(None)]
    for word in _words(filters.q):
        conditions.append(Offer.search_text.contains(word, autoescape=True))
    if filters.category is not None:
        conditions.append(Offer.category == filters.category)
    if filters.age is not None:
        conditions += [Offer.min_age <= filters.age, Offer.max_age >= filters.age]
    if filters.max_price is not None:
        conditions.append(Offer.price <= filters.max_price)
    if filters.funding_stream is not None:
        conditions.append(
            exists().where(OfferFunding.offer_id == Offer.id, OfferFunding.stream == filters.funding_stream)
        )
    if filters.area is not None:
        kind, code = filters.area
        conditions.append(
            exists().where(
                ProviderArea.profile_id == Offer.provider_id,
                ProviderArea.kind == kind,
                ProviderArea.code == code,
            )
        )
    if filters.available_from is not None or filters.available_to is not None:
        conditions.append(exists().where(open_slot_condition(start, end)))
    if filters.provider_ids is not None:
        conditions.append(ProviderProfile.organisation_id.in_(filters.provider_ids))
    if filters.min_age_at_least is not None:
        conditions.append(Offer.min_age >= filters.min_age_at_least)
    if filters.max_age_at_most is not None:
        conditions.append(Offer.max_age <= filters.max_age_at_most)
    if filters.modified_after is not None:
        conditions.append(Offer.updated_at >= filters.modified_after)
    return conditions


def _relevance(words: list[str]):
    """How many of the words are in the title (every match already has all of them somewhere)."""
    hits = [case((func.lower(Offer.title).contains(word, autoescape=True), 1), else_=0) for word in words]
    return sum(hits[1:], hits[0])


def search_offers(session: Session, filters: OfferFilters, now: datetime | None = None) -> SearchResult:
    """Published offers of verified providers matching every filter, sorted and paged.

    Four statements whatever the page size: the count, the page (offers with their provider and
    organisation joined in), then the page's providers' areas and the page's offers' funding
    streams — everything the search page, the JSON API and the Open Referral feed show."""
    start, end = _window(filters, now or utcnow())
    conditions = _conditions(filters, start, end)
    base = select(Offer).join(ProviderProfile, ProviderProfile.id == Offer.provider_id).where(*conditions)
    # A lean count of its own (no next_available): a window count would make the database
    # compute every match's next slot even when the order (price) lets it stop at the page.
    total = session.scalar(base.with_only_columns(func.count(), maintain_column_froms=True))
    next_available = (
        select(func.min(Slot.starts_at))
        .where(open_slot_condition(start, end))
        .correlate(Offer)
        .scalar_subquery()
        .label("next_available")
    )
    rows = session.execute(
        base.join(Organisation, Organisation.id == ProviderProfile.organisation_id)
        .add_columns(next_available)
        .options(
            contains_eager(Offer.provider).contains_eager(ProviderProfile.organisation),
            contains_eager(Offer.provider).selectinload(ProviderProfile.areas),
            selectinload(Offer.funding),
        )
        .order_by(*_order(filters, next_available))
        .limit(filters.per_page)
        .offset((filters.page - 1) * filters.per_page)
    ).all()
    return SearchResult(
        hits=[Hit(offer, when) for offer, when in rows],
        total=total,
        page=filters.page,
        per_page=filters.per_page,
        filters=filters,
    )


def _order(filters: OfferFilters, next_available) -> list:
    soonest = nulls_last(next_available)  # offers with no open slot last
    if filters.sort == "price":
        return [Offer.price, soonest, Offer.id]
    if filters.sort == "soonest":
        return [soonest, Offer.price, Offer.id]
    words = _words(filters.q)
    return [_relevance(words).desc(), soonest, Offer.id] if words else [soonest, Offer.id]


def offer_slots(
    session: Session, offer: Offer, start: datetime, end: datetime | None, *, include_closed=False
):
    """The offer's slots starting in [start, end), in time order."""
    query = select(Slot).where(Slot.offer_id == offer.id, Slot.starts_at >= start)
    if end is not None:
        query = query.where(Slot.starts_at < end)
    if not include_closed:
        query = query.where(Slot.closed.is_(False))
    return list(session.scalars(query.order_by(Slot.starts_at)))
