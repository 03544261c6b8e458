"""The core ranking (read-only), which serves any search: `rank_all` ranks every match in one
statement, the database working out each one's next open slot; `rank_broad` gives the same page
for a search with more matches than the count limit without doing that for every match. The
shortcuts (`ranking.shortcuts`) only make some searches quicker, falling back on these.

Every strategy returns the page as (offer id, next open slot) pairs, in order. The helpers here
whose names start with an underscore are shared with the shortcuts, within this package."""

from datetime import UTC, datetime

from sqlalchemy import (
    ARRAY,
    DateTime,
    Integer,
    String,
    any_,
    case,
    cast,
    func,
    nulls_last,
    select,
    type_coerce,
    union,
)
from sqlalchemy.orm import Session

from marketplace.catalog.availability import has_open_slot, stored_next_open
from marketplace.catalog.models import Offer, OfferStatus, Slot
from marketplace.catalog.ranking.conditions import OpenSlotIn, _by_row, _walking, matches, search_words


def _relevance(words: list[str]):
    """How many of the words are in the title (every match already has all of them somewhere)."""
    hits = [case((func.lower(Offer.title).contains(word, autoescape=True), 1), else_=0) for word in words]
    return sum(hits[1:], hits[0])


def core(session: Session):
    """The session's connection: the ranking statements return plain tuples, so they skip the
    ORM's result handling (search_offers flushes first, so nothing pending is missed)."""
    return session.connection()


def _next_available(start: datetime, end: datetime | None):
    """Each offer's first open slot in the window: the stored next_open_at where it answers that
    (catalog.availability), else the slot table."""
    return stored_next_open(start, end).label("next_available")


def _order(filters, next_available) -> list:
    soonest = nulls_last(next_available)  # offers with no open slot last
    if filters.sort == "id":
        return [Offer.id]
    if filters.sort == "price":
        return [Offer.price, soonest, Offer.id]
    if filters.sort == "soonest":
        return [soonest, Offer.price, Offer.id]
    words = search_words(filters.q)
    return [_relevance(words).desc(), soonest, Offer.id] if words else [soonest, Offer.id]


Ranked = list[tuple[int, datetime | None]]


def rank_all(session, filters, conditions, start, end, offset: int, limit: int) -> Ranked:
    """One statement: every match with its next open slot, sorted; the page of (id, next open slot)."""
    next_available = _next_available(start, end)
    rows = core(session).execute(
        matches(conditions)
        .add_columns(next_available)
        .order_by(*_order(filters, next_available))
        .limit(limit)
        .offset(offset)
    )
    return [(offer_id, when) for offer_id, when in rows]


def _raw(column, sqlite: bool):
    """A timestamp column as the driver gives it (SQLite: its text, which sorts as the time does;
    PostgreSQL: a datetime), not through UTCDateTime: the walk compares a thousand of them and
    hands on twenty (`_from_raw`)."""
    return type_coerce(column, String() if sqlite else DateTime(timezone=True))


def _from_raw(value, sqlite: bool) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if sqlite else value.astimezone(UTC)


def rank_broad(session, filters, conditions, start, end, offset, limit) -> Ranked:
    """The same page as `rank_all` for a search with more matches than the count limit, without
    working out every match's next open slot:

    - soonest first (the default without words, and "soonest"): in the order of the offers'
      stored next open slots, which an index gives (`_by_stored`); with dates asked for, the
      stored slot (the next from now) is not the answer, so open slots are read in start order
      from the window's start until the page's offers have appeared (`_first_slots`);
    - price: find the price of the last offer on the page (the index gives prices in order),
      then rank only the offers up to that price in one statement;
    - relevance: band by band (how many of the words are in the title, most first), each by
      soonest as above; past page 1, a band is counted (up to the page's offset) to skip it whole
      when it ends before the page."""
    if filters.sort == "price":
        ceiling = core(session).scalar(
            matches(conditions)
            .with_only_columns(Offer.price)
            .order_by(Offer.price, Offer.id)
            .offset(offset + limit - 1)
            .limit(1)
        )
        if ceiling is not None:
            conditions = [*conditions, Offer.price <= ceiling]
        return rank_all(session, filters, conditions, start, end, offset, limit)
    by_soonest = _first_slots if filters.windowed else _by_stored
    words = search_words(filters.q)
    if filters.sort == "soonest" or not words:
        return by_soonest(session, filters, conditions, start, end, offset, limit)
    relevance = _relevance(words)
    ranked: Ranked = []
    for band in range(len(words), -1, -1):  # all the words in the title first, then fewer
        in_band = [*conditions, relevance == band]
        if offset:  # is the whole band before the page?
            size = core(session).scalar(
                select(func.count()).select_from(
                    matches(in_band).with_only_columns(Offer.id).limit(offset + 1).subquery()
                )
            )
            if size <= offset:
                offset -= size
                continue
        wanted = limit - len(ranked)
        found = by_soonest(session, filters, in_band, start, end, offset, wanted)
        ranked += found
        if len(found) == wanted:
            break
        offset = 0  # the band ran out within the page: the next one continues it
    return ranked


