"""offer next open slot: Offer.next_open_at, kept by catalog.availability; worked out here for
every existing offer as of the upgrade.

Revision ID: d48bb45db69c
Revises: 9ae18533b061
Create Date: 2026-11-22 22:02:44.552074

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

import marketplace.core.types


# revision identifiers, used by Alembic.
revision = 'd48bb45db69c'
down_revision = '9ae18533b061'
branch_labels = None
depends_on = None


def upgrade():
    # plain ALTER TABLE ... ADD COLUMN and CREATE INDEX, no batch: SQLite would rebuild the table,
    # which the slots and bookings referring to it forbid once there are any
    when = marketplace.core.types.UTCDateTime(timezone=True)
    op.add_column('offer', sa.Column('next_open_at', when, nullable=True))
    # NOT NULL from the start, with a placeholder replaced below for every row (making it NOT NULL
    # afterwards would be a rebuild too on SQLite)
    op.add_column('offer', sa.Column('next_open_from', when, nullable=False,
                                     server_default=sa.text("'2000-01-01 00:00:00'")))

    # every offer's next open slot as of now (catalog.availability.refresh, as of this revision)
    offer = sa.table('offer', sa.column('id', sa.Integer), sa.column('emergency_reserve', sa.Integer),
                     sa.column('next_open_at', when), sa.column('next_open_from', when))
    slot = sa.table('slot', sa.column('offer_id', sa.Integer), sa.column('starts_at', when),
                    sa.column('closed', sa.Boolean), sa.column('capacity', sa.Integer), sa.column('booked', sa.Integer))
    now = datetime.now(UTC)
    first_open = (
        sa.select(sa.func.min(slot.c.starts_at))
        .where(slot.c.offer_id == offer.c.id, slot.c.closed.is_(False),
               slot.c.capacity - slot.c.booked > offer.c.emergency_reserve, slot.c.starts_at >= now)
        .scalar_subquery()
    )
    op.execute(offer.update().values(next_open_at=first_open, next_open_from=now))
    if op.get_bind().dialect.name == 'postgresql':
        op.alter_column('offer', 'next_open_from', server_default=None)
    op.create_index('ix_offer_next_open_from', 'offer', ['next_open_from'], unique=False)
    op.create_index('ix_offer_status_next_open_at', 'offer', ['status', 'next_open_at'], unique=False)


def downgrade():
    op.drop_index('ix_offer_status_next_open_at', table_name='offer')
    op.drop_index('ix_offer_next_open_from', table_name='offer')
    op.drop_column('offer', 'next_open_from')
    op.drop_column('offer', 'next_open_at')
