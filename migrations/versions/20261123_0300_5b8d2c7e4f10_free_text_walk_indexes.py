"""Free text alone is read off published offers in next-open-slot order (catalog.ranking.rank_walk):
walk indexes that hold every column that reads, and an index of titles for relevance.

PostgreSQL: ix_offer_walk (INCLUDE, for search_text up to 1,800 bytes: an index row has a size
limit), ix_offer_walk_long for the rest, statistics on search_text's length so the planner knows
how few those are, and a trigram index on title. SQLite: ix_offer_walk_sqlite, whose key
starts with ix_offer_status_next_open_at's columns (that one is left empty there), and an FTS5
trigram table of titles kept by triggers (catalog.models.OFFER_TITLE). Each database's indexes are
empty (a false predicate) on the other, so models and migrations agree on both.

Revision ID: 5b8d2c7e4f10
Revises: 3c1f0e2a9b7d
Create Date: 2026-11-23 03:00:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "5b8d2c7e4f10"
down_revision = "3c1f0e2a9b7d"
branch_labels = None
depends_on = None

WALK_COLUMNS = "status, next_open_at, id, search_text, title, provider_id, next_open_from, emergency_reserve"

POSTGRESQL = (
    "CREATE INDEX ix_offer_walk ON offer (next_open_at, id) "
    "INCLUDE (search_text, title, provider_id, next_open_from, emergency_reserve) "
    "WHERE status = 'published' AND octet_length(search_text) <= 1800",
    "CREATE INDEX ix_offer_walk_long ON offer (next_open_at, id) "
    "WHERE status = 'published' AND octet_length(search_text) > 1800",
    f"CREATE INDEX ix_offer_walk_sqlite ON offer ({WALK_COLUMNS}) WHERE false",
    "CREATE INDEX ix_offer_title_trgm ON offer USING gin (title gin_trgm_ops)",
    "CREATE STATISTICS IF NOT EXISTS offer_search_text_bytes ON (octet_length(search_text)) FROM offer",
    "ANALYZE offer",
)

# the statements as catalog.models had them at this revision
SQLITE = (
    "DROP INDEX ix_offer_status_next_open_at",
    "CREATE INDEX ix_offer_status_next_open_at ON offer (status, next_open_at) WHERE 0",
    "CREATE INDEX ix_offer_walk ON offer (next_open_at, id) WHERE 0",
    "CREATE INDEX ix_offer_walk_long ON offer (next_open_at, id) WHERE 0",
    f"CREATE INDEX ix_offer_walk_sqlite ON offer ({WALK_COLUMNS})",
    "CREATE INDEX ix_offer_title_trgm ON offer (title) WHERE 0",
    "CREATE VIRTUAL TABLE offer_title USING fts5(title, content='offer', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER offer_title_insert AFTER INSERT ON offer BEGIN "
    "INSERT INTO offer_title(rowid, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER offer_title_delete AFTER DELETE ON offer BEGIN "
    "INSERT INTO offer_title(offer_title, rowid, title) VALUES ('delete', old.id, old.title); END",
    "CREATE TRIGGER offer_title_update AFTER UPDATE OF title ON offer BEGIN "
    "INSERT INTO offer_title(offer_title, rowid, title) VALUES ('delete', old.id, old.title); "
    "INSERT INTO offer_title(rowid, title) VALUES (new.id, new.title); END",
    "INSERT INTO offer_title(offer_title) VALUES ('rebuild')",  # index the offers there are
    "ANALYZE offer",
)


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL if postgresql else SQLITE:
        op.execute(statement)


def downgrade():
    for name in ("ix_offer_walk", "ix_offer_walk_long", "ix_offer_walk_sqlite", "ix_offer_title_trgm"):
        op.execute(f"DROP INDEX {name}")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS offer_search_text_bytes")
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER offer_title_{trigger}")
    op.execute("DROP TABLE offer_title")
    op.execute("DROP INDEX ix_offer_status_next_open_at")
    op.execute("CREATE INDEX ix_offer_status_next_open_at ON offer (status, next_open_at)")
