"""How search ranks a page of offers (read-only): the strategies behind `search.search_offers`
and the conditions they share. Every strategy returns the page as (offer id, next open slot)
pairs, in order; tests/catalog/test_search_broad.py checks each against ranking every match."""

from datetime import UTC, datetime
from itertools import combinations

from sqlalchemy import (
    ARRAY,
    DateTime,
    Integer,
    String,
    and_,
    any_,
    case,
    cast,
    column,
    func,
    literal,
    nulls_last,
    or_,
    select,
    table,
    type_coerce,
    union,
    union_all,
)
from sqlalchemy.orm import Session

from marketplace.catalog.availability import has_open_slot, stored_next_open
from marketplace.catalog.models import (
    OFFER_TEXT,
    OFFER_TITLE,
    WALK_TEXT_BYTES,
    Offer,
    OfferStatus,
    ProviderArea,
    ProviderProfile,
    Slot,
)

MAX_WORDS = 8


def search_words(q: str | None) -> list[str]:
    """The search's words, lower-cased, at most MAX_WORDS."""
    return [w.lower() for w in (q or "").split()][:MAX_WORDS]


def _relevance(words: list[str]):
    """How many of the words are in the title (every match already has all of them somewhere)."""
    hits = [case((func.lower(Offer.title).contains(word, autoescape=True), 1), else_=0) for word in words]
    return sum(hits[1:], hits[0])


def core(session: Session):
    """The session's connection: the ranking statements return plain tuples, so they skip the
    ORM's result handling (search_offers flushes first, so nothing pending is missed)."""
    return session.connection()


def matches(conditions: list):
    return select(Offer.id).join(ProviderProfile, ProviderProfile.id == Offer.provider_id).where(*conditions)


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


PREFIX_OFFERS = 25  # per offer wanted: how many offers, soonest first, `rank_top_band` reads


def rank_top_band(session, filters, conditions, start, offset: int, limit: int) -> Ranked | None:
    """A free-text search by relevance, no dates, read off the offers in stored-next-open-slot
    order: quick when the top band (every word in the title) is common, None when it is not.

    The first PREFIX_OFFERS x (offset + limit) published offers in (next_open_at, id) order (the
    index gives them) are checked against the filters and given their band. If offset + limit
    of them are in the top band, the few whose stored slot does not answer (asked of the slot
    table, as `_by_stored` does) join them, and the first offset + limit are the page: every
    other offer comes after every offer of the prefix, and no band comes before the top one.
    Otherwise (a rare top band, or a page far down) None: the caller ranks every match
    (`rank_words`), which costs a read of each match (about 2 µs a match on PostgreSQL: 50 ms
    for a word found in 25,000 of 100,000 offers, where this takes a few)."""
    wanted = offset + limit
    words = search_words(filters.q)
    size = min(PREFIX_OFFERS * wanted, 20_000)
    prefix = (
        core(session)
        .execute(
            select(Offer.next_open_at, Offer.id)
            .where(
                Offer.status == OfferStatus.PUBLISHED,
                Offer.next_open_from <= start,
                Offer.next_open_at >= start,
            )
            .order_by(Offer.next_open_at, Offer.id)
            .limit(size)
        )
        .all()
    )
    top = len(words)
    relevance = _relevance(words)
    in_top = {
        offer_id
        for offer_id, band in core(session).execute(
            matches([_by_row(c) for c in conditions])
            .with_only_columns(Offer.id, relevance)
            .where(_id_in(session, Offer.id, [offer_id for _, offer_id in prefix]))
        )
        if band == top
    }
    rows = [(when, offer_id) for when, offer_id in prefix if offer_id in in_top]
    if len(rows) < wanted:
        return None  # (the unsure offers could make up the difference, but rarely do)
    for when, offer_id, band in core(session).execute(
        _unsure(conditions, start).with_only_columns(_next_available(start, None), Offer.id, relevance)
    ):
        if band == top and when is not None:  # (any later than the prefix sort after its rows)
            rows.append((when, offer_id))
    return [(offer_id, when) for when, offer_id in sorted(rows)[offset:wanted]]


