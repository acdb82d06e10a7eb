"""model files: machining-feature preview

Revision ID: 9e4f27c1d5a8
Revises: 2bb05d0fe84f
Create Date: 2026-12-07 12:55:00.000000
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC

revision = '9e4f27c1d5a8'
down_revision = '2bb05d0fe84f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('model_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('features_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('features', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('model_file', schema=None) as batch_op:
        batch_op.drop_column('features')
        batch_op.drop_column('features_key')
