"""web sign-in

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 02:51:58.754739
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eakte.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('principal_id', sa.Uuid(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_web_session_principal_id_principal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_web_session'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_principal_id'), ['principal_id'], unique=False)

    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', eakte.db.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_sign_ins')
        batch_op.drop_column('password_hash')

    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_principal_id'))

    op.drop_table('web_session')
