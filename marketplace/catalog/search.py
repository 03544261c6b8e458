"""Searching published offers (read-only): the filters, `search_offers` and the page's offers.
Every filter is a plain, index-friendly predicate: status/category/price/age on offer's composite
indexes, funding as an EXISTS on (stream, offer_id), area as an IN over (code, profile_id),
availability on slot (offer_id, starts_at). How a page is ranked is in `catalog.ranking`."""

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, literal_column, select
from sqlalchemy.orm import Session, contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from marketplace.accounts.models import Organisation
from marketplace.catalog.models import (
    Category,
    Offer,
    OfferFunding,
    ProviderArea,
    ProviderProfile,
    Slot,
    StreamKind,
)
from marketplace.catalog.ranking import (
    InArea,
    OpenSlotIn,
    Published,
    Ranked,
    WordsMatch,
    core,
    matches,
    rank_all,
    rank_broad,
    rank_top_band,
    rank_walk,
    rank_window,
    rank_words,
    search_words,
)
from marketplace.core.clock import LONDON, london_midnight, utcnow
from marketplace.core.errors import ValidationFailed


@dataclass
class OfferFilters:
    q: str | None = None
    category: Category | None = None
    age: int | None = None
    area: tuple | None = None  # (AreaKind, code) from areas.area_code
    max_price: int | None = None
    funding_stream: StreamKind | None = None
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

    @property
    def words_only(self) -> bool:
        """Free text is the only filter (every other filter, a new one too, is at its default)."""
        others = (f for f in fields(self) if f.name not in ("q", "sort", "page", "per_page"))
        return bool(search_words(self.q)) and all(getattr(self, f.name) == f.default for f in others)

    @property
    def windowed(self) -> bool:
        """Dates were asked for: only offers with an open slot between them match."""
        return self.available_from is not None or self.available_to is not None


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
    total_exact: bool = True  # False: there are more than `total` (the count stopped there)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


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


def _conditions(filters: OfferFilters, start: datetime, end: datetime | None, dialect: str) -> list:
    conditions = [Published(), ProviderProfile.verified_at.is_not(None)]
    if words := search_words(filters.q):
        conditions.append(WordsMatch(words, dialect))
    if filters.category is not None:
        conditions.append(Offer.category == filters.category)
    if filters.age is not None:
        conditions += [Offer.min_age <= filters.age, Offer.max_age >= filters.age]
    if filters.max_price is not None:
        conditions.append(Offer.price <= filters.max_price)
    if filters.funding_stream is not None:
        conditions.append(
            exists(literal_column("1")).where(
                OfferFunding.offer_id == Offer.id, OfferFunding.stream == filters.funding_stream
            )
        )
    if filters.area is not None:
        kind, code = filters.area
        # IN, not a correlated EXISTS: the providers serving an area are looked up once (PostgreSQL
        # hashes them), not once per offer or per slot read
        conditions.append(InArea(kind, code))
    if filters.windowed:
        conditions.append(OpenSlotIn(start, end))
    if filters.provider_ids is not None:
        conditions.append(ProviderProfile.organisation_id.in_(filters.provider_ids))
    if filters.min_age_at_least is not None:
        conditions.append(Offer.min_age >= filters.min_age_at_least)
    if filters.max_age_at_most is not None:
        conditions.append(Offer.max_age <= filters.max_age_at_most)
    if filters.modified_after is not None:
        conditions.append(Offer.updated_at >= filters.modified_after)
    return conditions


COUNT_LIMIT = 1000
"""Searches count matches up to this many ("more than 1,000") and page through this many at most
(the SEARCH_COUNT_LIMIT setting changes it for the search page and the JSON API).
An exact count of a broad search at 100,000 offers costs the database more than the rest of the
search; nobody reads page 51, and a narrower search finds the rest."""


