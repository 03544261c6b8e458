"""message threads: a conversation per booking and per ISF between its parties

Revision ID: 3b6f1d2a9c47
Revises: ba9a77f9aa93
Create Date: 2026-11-30 06:30:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.core.types


# revision identifiers, used by Alembic.
revision = '3b6f1d2a9c47'
down_revision = 'ba9a77f9aa93'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('isf_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('author_for', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(booking_id IS NULL) <> (isf_id IS NULL)', name=op.f('ck_message_one_thread')),
    sa.CheckConstraint('length(body) > 0', name=op.f('ck_message_body_not_empty')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_message_author_id_user')),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_message_booking_id_booking')),
    sa.ForeignKeyConstraint(['isf_id'], ['isf.id'], name=op.f('fk_message_isf_id_isf')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message'))
    )
    op.create_index('ix_message_booking_id_created_at', 'message', ['booking_id', 'created_at'], unique=False)
    op.create_index('ix_message_isf_id_created_at', 'message', ['isf_id', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_message_isf_id_created_at', table_name='message')
    op.drop_index('ix_message_booking_id_created_at', table_name='message')
    op.drop_table('message')
