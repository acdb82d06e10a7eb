"""accounts: a storage quota of one account set by staff (none: the settings' quota)

Revision ID: d3a9f6c1b2e4
Revises: b7c41d2e9a10
Create Date: 2026-12-07 11:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'd3a9f6c1b2e4'
down_revision = 'b7c41d2e9a10'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quota_mb', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quota_files', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('quota_files')
        batch_op.drop_column('quota_mb')