def rank_walk(session, filters, conditions, start, offset: int, limit: int, count_limit: int):
    """Free text alone (no other filter), by relevance, no dates: the page and the number of
    matches (count_limit + 1 meaning "more"), or None when the walk cannot tell the page.

    The published offers are walked in stored-next-open-slot order (`_walk`), each checked
    against the words in the index itself, until count_limit + 1 match (or wanted, if more). If
    fewer match, those are every match: counted and ranked here. If not, the walk's rows are the
    soonest matches, and the page is theirs when it lies within the highest band (most words in
    the title) present, with nothing above it: a band above the walk's highest is looked up in
    the titles' own index (`_no_band_above`); the few offers whose stored slot does not answer
    are asked of the slot table (`_unsure`). Otherwise (a page past the soonest rows of that
    band) None: the caller ranks every match (`rank_words`).

    The words are common when this matters: "sensory garden", in 6.7% of 100,000 offers, reads
    about 15,000 index rows, not 6,700 offers (then ranks them)."""
    wanted = offset + limit
    words = search_words(filters.q)
    relevance = _relevance(words)
    size = max(count_limit + 1, wanted)
    sqlite = session.get_bind().dialect.name == "sqlite"
    rows = _walk(session, conditions, start, relevance, size)
    # (band first, no slot last, then soonest and id; the slots as the database gives them, see _raw)
    key = {offer_id: (-band, when is None, when or 0, offer_id) for offer_id, _, when, band in rows}

    def page(keys) -> Ranked:
        return [(offer_id, None if none else _from_raw(when, sqlite)) for _, none, when, offer_id in keys]

    if len(rows) < size:  # every match: rank them
        return page(sorted(key.values())[offset:wanted]), len(rows)
    # More match than the walk read. The rest come after its last row in stored order; those whose
    # stored slot does not answer may come anywhere, so they are asked of the slot table.
    last_at, last_id = rows[-1][1], rows[-1][0]
    unsure = _unsure(conditions, start).with_only_columns(
        _raw(_next_available(start, None), sqlite), Offer.id, relevance
    )
    for when, offer_id, band in core(session).execute(unsure):
        key[offer_id] = (-band, when is None, when or 0, offer_id)
    top = -min(k[0] for k in key.values())
    if top < len(words) and not _no_band_above(session, conditions, words, top):
        return None

    def certain(k) -> bool:  # before every offer the walk did not read, in its band
        _, none, when, offer_id = k
        if last_at is None:  # (SQLite's walk puts offers with no slot first, PostgreSQL's last)
            return not sqlite and (not none or offer_id <= last_id)
        return not none and (when, offer_id) <= (last_at, last_id)

    band = sorted(k for k in key.values() if -k[0] == top and certain(k))
    if len(band) < wanted:
        return None
    return page(band[offset:wanted]), size


def _raw(column, sqlite: bool):
    """A timestamp column as the driver gives it (SQLite: its text, which sorts as the time does;
    PostgreSQL: a datetime), not through UTCDateTime: the walk compares a thousand of them and
    hands on twenty (`_from_raw`)."""
    return type_coerce(column, String() if sqlite else DateTime(timezone=True))


def _from_raw(value, sqlite: bool) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if sqlite else value.astimezone(UTC)