def search_offers(
    session: Session,
    filters: OfferFilters,
    now: datetime | None = None,
    *,
    count_limit: int | None = COUNT_LIMIT,
) -> SearchResult:
    """Published offers of verified providers matching every filter, sorted and paged.

    The count stops at `count_limit` (None: counts every match, as the Open Referral feed needs).
    A search with no more matches than that is ranked in one statement, the database working
    out each match's next open slot. A broader one would make the database do that for every
    match, so it ranks a page another way (see `rank_broad`). Some searches count as they rank:
    - free text by relevance without dates: free text alone walks the offers in next-open-slot
      order (`rank_walk`); with other filters the page is first read off the soonest offers
      (`rank_top_band`); failing either, every match is counted and ranked in one statement
      (`rank_words`);
    - between two dates, soonest first, on SQLite: counted and ranked off the open slots in start
      order (`rank_window`), failing that counted, then ranked as above.
    Either way the page's offers come with their provider, organisation, areas and funding
    streams in three more statements."""
    session.flush()
    start, end = _window(filters, now or utcnow())
    dialect = session.get_bind().dialect.name
    conditions = _conditions(filters, start, end, dialect)
    offset, limit = (filters.page - 1) * filters.per_page, filters.per_page
    words = search_words(filters.q)
    soonest_first = filters.sort == "soonest" or (filters.sort == "relevance" and not words)
    counted = top_band = None  # (page, matches) from a strategy that counts as it ranks
    if count_limit is not None and words and filters.sort == "relevance" and not filters.windowed:
        if filters.words_only:
            counted = rank_walk(session, filters, conditions, start, offset, limit, count_limit)
        else:
            top_band = rank_top_band(session, filters, conditions, start, offset, limit)
        if counted is None and top_band is None:
            counted = rank_words(session, filters, conditions, start, offset, limit)
    elif count_limit is not None and filters.windowed and soonest_first and dialect == "sqlite":
        # (PostgreSQL counts a thousand offers with an open slot in the window quicker one by one
        # than it looks up the thousands of offers of the slots read: 9 ms against 24 at 100,000)
        counted = rank_window(session, filters, conditions, start, end, offset, limit, count_limit)
    if counted is not None:
        found = counted[1]
    elif count_limit is None:
        found = core(session).scalar(matches(conditions).with_only_columns(func.count()))
    else:
        capped = matches(conditions).with_only_columns(Offer.id).limit(count_limit + 1).subquery()
        found = core(session).scalar(select(func.count()).select_from(capped))
    exact = count_limit is None or found <= count_limit
    total = found if exact else count_limit
    if not exact and offset >= count_limit:
        raise ValidationFailed(
            "Check your search",
            fields={
                "page": [
                    f"Only the first {count_limit:,} offers of a search are shown: add a filter to narrow it"
                ]
            },
        )
    if counted is not None:
        ranked = counted[0]
    elif top_band is not None:
        ranked = top_band
    elif exact:
        ranked = rank_all(session, filters, conditions, start, end, offset, limit)
    else:
        ranked = rank_broad(session, filters, conditions, start, end, offset, limit)
    return SearchResult(
        hits=_load(session, ranked),
        total=total,
        page=filters.page,
        per_page=filters.per_page,
        filters=filters,
        total_exact=exact,
    )


def count_limit_setting() -> int:
    """The search page's and JSON API's count limit: SEARCH_COUNT_LIMIT, or COUNT_LIMIT."""
    from flask import current_app

    return int(current_app.config.get("SEARCH_COUNT_LIMIT", COUNT_LIMIT))


def _load(session: Session, ranked: Ranked) -> list[Hit]:
    """The ranked offers with their provider and organisation (joined), then the providers' areas
    and the offers' funding streams (one statement each), in rank order.

    The two collections are read with plain selects and set as loaded (`set_committed_value`),
    not with selectinload, whose per-query machinery cost more than the rest of the page load
    (about 1 ms of a 7 ms search at 1,000 offers). Collections the session already holds are
    left as they are, as selectinload leaves them."""
    if not ranked:
        return []
    offers = session.scalars(
        select(Offer)
        .join(ProviderProfile, ProviderProfile.id == Offer.provider_id)
        .join(Organisation, Organisation.id == ProviderProfile.organisation_id)
        .where(Offer.id.in_([offer_id for offer_id, _ in ranked]))
        .options(contains_eager(Offer.provider).contains_eager(ProviderProfile.organisation))
    ).all()
    _fill(session, Offer.funding, {offer.id: offer for offer in offers}, OfferFunding.offer_id)
    _fill(
        session, ProviderProfile.areas, {o.provider.id: o.provider for o in offers}, ProviderArea.profile_id
    )
    by_id = {offer.id: offer for offer in offers}
    return [Hit(by_id[offer_id], when) for offer_id, when in ranked]


def _fill(session: Session, collection, owners: dict, key) -> None:
    """Load `collection` (a relationship, e.g. Offer.funding) of each owner (id -> object) that
    has not loaded it, in one statement: the rows whose `key` is among their ids, in the
    relationship's own order."""
    unloaded = {owner_id: owner for owner_id, owner in owners.items() if collection.key not in owner.__dict__}
    if not unloaded:
        return
    relationship = collection.property
    rows = session.scalars(
        select(relationship.mapper.class_).where(key.in_(list(unloaded))).order_by(*relationship.order_by)
    )
    found: dict[int, list] = {owner_id: [] for owner_id in unloaded}
    for row in rows:
        found[getattr(row, key.key)].append(row)
    for owner_id, owner in unloaded.items():
        set_committed_value(owner, collection.key, found[owner_id])


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


DATES_SHOWN = 28  # days of an offer's dates its page shows at a time


@dataclass
class DatesPage:
    """Four weeks of an offer's open and full dates, from `first` to `last` (London days), and
    where the pages before and after start (None: nothing there to show)."""

    first: date
    last: date
    slots: list[Slot]
    earlier: date | None
    later: date | None  # the London day of the next date after `last`


def dates_page(session: Session, offer: Offer, first: date | None, now: datetime | None = None) -> DatesPage:
    """The offer's dates (closed ones left out) for DATES_SHOWN days from `first` (today, London,
    if None or past); `later` skips straight to the next date, however far off."""
    now = now or utcnow()
    this_day = now.astimezone(LONDON).date()
    first = max(first or this_day, this_day)
    last = first + timedelta(days=DATES_SHOWN - 1)
    start = max(now, london_midnight(first))
    end = london_midnight(last + timedelta(days=1))
    next_start = session.scalar(
        select(func.min(Slot.starts_at)).where(
            Slot.offer_id == offer.id, Slot.closed.is_(False), Slot.starts_at >= end
        )
    )
    return DatesPage(
        first=first,
        last=last,
        slots=offer_slots(session, offer, start, end),
        earlier=max(this_day, first - timedelta(days=DATES_SHOWN)) if first > this_day else None,
        later=next_start.astimezone(LONDON).date() if next_start else None,
    )
