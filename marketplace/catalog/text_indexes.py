"""SQLite's free-text indexes: FTS5 trigram tables over offer columns, made by DDL with the offer
table (not models) and kept by triggers. Search reads them (catalog.ranking.conditions); PostgreSQL
has trigram indexes instead (models.ix_offer_search_text_trgm, ix_offer_title_trgm). The
migrations that create them write their own copies of the DDL."""

from sqlalchemy import DDL, event

from marketplace.catalog.models import Offer
from marketplace.core.db import UNMANAGED_TABLES


def _sqlite_text_index(name: str, column: str) -> tuple[str, ...]:
    """An FTS5 table `name` with the trigram tokenizer over offer.`column` (external-content: it
    stores the index, not a copy of the text), kept in step by triggers, so every writer of offer
    (the ORM, bulk SQL, a console) keeps it right; made with offer on SQLite and dropped with it.
    A MATCH of quoted words finds the offers whose column contains each word, as
    `LIKE '%word%'` does, for words of three or more characters. Not a model: Alembic's
    comparison skips it (core.db.UNMANAGED_TABLES). Returns its DDL."""
    statements = (
        f"CREATE VIRTUAL TABLE {name} USING fts5({column}, content='offer', content_rowid='id', "
        "tokenize='trigram')",
        f"CREATE TRIGGER {name}_insert AFTER INSERT ON offer BEGIN "
        f"INSERT INTO {name}(rowid, {column}) VALUES (new.id, new.{column}); END",
        f"CREATE TRIGGER {name}_delete AFTER DELETE ON offer BEGIN "
        f"INSERT INTO {name}({name}, rowid, {column}) VALUES ('delete', old.id, old.{column}); END",
        f"CREATE TRIGGER {name}_update AFTER UPDATE OF {column} ON offer BEGIN "
        f"INSERT INTO {name}({name}, rowid, {column}) VALUES ('delete', old.id, old.{column}); "
        f"INSERT INTO {name}(rowid, {column}) VALUES (new.id, new.{column}); END",
    )
    for statement in statements:
        event.listen(Offer.__table__, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    # (dropping offer drops its triggers)
    drop = DDL(f"DROP TABLE IF EXISTS {name}").execute_if(dialect="sqlite")
    event.listen(Offer.__table__, "before_drop", drop)
    UNMANAGED_TABLES.add(name)
    return statements


OFFER_TEXT = "offer_text"
"""SQLite's free-text index, over offer.search_text (catalog.ranking.conditions.WordsMatch). Migration
3c1f0e2a9b7d creates the same."""
OFFER_TEXT_SQLITE = _sqlite_text_index(OFFER_TEXT, "search_text")

OFFER_TITLE = "offer_title"
"""SQLite's index of titles: relevance is how many of the words the title holds, and
catalog.ranking.shortcuts.rank_walk asks it whether any match ranks above its page (PostgreSQL has
ix_offer_title_trgm). A table of its own: FTS5 keeps one index for all of a table's columns, so
a title column in OFFER_TEXT would read search_text's long lists for every word. Migration
5b8d2c7e4f10 creates the same."""
OFFER_TITLE_SQLITE = _sqlite_text_index(OFFER_TITLE, "title")
