"""orders: charges once per order

Revision ID: f001ce24ec93
Revises: d3a9f6c1b2e4
Create Date: 2026-12-07 11:42:43.432414
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC

revision = 'f001ce24ec93'
down_revision = 'd3a9f6c1b2e4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # orders placed before: their setup and minimum are already in their lines
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('charges', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'),
                                      nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_column('charges')
