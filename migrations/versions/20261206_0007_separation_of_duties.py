"""separation of duties: pending memberships and roles, token issuers, temporary passwords

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:15:07.964755
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eakte.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_by', sa.String(length=100), nullable=True))

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('pending_role', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('requested_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sa.String(length=100), nullable=True))
        batch_op.create_check_constraint('state', "state IN ('active', 'pending')")
        batch_op.create_check_constraint(
            'pending_role', "pending_role IS NULL OR pending_role IN ('reader', 'clerk', 'lead')"
        )

    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_temporary', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('password_set_at', eakte.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('password_set_by', sa.String(length=100), nullable=True))

    with op.batch_alter_table('principal_role', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='active', nullable=False))
        batch_op.add_column(sa.Column('requested_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('approved_by', sa.String(length=100), nullable=True))
        batch_op.create_check_constraint('state', "state IN ('active', 'pending')")


def downgrade() -> None:
    with op.batch_alter_table('principal_role', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_principal_role_state'), type_='check')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('requested_by')
        batch_op.drop_column('state')

    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.drop_column('password_set_by')
        batch_op.drop_column('password_set_at')
        batch_op.drop_column('password_temporary')

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_membership_pending_role'), type_='check')
        batch_op.drop_constraint(op.f('ck_membership_state'), type_='check')
        batch_op.drop_column('approved_by')
        batch_op.drop_column('requested_by')
        batch_op.drop_column('pending_role')
        batch_op.drop_column('state')

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('issued_by')

