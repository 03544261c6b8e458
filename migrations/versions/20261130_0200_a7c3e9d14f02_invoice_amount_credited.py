"""invoices: the amount credited by credit notes (amount due = total - paid - credited)

Issued invoices from before this revision owe their total in the ledger from their next
payment or credit on (there were none in production: invoicing starts with this release).

Revision ID: a7c3e9d14f02
Revises: e1a7c0de2b14
Create Date: 2026-11-30 02:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3e9d14f02'
down_revision = 'e1a7c0de2b14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_credited', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_check_constraint(
            op.f('ck_invoice_settled_within_total'), 'amount_credited >= 0 AND amount_paid + amount_credited <= total'
        )


def downgrade():
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_invoice_settled_within_total'), type_='check')
        batch_op.drop_column('amount_credited')
