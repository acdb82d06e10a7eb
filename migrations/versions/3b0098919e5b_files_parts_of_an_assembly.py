"""files: parts of an assembly

Revision ID: 3b0098919e5b
Revises: f001ce24ec93
Create Date: 2026-12-07 12:18:08.280120
"""

import sqlalchemy as sa
from advanced_alchemy.types import GUID, DateTimeUTC
from alembic import op

sa.GUID = GUID
sa.DateTimeUTC = DateTimeUTC

revision = '3b0098919e5b'
down_revision = 'f001ce24ec93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('model_file', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.GUID(length=16), nullable=True))
        batch_op.add_column(sa.Column('part_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('split', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('whole', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_model_file_parent_id'), ['parent_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_model_file_parent_id_model_file'), 'model_file', ['parent_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('model_file', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_model_file_parent_id_model_file'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_model_file_parent_id'))
        batch_op.drop_column('whole')
        batch_op.drop_column('split')
        batch_op.drop_column('part_index')
        batch_op.drop_column('parent_id')

