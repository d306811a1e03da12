"""documents and versions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:08:43.233762
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eakte.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('document',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_file_id', sa.Uuid(), nullable=False),
    sa.Column('process_id', sa.Uuid(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('latest_version', sa.Integer(), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_file.id'], name=op.f('fk_document_case_file_id_case_file')),
    sa.ForeignKeyConstraint(['created_by_id'], ['principal.id'], name=op.f('fk_document_created_by_id_principal')),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_document_process_id_process')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_case_file_id'), ['case_file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_process_id'), ['process_id'], unique=False)

    op.create_table('document_version',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=255), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('object_key', sa.String(length=64), nullable=False),
    sa.Column('segment_size', sa.Integer(), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(length=128), nullable=True),
    sa.Column('kek_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('shredded_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['principal.id'], name=op.f('fk_document_version_created_by_id_principal')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_document_version_document_id_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_version')),
    sa.UniqueConstraint('document_id', 'number', name=op.f('uq_document_version_document_id_number')),
    sa.UniqueConstraint('object_key', name=op.f('uq_document_version_object_key'))
    )
    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_version_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_version_kek_id'), ['kek_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('document_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_version_kek_id'))
        batch_op.drop_index(batch_op.f('ix_document_version_document_id'))

    op.drop_table('document_version')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_process_id'))
        batch_op.drop_index(batch_op.f('ix_document_case_file_id'))

    op.drop_table('document')
