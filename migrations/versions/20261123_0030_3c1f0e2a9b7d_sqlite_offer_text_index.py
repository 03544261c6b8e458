"""SQLite offer text index: an FTS5 trigram table over offer.search_text, kept by triggers, so
free-text search finds its offers without reading every offer (catalog.models.OFFER_TEXT).
PostgreSQL already has its trigram index (9ae18533b061): nothing to do there.

Revision ID: 3c1f0e2a9b7d
Revises: d48bb45db69c
Create Date: 2026-11-23 00:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3c1f0e2a9b7d'
down_revision = 'd48bb45db69c'
branch_labels = None
depends_on = None

# the statements as catalog.models.OFFER_TEXT_SQLITE had them at this revision
CREATE = (
    "CREATE VIRTUAL TABLE offer_text USING fts5(search_text, content='offer', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE TRIGGER offer_text_insert AFTER INSERT ON offer BEGIN "
    "INSERT INTO offer_text(rowid, search_text) VALUES (new.id, new.search_text); END",
    "CREATE TRIGGER offer_text_delete AFTER DELETE ON offer BEGIN "
    "INSERT INTO offer_text(offer_text, rowid, search_text) VALUES ('delete', old.id, old.search_text); END",
    "CREATE TRIGGER offer_text_update AFTER UPDATE OF search_text ON offer BEGIN "
    "INSERT INTO offer_text(offer_text, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
    "INSERT INTO offer_text(rowid, search_text) VALUES (new.id, new.search_text); END",
)


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in CREATE:
        op.execute(statement)
    op.execute("INSERT INTO offer_text(offer_text) VALUES ('rebuild')")  # index the offers there are


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER offer_text_{trigger}")
    op.execute("DROP TABLE offer_text")
