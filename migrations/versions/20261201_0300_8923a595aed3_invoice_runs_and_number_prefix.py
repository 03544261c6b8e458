"""invoice runs recorded (when, through which date, by whom; invoices point at their run) and a
provider's chosen invoice number prefix

Revision ID: 8923a595aed3
Revises: cf67d58e7ca4
Create Date: 2026-12-01 03:00:00

"""
from alembic import op
import sqlalchemy as sa

import marketplace.core.types


# revision identifiers, used by Alembic.
revision = '8923a595aed3'
down_revision = 'cf67d58e7ca4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoice_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('through', sa.Date(), nullable=False),
    sa.Column('source', sa.Enum('page', 'command', 'schedule', name='invoice_run_source', native_enum=False, length=20), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('started_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', marketplace.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('items_recorded', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['organisation.id'], name=op.f('fk_invoice_run_provider_id_organisation')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user.id'], name=op.f('fk_invoice_run_started_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_run'))
    )
    with op.batch_alter_table('invoice_run', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_run_provider_started', ['provider_id', 'started_at'], unique=False)

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_invoice_issuer_run', ['issuer_id', 'run_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invoice_run_id_invoice_run'), 'invoice_run', ['run_id'], ['id'])

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invoice_prefix', sa.String(length=6), nullable=True))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('invoice_prefix')

    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invoice_run_id_invoice_run'), type_='foreignkey')
        batch_op.drop_index('ix_invoice_issuer_run')
        batch_op.drop_column('run_id')

    with op.batch_alter_table('invoice_run', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_run_provider_started')

    op.drop_table('invoice_run')
