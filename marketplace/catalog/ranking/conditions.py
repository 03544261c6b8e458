"""The search's conditions (read-only): each filter of `search._conditions` as a where() clause,
the forms a condition takes in a query that walks an index in order (`_walking`) or finds its
rows by id (`_by_row`), and `matches`, the offers meeting them all. Free text is the costly
condition: PostgreSQL's trigram index (ix_offer_search_text_trgm) serves it, on SQLite the FTS5
table text_indexes.OFFER_TEXT."""

from datetime import datetime

from sqlalchemy import and_, column, literal, select, table

from marketplace.catalog.availability import has_open_slot
from marketplace.catalog.models import Offer, OfferStatus, ProviderArea, ProviderProfile
from marketplace.catalog.text_indexes import OFFER_TEXT

MAX_WORDS = 8


def search_words(q: str | None) -> list[str]:
    """The search's words, lower-cased, at most MAX_WORDS."""
    return [w.lower() for w in (q or "").split()][:MAX_WORDS]


def matches(conditions: list):
    return select(Offer.id).join(ProviderProfile, ProviderProfile.id == Offer.provider_id).where(*conditions)


class WordsMatch:
    """The free-text filter as a where() condition: the offer's search_text contains every word.

    On PostgreSQL, `search_text LIKE '%word%'` per word, which the trigram index serves. On SQLite,
    one MATCH of the quoted words on the FTS5 trigram table (text_indexes.OFFER_TEXT), which finds the
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
