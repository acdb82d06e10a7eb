"""superusers: the role that alone grants and revokes staff; the first admin holds it

Revision ID: 5c1d2e7f9a40
Revises: ae2b18d00cca
Create Date: 2026-12-02 05:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '5c1d2e7f9a40'
down_revision = 'ae2b18d00cca'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_superuser', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('is_superuser', server_default=None)

    # The first staff account, the admin that was created first, becomes the superuser.
    users = sa.table(
        'user_account',
        sa.column('id'), sa.column('is_staff', sa.Boolean()), sa.column('is_active', sa.Boolean()),
        sa.column('is_superuser', sa.Boolean()), sa.column('created_at'),
    )
    first_admin = (
        sa.select(users.c.id)
        .where(users.c.is_staff == sa.true(), users.c.is_active == sa.true())
        .order_by(users.c.created_at)
        .limit(1)
        .scalar_subquery()
    )
    op.execute(users.update().where(users.c.id == first_admin).values(is_superuser=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('is_superuser')
