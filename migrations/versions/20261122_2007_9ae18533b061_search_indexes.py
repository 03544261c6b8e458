"""search indexes: category with price, an index-only next-open-slot lookup, trigram free text

Revision ID: 9ae18533b061
Revises: 2f96a0952b52
Create Date: 2026-11-22 20:07:16.117370

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9ae18533b061'
down_revision = '2f96a0952b52'
branch_labels = None
depends_on = None


def upgrade():
    # (status, category) is a prefix of the new (status, category, price): replace it.
    op.drop_index('ix_offer_status_category', table_name='offer')
    op.create_index('ix_offer_status_category_price', 'offer', ['status', 'category', 'price'], unique=False)
    op.create_index(
        'ix_slot_offer_open', 'slot', ['offer_id', 'starts_at', 'closed', 'capacity', 'booked'], unique=False
    )
    # Free text on PostgreSQL: a GIN trigram index serves `search_text LIKE '%word%'`. On SQLite the
    # same-named index is partial on a false predicate, so it stays empty and costs nothing.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    op.create_index(
        'ix_offer_search_text_trgm',
        'offer',
        ['search_text'],
        unique=False,
        postgresql_using='gin',
        postgresql_ops={'search_text': 'gin_trgm_ops'},
        sqlite_where=sa.text('0'),
    )


def downgrade():
    op.drop_index('ix_offer_search_text_trgm', table_name='offer')
    op.drop_index('ix_slot_offer_open', table_name='slot')
    op.drop_index('ix_offer_status_category_price', table_name='offer')
    op.create_index('ix_offer_status_category', 'offer', ['status', 'category'], unique=False)
    # pg_trgm stays: other objects may use it, and leaving an extension installed is harmless.