def _by_stored(session, filters, conditions, start, end, offset: int, limit: int) -> Ranked:
    """The page by soonest availability (no dates asked for), from the stored next open slots:

    - offers whose stored slot answers the question (`availability.stored_next_open`), in its
      order, which the (status, next_open_at) index gives, so the database stops at the page;
    - merged with the few whose stored slot has started since it was worked out, asked of the
      slot table (the refresh job keeps these few);
    - then, if the page reaches past every offer with an open slot, those with none."""
    wanted = offset + limit
    soonest = filters.sort == "soonest"
    tie = [Offer.price] if soonest else []
    stored_ok = Offer.next_open_from <= start
    dated = (
        core(session)
        .execute(
            matches([*(_walking(c) for c in conditions), stored_ok, Offer.next_open_at >= start])
            .with_only_columns(Offer.next_open_at, *tie, Offer.id)
            .order_by(Offer.next_open_at, *tie, Offer.id)
            .limit(wanted)
        )
        .all()
    )
    redone = (
        core(session)
        .execute(_unsure(conditions, start).with_only_columns(_next_available(start, end), *tie, Offer.id))
        .all()
    )
    order = sorted([*dated, *(row for row in redone if row[0] is not None)], key=lambda row: tuple(row))
    ranked: Ranked = [(row[-1], row[0]) for row in order[offset:wanted]]
    if len(ranked) == limit or len(dated) == wanted:  # (the latter: more dated offers may follow)
        return ranked
    # every offer with an open slot is above; those with none follow by (price,) id
    skip = max(0, offset - len(order))
    undated = (
        core(session)
        .execute(
            matches([*conditions, stored_ok, Offer.next_open_at.is_(None)])
            .with_only_columns(*tie, Offer.id)
            .order_by(*tie, Offer.id)
            .limit(skip + limit - len(ranked))
        )
        .all()
    )
    nones = sorted([*(tuple(row) for row in undated), *(tuple(row[1:]) for row in redone if row[0] is None)])
    ranked += [(row[-1], None) for row in nones[skip : skip + limit - len(ranked)]]
    return ranked


def _unsure(conditions, start: datetime):
    """The matches whose stored next open slot does not answer for `start`: worked out after it
    (a search of a moment past), or a slot that has started since. They are found on their own
    indexes (an OR of the two, or joined to the filters, is a scan of every offer on SQLite) and
    are few (the refresh job keeps them so), so they drive the query: the filters are checked
    row by row. Select the columns wanted with `with_only_columns`."""
    unsure = union(
        select(Offer.id).where(Offer.next_open_from > start),
        select(Offer.id).where(Offer.status == OfferStatus.PUBLISHED, Offer.next_open_at < start),
    ).subquery()
    return matches([*(_by_row(c) for c in conditions), Offer.id.in_(select(unsure.c.id))])


PREFIX_SLOTS = 25  # per offer wanted: how far the slot scan reads before ranking every match instead