def _walk(session, conditions, start, relevance, size: int) -> list:
    """The first `size` matches in stored-next-open-slot order (SQLite puts offers with none
    first, PostgreSQL last), as (id, next_open_at, next open slot, band) rows. Each is read off a
    walk index (models.ix_offer_walk*), which holds every column this reads, the free text
    checked row by row; the database may instead find the matches by the text index and sort
    them, when it expects few. On PostgreSQL, offers with a longer search_text than the main walk
    index holds have an index of their own: the two walks are merged."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    columns = (
        Offer.id,
        *(_raw(c, sqlite) for c in (Offer.next_open_at, _next_available(start, None))),
        relevance,
    )
    if sqlite:
        walk = matches([_walking(c) for c in conditions]).with_only_columns(*columns)
        return core(session).execute(walk.order_by(Offer.next_open_at, Offer.id).limit(size)).all()
    length = func.octet_length(Offer.search_text)
    bytes_ = literal(WALK_TEXT_BYTES, literal_execute=True)
    short, long = (
        matches([*conditions, test])
        .with_only_columns(*columns)
        .order_by(Offer.next_open_at, Offer.id)
        .limit(size)
        for test in (length <= bytes_, length > bytes_)
    )
    both = union_all(short, long).subquery()
    return core(session).execute(select(both).order_by(both.c.next_open_at, both.c.id).limit(size)).all()


TITLE_COMBINATIONS = 20  # the most sets of words `_no_band_above` asks about in one statement


def _no_band_above(session, conditions, words: list[str], band: int) -> bool:
    """No match has more than `band` of the words in its title: none has every word of any set of
    band + 1 of them there, asked of the titles' index (PostgreSQL's ix_offer_title_trgm,
    SQLite's models.OFFER_TITLE); False if that would take too many sets."""
    sets = list(combinations(words, band + 1))
    if len(sets) > TITLE_COMBINATIONS:
        return False
    any_set = []
    for words_set in sets:
        if session.get_bind().dialect.name != "sqlite":
            any_set.append(and_(*(Offer.title.ilike(_pattern(word), escape="/") for word in words_set)))
        elif (titled := _fts_match(OFFER_TITLE, "title", func.lower(Offer.title), words_set)) is not None:
            any_set.append(titled)
        else:
            return False  # (no word with a trigram to look up)
    # a count, not EXISTS: with a LIMIT 1 the planner may walk the offers hoping for an early hit
    found = core(session).scalar(
        matches([*(_by_row(c) for c in conditions), or_(*any_set)]).with_only_columns(func.count())
    )
    return found == 0


WORDS_FETCH_LIMIT = 20_000


def rank_words(session, filters, conditions, start, offset: int, limit: int) -> tuple[Ranked, int] | None:
    """A free-text search by relevance, no dates: the page and the number of matches, in one
    statement; None if more than WORDS_FETCH_LIMIT match (then it is counted and ranked band by
    band, `rank_broad`).

    Free text is the costly part of such a search (the trigram index finds candidates; each must
    be read and checked), and counting, then ranking band by band, would do that several times.
    Here the matches (at most the limit, which bounds the work) are read once, counted with a
    window function and ranked from their stored next open slots."""
    matched = (
        matches(conditions)
        .with_only_columns(
            Offer.id.label("id"),
            _relevance(search_words(filters.q)).label("relevance"),
            _next_available(start, None),
        )
        .limit(WORDS_FETCH_LIMIT + 1)
        .subquery()
    )
    rows = (
        core(session)
        .execute(
            select(matched.c.id, matched.c.next_available, func.count().over())
            .order_by(matched.c.relevance.desc(), nulls_last(matched.c.next_available), matched.c.id)
            .limit(limit)
            .offset(offset)
        )
        .all()
    )
    # (a page past the end has no rows to carry the count: count them)
    found = rows[0][2] if rows else core(session).scalar(select(func.count()).select_from(matched))
    if found > WORDS_FETCH_LIMIT:
        return None
    return [(offer_id, when) for offer_id, when, _ in rows], found


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


WINDOW_SLOTS = 2  # open slots `rank_window` reads per offer it must count (3: 34 ms not 25 at 100,000 offers)


def rank_window(session, filters, conditions, start, end, offset: int, limit: int, count_limit: int):
    """A search between two dates, soonest first (or by relevance without words): the page and
    the number of matches (count_limit + 1 meaning "more"), both read off the open slots in start
    order (`_slot_prefix`), or None when the slots read hold too few matches to tell.

    The slots read are enough for count_limit + 1 offers, or the page, if more (each offer
    matches once however many of its slots are read, so up to WINDOW_SLOTS slots an offer).
    If they are every open slot in the window, the offers among them are every match: counted and
    ranked. If they hold more matching offers than the count limit, the page is theirs. This
    replaces counting the matches one offer at a time (each asked whether it has an open slot in
    the window), which read about 2,600 offers for a count of 1,000 at 100,000 offers."""
    wanted = offset + limit
    size = min(WINDOW_SLOTS * max(count_limit + 1, wanted), 20_000)
    first, complete, matching = _slot_prefix(session, filters, conditions, start, end, size)
    if complete:
        return _page_of(session, first, offset, wanted), len(first)
    if matching <= count_limit or len(first) < wanted:
        return None
    return _page_of(session, first, offset, wanted), count_limit + 1


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


