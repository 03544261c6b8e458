"""card payments: CardPayment (invoice or booking top-up), CardRefund, and StripeEvent stored once per event id

Revision ID: ba9a77f9aa93
Revises: 802e0e1c9b0a
Create Date: 2026-11-30 05:12:56.093843

"""
from alembic import op
import sqlalchemy as sa

import marketplace.core.types


# revision identifiers, used by Alembic.
revision = 'ba9a77f9aa93'
down_revision = '802e0e1c9b0a'
branch_labels = None
depends_on = None


def upgrade():
    # a booking's card top-up: the part of its cost the family pays because the budget cannot
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.add_column(sa.Column('top_up', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            batch_op.f('ck_booking_top_up_within_cost'), 'top_up >= 0 AND top_up <= cost'
        )
    op.create_table('stripe_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('intent_id', sa.String(length=255), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('processed_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_event')),
    sa.UniqueConstraint('event_id', name=op.f('uq_stripe_event_event_id'))
    )
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_event_intent_id'), ['intent_id'], unique=False)

    op.create_table('card_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('invoice', 'top_up', name='card_purpose', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('created', 'pending', 'succeeded', 'failed', 'cancelled', 'needs_attention', name='card_status', native_enum=False, length=20), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('amount_refunded', sa.BigInteger(), nullable=False),
    sa.Column('intent_id', sa.String(length=255), nullable=True),
    sa.Column('invoice_payment_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(purpose = 'invoice' AND invoice_id IS NOT NULL) OR (purpose = 'top_up' AND booking_id IS NOT NULL)", name=op.f('ck_card_payment_purpose_has_its_link')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_card_payment_amount_positive')),
    sa.CheckConstraint('amount_refunded >= 0 AND amount_refunded <= amount', name=op.f('ck_card_payment_refund_within_amount')),
    sa.ForeignKeyConstraint(['booking_id'], ['booking.id'], name=op.f('fk_card_payment_booking_id_booking')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_card_payment_created_by_id_user')),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], name=op.f('fk_card_payment_family_id_family')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_card_payment_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['invoice_payment_id'], ['invoice_payment.id'], name=op.f('fk_card_payment_invoice_payment_id_invoice_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_payment')),
    sa.UniqueConstraint('intent_id', name=op.f('uq_card_payment_intent_id'))
    )
    with op.batch_alter_table('card_payment', schema=None) as batch_op:
        batch_op.create_index('ix_card_payment_booking', ['booking_id'], unique=False)
        batch_op.create_index('ix_card_payment_family', ['family_id'], unique=False)
        batch_op.create_index('ix_card_payment_invoice', ['invoice_id'], unique=False)
        batch_op.create_index('ix_card_payment_status', ['status'], unique=False)

    op.create_table('card_refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_payment_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('refund_id', sa.String(length=255), nullable=True),
    sa.Column('created_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refunded_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_card_refund_amount_positive')),
    sa.ForeignKeyConstraint(['card_payment_id'], ['card_payment.id'], name=op.f('fk_card_refund_card_payment_id_card_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_refund')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_card_refund_refund_id'))
    )
    with op.batch_alter_table('card_refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_refund_card_payment_id'), ['card_payment_id'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('card_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_refund_card_payment_id'))

    op.drop_table('card_refund')
    with op.batch_alter_table('card_payment', schema=None) as batch_op:
        batch_op.drop_index('ix_card_payment_status')
        batch_op.drop_index('ix_card_payment_invoice')
        batch_op.drop_index('ix_card_payment_family')
        batch_op.drop_index('ix_card_payment_booking')

    op.drop_table('card_payment')
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_event_intent_id'))

    op.drop_table('stripe_event')
    with op.batch_alter_table('booking', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_booking_top_up_within_cost'), type_='check')
        batch_op.drop_column('top_up')
    # ### end Alembic commands ###
