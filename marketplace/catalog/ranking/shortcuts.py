"""The four shortcut strategies (read-only): quicker ways to count and rank some searches, each
answering None when it cannot tell the page, and the caller then counts and ranks with the core
ranking (`ranking.general`), which gives the same page for any search. `search.search_offers`
chooses them; tests/catalog/test_search_broad.py and test_search_walk.py check each against
ranking every match; `python -m bench search --scale 100` times them. They are kept, measured or
removed as a unit, with the indexes that exist for them:

- `rank_walk`, free text alone by relevance: walks the published offers in stored-next-open-slot
  order off the walk indexes, which hold every column it reads: ix_offer_walk and
  ix_offer_walk_long on PostgreSQL (with the statistics offer_search_text_bytes, by which the
  planner chooses the long one), ix_offer_walk_sqlite on SQLite. Whether a band ranks above its
  page is asked of the titles' index: ix_offer_title_trgm on PostgreSQL, the FTS5 table
  offer_title (text_indexes.OFFER_TITLE) on SQLite.
- `rank_top_band`, free text with other filters by relevance: the page read off the soonest
  offers, in the (next_open_at, id) order the core ranking's `_by_stored` reads too
  (ix_offer_status_next_open_at; on SQLite ix_offer_walk_sqlite). No index of its own.
- `rank_words`, free text by relevance when neither tells the page: every match (up to
  WORDS_FETCH_LIMIT) read once, counted and ranked in one statement. No index of its own.
- `rank_window`, between two dates soonest first, on SQLite: counted and ranked off the open
  slots in start order (ix_slot_starts_at, which `general._first_slots` reads too). No index of
  its own.

Without them, the walk indexes, offer_search_text_bytes, ix_offer_title_trgm and offer_title
serve only what the core ranking also reads from them: ix_offer_walk_sqlite gives it its soonest
order on SQLite (ix_offer_status_next_open_at is empty there), and PostgreSQL may read
ix_offer_walk for it too; measure before dropping any of them."""

from itertools import combinations

from sqlalchemy import and_, func, literal, nulls_last, or_, select, union_all

from marketplace.catalog.models import WALK_TEXT_BYTES, Offer, OfferStatus
from marketplace.catalog.ranking.conditions import (
    _by_row,
    _fts_match,
    _pattern,
    _walking,
    matches,
    search_words,
)
from marketplace.catalog.ranking.general import (
    Ranked,
    _from_raw,
    _id_in,
    _next_available,
    _page_of,
    _raw,
    _relevance,
    _slot_prefix,
    _unsure,
    core,
)
from marketplace.catalog.text_indexes import OFFER_TITLE


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
    SQLite's text_indexes.OFFER_TITLE); False if that would take too many sets."""
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