class WordsMatch:
    """The free-text filter as a where() condition: the offer's search_text contains every word.

    On PostgreSQL, `search_text LIKE '%word%'` per word, which the trigram index serves. On SQLite,
    one MATCH of the quoted words on the FTS5 trigram table (models.OFFER_TEXT), which finds the
    same offers; words under three characters have no trigram, so they are LIKEs on the offers
    the MATCH found (or on every offer, if no word is long enough). `by_row()` is the same test
    as plain LIKEs, which no index serves, for a query that finds its few hundred rows by id."""

    def __init__(self, words: list[str], dialect: str):
        self.words, self.dialect = words, dialect

    def __clause_element__(self):
        if self.dialect == "sqlite":
            found = _fts_match(OFFER_TEXT, "search_text", Offer.search_text, self.words)
            if found is not None:
                return found
        return self.by_row(indexed=True)

    def by_row(self, *, indexed: bool = False):
        text = Offer.search_text if indexed else Offer.search_text + ""  # (+ "": no index serves it)
        return and_(*(_contains(text, word) for word in self.words))


def _fts_match(index: str, name: str, text, words: list[str]):
    """SQLite: `text` (the offer column `name`, which the FTS5 trigram table `index` indexes)
    contains every word: one MATCH of the quoted words of three or more characters (what users
    type is never FTS syntax), LIKEs on the offers it finds for shorter ones (they have no
    trigram); None if no word is long enough."""
    long = [word for word in words if len(word) >= 3]
    if not long:
        return None
    fts = table(index, column("rowid"), column(name))
    query = " AND ".join('"' + word.replace('"', '""') + '"' for word in long)
    found = select(fts.c.rowid).where(fts.c[name].match(query))
    return and_(Offer.id.in_(found), *(_contains(text, word) for word in words if len(word) < 3))


def _contains(text, word: str):
    return text.like(_pattern(word), escape="/")


def _pattern(word: str):
    """`%word%` for LIKE ... ESCAPE '/', written into the statement rather than sent as a
    parameter: psycopg prepares a statement run five times, and PostgreSQL may then plan it once
    for any values; with the words in its text, each search keeps a plan for its own words (a
    walk for common ones, the text index for rare ones)."""
    escaped = word.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return literal(f"%{escaped}%", literal_execute=True)


class Published:
    """Every search's first condition: the offer is published, as a constant in the statement (a
    parameter would not prove the walk indexes' `status = 'published'` in a generic plan).
    `by_row()` is the same test on `status || ''`, which no index serves, for a query that finds
    its rows by id (on SQLite an index on status would otherwise lead it to read every published
    offer)."""

    def __clause_element__(self):
        return Offer.status == literal(OfferStatus.PUBLISHED.value, literal_execute=True)

    def by_row(self):
        return Offer.status.concat("") == OfferStatus.PUBLISHED.value


class OpenSlotIn:
    """The availability filter: the offer has an open slot in [start, end)."""

    def __init__(self, start: datetime, end: datetime | None):
        self.start, self.end = start, end

    def __clause_element__(self):
        return has_open_slot(self.start, self.end)


class InArea:
    """The area filter: the offer's provider serves the area. An IN, not a correlated EXISTS: the
    providers serving an area are looked up once (PostgreSQL hashes them), not once per offer."""

    def __init__(self, kind, code):
        self.kind, self.code = kind, code

    def __clause_element__(self, column=Offer.provider_id):
        serving = select(ProviderArea.profile_id).where(
            ProviderArea.kind == self.kind, ProviderArea.code == self.code
        )
        return column.in_(serving)

    def walking(self):
        """The same test on `provider_id + 0`, which no index serves: SQLite would otherwise
        read every offer of the area's providers and sort them, rather than walk the offers in
        next-open-slot order and stop at the page."""
        return self.__clause_element__(Offer.provider_id + 0)


def _walking(condition):
    """The condition as a filter on offers walked in an index's order (see InArea.walking; free
    text as plain LIKEs: SQLite would otherwise build the text index's whole list of matches)."""
    if isinstance(condition, InArea):
        return condition.walking()
    return condition.by_row() if isinstance(condition, WordsMatch) else condition


def _by_row(condition):
    return condition.by_row() if isinstance(condition, WordsMatch | Published) else condition


def _id_in(session: Session, column, ids):
    """`column IN ids`; on PostgreSQL as `= ANY(array)`, one parameter however many ids (planning
    a thousand parameters costs more than running the query)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(cast(list(ids), ARRAY(Integer)))
    return column.in_(list(ids))
