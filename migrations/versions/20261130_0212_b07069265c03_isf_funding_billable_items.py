"""billable items for ISF funding instalments (and the receipts their payment makes)

A billable item is now a booking's posted share (as before) or one ISF funding instalment:
(isf, stream, period start) is recorded once. `isf_funding_receipt` links each line of an ISF
funding invoice to the ISF receipts its payments became.

Revision ID: b07069265c03
Revises: a7c3e9d14f02
Create Date: 2026-11-30 02:12:25.456606

"""
from alembic import op
import sqlalchemy as sa

import marketplace.core.types


# revision identifiers, used by Alembic.
revision = 'b07069265c03'
down_revision = 'a7c3e9d14f02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('isf_funding_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('invoice_line_id', sa.Integer(), nullable=False),
    sa.Column('isf_receipt_id', sa.Integer(), nullable=False),
    sa.Column('payment_reference', sa.String(length=120), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('created_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_isf_funding_receipt_amount_positive')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_isf_funding_receipt_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['invoice_line_id'], ['invoice_line.id'], name=op.f('fk_isf_funding_receipt_invoice_line_id_invoice_line')),
    sa.ForeignKeyConstraint(['isf_receipt_id'], ['isf_receipt.id'], name=op.f('fk_isf_funding_receipt_isf_receipt_id_isf_receipt')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_isf_funding_receipt')),
    sa.UniqueConstraint('invoice_line_id', 'payment_reference', name=op.f('uq_isf_funding_receipt_invoice_line_id_payment_reference'))
    )
    with op.batch_alter_table('isf_funding_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_isf_funding_receipt_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_isf_funding_receipt_isf_receipt_id'), ['isf_receipt_id'], unique=False)

    with op.batch_alter_table('billable_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('isf_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('period_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('period_end', sa.Date(), nullable=True))
        batch_op.alter_column('booking_payment_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.alter_column('transfer_id',
               existing_type=sa.BIGINT(),
               nullable=True)
        batch_op.alter_column('booking_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_billable_item_isf_id_stream_id_period_start'), ['isf_id', 'stream_id', 'period_start'])
        batch_op.create_foreign_key(batch_op.f('fk_billable_item_isf_id_isf'), 'isf', ['isf_id'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_billable_item_booking_or_instalment'),
            "(kind = 'isf_funding' AND isf_id IS NOT NULL AND period_start IS NOT NULL"
            " AND period_end IS NOT NULL AND booking_payment_id IS NULL)"
            " OR (kind <> 'isf_funding' AND booking_payment_id IS NOT NULL AND booking_id IS NOT NULL"
            " AND transfer_id IS NOT NULL AND isf_id IS NULL)",
        )



def downgrade():
    with op.batch_alter_table('billable_item', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_billable_item_booking_or_instalment'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_billable_item_isf_id_isf'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_billable_item_isf_id_stream_id_period_start'), type_='unique')
        batch_op.alter_column('booking_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.alter_column('transfer_id',
               existing_type=sa.BIGINT(),
               nullable=False)
        batch_op.alter_column('booking_payment_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('period_end')
        batch_op.drop_column('period_start')
        batch_op.drop_column('isf_id')

    with op.batch_alter_table('isf_funding_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_isf_funding_receipt_isf_receipt_id'))
        batch_op.drop_index(batch_op.f('ix_isf_funding_receipt_invoice_id'))

    op.drop_table('isf_funding_receipt')