def _first_slots(session, filters, conditions, start, end, offset: int, limit: int) -> Ranked:
    """The page by soonest availability, read off the open slots in start order: an offer's
    first slot read is its next open slot, so once offset + limit offers have appeared the page
    is known. That is quick when matches are common (every offer, a council, a date window) and
    slow when they are rare, so only a prefix is read: the first PREFIX_SLOTS x (offset + limit)
    slots in (start, offer, slot) order (`_slot_prefix`). If the prefix holds too few, the
    matches are few enough to rank outright (`rank_all`, from the stored next open slots). If
    the prefix is every open slot, the offers with none follow, by id (soonest's "nulls last")."""
    wanted = offset + limit
    first, complete, _ = _slot_prefix(
        session, filters, conditions, start, end, min(PREFIX_SLOTS * wanted, 20_000)
    )
    if len(first) < wanted and not complete:  # rare matches: rank them all
        return rank_all(session, filters, conditions, start, end, offset, limit)
    ranked = _page_of(session, first, offset, wanted)
    if len(ranked) < limit and not filters.windowed:  # every open slot read: the offers with none follow
        soonest = filters.sort == "soonest"
        no_slot = (
            matches([*conditions, ~has_open_slot(start, end)])
            .order_by(*([Offer.price] if soonest else []), Offer.id)
            .offset(max(0, offset - len(first)))
            .limit(limit - len(ranked))
        )
        ranked += [(offer_id, None) for offer_id in core(session).scalars(no_slot)]
    return ranked


def _page_of(session, first: dict, offset: int, wanted: int) -> Ranked:
    sqlite = session.get_bind().dialect.name == "sqlite"
    return [(offer_id, _from_raw(when, sqlite)) for offer_id, when in list(first.items())[offset:wanted]]


def _slot_prefix(session, filters, conditions, start, end, size: int) -> tuple[dict, bool, int]:
    """The first `size` open slots from `start` (to `end`) in (start, offer, slot) order, and which
    of their offers match, two plain statements put together here (joined in SQL, the planner may
    read every matching offer instead): (each matching offer's first slot among them, in rank
    order, as far as it is certain; whether they are every open slot; how many matching offers
    they hold). The slots' starts are as the driver gives them (`_raw`): `_page_of` converts the page's."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    window = [Slot.starts_at >= start, Slot.closed.is_(False)]
    if end is not None:
        window.append(Slot.starts_at < end)
    prefix = (
        core(session)
        .execute(
            select(_raw(Slot.starts_at, sqlite), Slot.offer_id, Slot.id, Slot.capacity - Slot.booked)
            .where(*window)
            .order_by(Slot.starts_at, Slot.offer_id, Slot.id)
            .limit(size)
        )
        .all()
    )
    complete = len(prefix) < size  # the prefix is every open slot
    soonest = filters.sort == "soonest"  # ties on the start: price first, as _order says
    offers = {
        offer_id: (price, reserve)
        for offer_id, price, reserve in core(session).execute(
            # an offer among the prefix's open slots has one in the window: no need to ask again
            matches([_by_row(c) for c in conditions if not isinstance(c, OpenSlotIn)])
            .with_only_columns(Offer.id, Offer.price, Offer.emergency_reserve)
            .where(_id_in(session, Offer.id, {offer_id for _, offer_id, _, _ in prefix}))
        )
    }
    rows = sorted(
        (when, offers[offer_id][0] if soonest else 0, offer_id, slot_id)
        for when, offer_id, slot_id, places in prefix
        if offer_id in offers and places > offers[offer_id][1]
    )
    boundary = prefix[-1][0] if prefix else None
    first: dict = {}
    for when, _, offer_id, _ in rows:
        if soonest and not complete and when >= boundary:
            # with price breaking ties, the prefix may hold only some slots of its last start
            # time: only offers first seen before it are certain
            break
        first.setdefault(offer_id, when)
    return first, complete, len({offer_id for _, _, offer_id, _ in rows})


def _id_in(session: Session, column, ids):
    """`column IN ids`; on PostgreSQL as `= ANY(array)`, one parameter however many ids (planning
    a thousand parameters costs more than running the query)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(list(ids), ARRAY(Integer)))
    return column.in_(list(ids))
