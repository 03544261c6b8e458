"""payments received (remittances): payments, their allocations to invoices, reversals

Revision ID: 67ccb3d96285
Revises: 8923a595aed3
Create Date: 2026-11-30 02:13:28.431168

"""
from alembic import op
import sqlalchemy as sa

import marketplace.core.types


# revision identifiers, used by Alembic.
revision = '67ccb3d96285'
down_revision = '8923a595aed3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoice_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('payer_org_id', sa.Integer(), nullable=True),
    sa.Column('payer_family_id', sa.Integer(), nullable=True),
    sa.Column('payer_key', sa.String(length=30), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reference <> ''", name=op.f('ck_invoice_payment_reference_given')),
    sa.CheckConstraint('(payer_org_id IS NULL) <> (payer_family_id IS NULL)', name=op.f('ck_invoice_payment_one_payer')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_invoice_payment_amount_positive')),
    sa.ForeignKeyConstraint(['payer_family_id'], ['family.id'], name=op.f('fk_invoice_payment_payer_family_id_family')),
    sa.ForeignKeyConstraint(['payer_org_id'], ['organisation.id'], name=op.f('fk_invoice_payment_payer_org_id_organisation')),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_invoice_payment_provider_id_organisation')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_invoice_payment_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_payment')),
    sa.UniqueConstraint('provider_id', 'payer_key', 'reference', name=op.f('uq_invoice_payment_provider_id_payer_key_reference'))
    )
    with op.batch_alter_table('invoice_payment', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_payment_payer_family', ['payer_family_id'], unique=False)
        batch_op.create_index('ix_invoice_payment_payer_org', ['payer_org_id'], unique=False)
        batch_op.create_index('ix_invoice_payment_provider_received', ['provider_id', 'received_on'], unique=False)

    op.create_table('invoice_payment_allocation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('transfer_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_invoice_payment_allocation_amount_positive')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_payment_allocation_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['payment_id'], ['invoice_payment.id'], name=op.f('fk_invoice_payment_allocation_payment_id_invoice_payment')),
    sa.ForeignKeyConstraint(['transfer_id'], ['ledger_transfer.id'], name=op.f('fk_invoice_payment_allocation_transfer_id_ledger_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_payment_allocation')),
    sa.UniqueConstraint('payment_id', 'invoice_id', name=op.f('uq_invoice_payment_allocation_payment_id_invoice_id')),
    sa.UniqueConstraint('transfer_id', name=op.f('uq_invoice_payment_allocation_transfer_id'))
    )
    with op.batch_alter_table('invoice_payment_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_payment_allocation_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('invoice_payment_reversal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('reversed_on', sa.Date(), nullable=False),
    sa.Column('reversed_by_id', sa.Integer(), nullable=True),
    sa.Column('reversed_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("reason <> ''", name=op.f('ck_invoice_payment_reversal_reason_given')),
    sa.ForeignKeyConstraint(['payment_id'], ['invoice_payment.id'], name=op.f('fk_invoice_payment_reversal_payment_id_invoice_payment')),
    sa.ForeignKeyConstraint(['reversed_by_id'], ['user.id'], name=op.f('fk_invoice_payment_reversal_reversed_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_payment_reversal')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_invoice_payment_reversal_payment_id'))
    )


def downgrade():
    op.drop_table('invoice_payment_reversal')
    with op.batch_alter_table('invoice_payment_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_payment_allocation_invoice_id'))

    op.drop_table('invoice_payment_allocation')
    with op.batch_alter_table('invoice_payment', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_payment_provider_received')
        batch_op.drop_index('ix_invoice_payment_payer_org')
        batch_op.drop_index('ix_invoice_payment_payer_family')

    op.drop_table('invoice_payment')
