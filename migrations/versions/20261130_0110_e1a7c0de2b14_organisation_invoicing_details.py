"""organisations' invoicing details: legal name, postal address, VAT number, finance e-mail,
remittance bank details, e-invoicing (Peppol) address

Revision ID: e1a7c0de2b14
Revises: d3cdbdba8a6d
Create Date: 2026-11-30 01:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1a7c0de2b14'
down_revision = 'd3cdbdba8a6d'
branch_labels = None
depends_on = None

COLUMNS = [
    ('legal_name', sa.String(length=200)),
    ('address', sa.Text()),
    ('postcode', sa.String(length=10)),
    ('vat_number', sa.String(length=20)),
    ('finance_email', sa.String(length=254)),
    ('bank_account_name', sa.String(length=120)),
    ('bank_sort_code', sa.String(length=8)),
    ('bank_account_number', sa.String(length=8)),
    ('peppol_id', sa.String(length=60)),
]


def upgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade():
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
