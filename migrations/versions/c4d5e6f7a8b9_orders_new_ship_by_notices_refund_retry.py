"""orders: a new ship-by date, notices with details, failed refunds; an attachment on a manual-quote request

Revision ID: c4d5e6f7a8b9
Revises: 9e4f27c1d5a8
Create Date: 2026-12-08 10:00:00.000000
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC

revision = 'c4d5e6f7a8b9'
down_revision = '9e4f27c1d5a8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promised_ship_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('replaced_ship_by', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('refund_error', sa.String(length=200), nullable=True))

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))

    with op.batch_alter_table('review_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('attachment_type', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('attachment_size', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('attachment_key', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('review_request', schema=None) as batch_op:
        batch_op.drop_column('attachment_key')
        batch_op.drop_column('attachment_size')
        batch_op.drop_column('attachment_type')
        batch_op.drop_column('attachment_name')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('details')

    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_column('refund_error')
        batch_op.drop_column('replaced_ship_by')
        batch_op.drop_column('promised_ship_by')
