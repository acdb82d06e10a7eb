"""orders: payments, shipments and the amount paid

Revision ID: 2bb05d0fe84f
Revises: 73e38cb3cf8c
Create Date: 2026-12-07 12:06:52.323146
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op
from sqlalchemy.dialects import postgresql

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC

revision = '2bb05d0fe84f'
down_revision = '73e38cb3cf8c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_payment',
    sa.Column('id', sa.GUID(length=16), nullable=False),
    sa.Column('order_id', sa.GUID(length=16), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=True),
    sa.Column('actor_id', sa.GUID(length=16), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_order_payment_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_order_payment_order_id_customer_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_payment')),
    sa.UniqueConstraint('external_id', name=op.f('uq_order_payment_external_id'))
    )
    with op.batch_alter_table('order_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_payment_order_id'), ['order_id'], unique=False)

    op.create_table('order_shipment',
    sa.Column('id', sa.GUID(length=16), nullable=False),
    sa.Column('order_id', sa.GUID(length=16), nullable=False),
    sa.Column('carrier', sa.String(length=32), nullable=False),
    sa.Column('tracking_number', sa.String(length=64), nullable=False),
    sa.Column('shipped_on', sa.Date(), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('actor_id', sa.GUID(length=16), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_order_shipment_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_order_shipment_order_id_customer_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_shipment'))
    )
    with op.batch_alter_table('order_shipment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_shipment_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_paid', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_column('amount_paid')

    with op.batch_alter_table('order_shipment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_shipment_order_id'))

    op.drop_table('order_shipment')
    with op.batch_alter_table('order_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_payment_order_id'))

    op.drop_table('order_payment')
