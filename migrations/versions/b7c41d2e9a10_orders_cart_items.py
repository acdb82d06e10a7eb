"""orders: cart items

Revision ID: b7c41d2e9a10
Revises: 5c1d2e7f9a40
Create Date: 2026-12-02 04:50:00.000000
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC

revision = 'b7c41d2e9a10'
down_revision = '5c1d2e7f9a40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cart_item',
    sa.Column('id', sa.GUID(length=16), nullable=False),
    sa.Column('user_id', sa.GUID(length=16), nullable=False),
    sa.Column('file_id', sa.GUID(length=16), nullable=False),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['model_file.id'], name=op.f('fk_cart_item_file_id_model_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_cart_item_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cart_item'))
    )
    with op.batch_alter_table('cart_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cart_item_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cart_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cart_item_user_id'))

    op.drop_table('cart_item')
