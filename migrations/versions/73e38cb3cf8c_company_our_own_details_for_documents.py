"""company: our own details for documents

Revision ID: 73e38cb3cf8c
Revises: 3b0098919e5b
Create Date: 2026-12-07 12:06:27.421748
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC

revision = '73e38cb3cf8c'
down_revision = '3b0098919e5b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('company_details',
    sa.Column('id', sa.GUID(length=16), nullable=False),
    sa.Column('legal_name', sa.String(length=300), nullable=False),
    sa.Column('inn', sa.String(length=12), nullable=False),
    sa.Column('kpp', sa.String(length=9), nullable=False),
    sa.Column('ogrn', sa.String(length=15), nullable=False),
    sa.Column('legal_address', sa.Text(), nullable=False),
    sa.Column('bank_name', sa.String(length=300), nullable=False),
    sa.Column('bik', sa.String(length=9), nullable=False),
    sa.Column('correspondent_account', sa.String(length=20), nullable=False),
    sa.Column('settlement_account', sa.String(length=20), nullable=False),
    sa.Column('signatory', sa.String(length=200), nullable=False),
    sa.Column('vat_mode', sa.String(length=8), nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_type', sa.String(length=32), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_company_details'))
    )


def downgrade() -> None:
    op.drop_table('company_details')
