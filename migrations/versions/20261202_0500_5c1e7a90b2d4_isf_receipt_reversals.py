"""ISF receipt reversals: a receipt taken back out of the ISF when its funder's payment is reversed

Revision ID: 5c1e7a90b2d4
Revises: 638c92dd8b80
Create Date: 2026-12-02 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import marketplace.core.types


# revision identifiers, used by Alembic.
revision = '5c1e7a90b2d4'
down_revision = '638c92dd8b80'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('isf_receipt_reversal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('isf_id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('reversed_on', sa.Date(), nullable=False),
    sa.Column('reversed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason <> ''", name=op.f('ck_isf_receipt_reversal_reason_given')),
    sa.ForeignKeyConstraint(['isf_id'], ['isf.id'], name=op.f('fk_isf_receipt_reversal_isf_id_isf')),
    sa.ForeignKeyConstraint(['receipt_id'], ['isf_receipt.id'], name=op.f('fk_isf_receipt_reversal_receipt_id_isf_receipt')),
    sa.ForeignKeyConstraint(['reversed_by_id'], ['user.id'], name=op.f('fk_isf_receipt_reversal_reversed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_isf_receipt_reversal')),
    sa.UniqueConstraint('receipt_id', name=op.f('uq_isf_receipt_reversal_receipt_id'))
    )
    with op.batch_alter_table('isf_receipt_reversal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_isf_receipt_reversal_isf_id'), ['isf_id'], unique=False)


def downgrade():
    with op.batch_alter_table('isf_receipt_reversal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_isf_receipt_reversal_isf_id'))

    op.drop_table('isf_receipt_reversal')
