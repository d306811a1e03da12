"""search outbox and extraction status

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 01:22:43.473631
"""

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eakte.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('search_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('available_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.CheckConstraint("kind IN ('document', 'case_file')", name=op.f('ck_search_outbox_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_outbox'))
    )
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_search_outbox_available_at', ['available_at', 'id'], unique=False)

    op.create_table('search_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paused_until', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paused_by', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_state'))
    )
    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extraction_status', sa.String(length=16), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('extraction_detail', sa.String(length=200), nullable=True))
        batch_op.create_check_constraint(
            'extraction_status',
            "extraction_status IN ('pending', 'extracted', 'empty', 'unsupported', 'too_large', 'failed')",
        )

    _enqueue_existing_documents()


def _enqueue_existing_documents() -> None:
    """Documents stored before search existed get indexed by the worker like new ones."""
    now = dt.datetime.now(dt.UTC)
    ids = [row[0] for row in op.get_bind().execute(sa.text('SELECT id FROM document'))]
    if ids:
        outbox = sa.table(
            'search_outbox',
            sa.column('kind', sa.String),
            sa.column('target_id', sa.Uuid),
            sa.column('created_at', eakte.db.UTCDateTime),
            sa.column('available_at', eakte.db.UTCDateTime),
            sa.column('attempts', sa.Integer),
        )
        op.bulk_insert(outbox, [
            {'kind': 'document', 'target_id': _uuid(i), 'created_at': now, 'available_at': now,
             'attempts': 0}
            for i in ids
        ])


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def downgrade() -> None:
    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_document_version_extraction_status'), type_='check')
        batch_op.drop_column('extraction_detail')
        batch_op.drop_column('extraction_status')

    op.drop_table('search_state')
    with op.batch_alter_table('search_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_search_outbox_available_at')

    op.drop_table('search_outbox')
