"""retention holds proposals tombstones

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:48:29.738086
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eakte.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('disposition_proposal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('file_plan_node_id', sa.Uuid(), nullable=False),
    sa.Column('disposition', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejected_by_id', sa.Uuid(), nullable=True),
    sa.Column('rejection_reason', sa.String(length=1000), nullable=True),
    sa.Column('completed_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('certificate', sa.Text(), nullable=True),
    sa.Column('certificate_signature', sa.Text(), nullable=True),
    sa.Column('export_object_key', sa.String(length=64), nullable=True),
    sa.Column('export_size', sa.BigInteger(), nullable=True),
    sa.Column('export_sha256', sa.String(length=64), nullable=True),
    sa.Column('export_segment_size', sa.Integer(), nullable=True),
    sa.Column('export_wrapped_key', sa.LargeBinary(length=128), nullable=True),
    sa.Column('export_kek_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint("disposition IN ('archive', 'destroy')", name=op.f('ck_disposition_proposal_disposition')),
    sa.CheckConstraint("status IN ('pending', 'rejected', 'executing', 'awaiting_archive', 'completed')", name=op.f('ck_disposition_proposal_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['principal.id'], name=op.f('fk_disposition_proposal_created_by_id_principal')),
    sa.ForeignKeyConstraint(['file_plan_node_id'], ['file_plan_node.id'], name=op.f('fk_disposition_proposal_file_plan_node_id_file_plan_node')),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['principal.id'], name=op.f('fk_disposition_proposal_rejected_by_id_principal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disposition_proposal'))
    )
    with op.batch_alter_table('disposition_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_disposition_proposal_file_plan_node_id'), ['file_plan_node_id'], unique=False)

    op.create_table('disposition_item',
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('case_file_id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('retain_until', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.CheckConstraint("state IN ('proposed', 'skipped', 'rejected', 'exported', 'destroyed')", name=op.f('ck_disposition_item_state')),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_file.id'], name=op.f('fk_disposition_item_case_file_id_case_file')),
    sa.ForeignKeyConstraint(['proposal_id'], ['disposition_proposal.id'], name=op.f('fk_disposition_item_proposal_id_disposition_proposal')),
    sa.PrimaryKeyConstraint('proposal_id', 'case_file_id', name=op.f('pk_disposition_item'))
    )
    with op.batch_alter_table('disposition_item', schema=None) as batch_op:
        batch_op.create_index('ux_disposition_item_open', ['case_file_id'], unique=True, postgresql_where=sa.text("state = 'proposed'"), sqlite_where=sa.text("state = 'proposed'"))

    op.create_table('legal_hold',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_file_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('placed_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('placed_by_id', sa.Uuid(), nullable=True),
    sa.Column('released_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Uuid(), nullable=True),
    sa.Column('release_reason', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_file.id'], name=op.f('fk_legal_hold_case_file_id_case_file')),
    sa.ForeignKeyConstraint(['placed_by_id'], ['principal.id'], name=op.f('fk_legal_hold_placed_by_id_principal')),
    sa.ForeignKeyConstraint(['released_by_id'], ['principal.id'], name=op.f('fk_legal_hold_released_by_id_principal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_hold'))
    )
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.create_index('ix_legal_hold_active', ['case_file_id'], unique=False, postgresql_where=sa.text('released_at IS NULL'), sqlite_where=sa.text('released_at IS NULL'))

    op.create_table('proposal_approval',
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('principal_id', sa.Uuid(), nullable=False),
    sa.Column('approved_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_proposal_approval_principal_id_principal')),
    sa.ForeignKeyConstraint(['proposal_id'], ['disposition_proposal.id'], name=op.f('fk_proposal_approval_proposal_id_disposition_proposal')),
    sa.PrimaryKeyConstraint('proposal_id', 'principal_id', name=op.f('pk_proposal_approval'))
    )
    op.create_table('tombstone',
    sa.Column('case_file_id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('file_plan_code', sa.String(length=32), nullable=False),
    sa.Column('department_code', sa.String(length=32), nullable=False),
    sa.Column('opened_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retain_until', sa.Date(), nullable=True),
    sa.Column('disposition', sa.String(length=16), nullable=False),
    sa.Column('disposed_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proposal_id', sa.Uuid(), nullable=False),
    sa.Column('approvers', sa.JSON(), nullable=False),
    sa.Column('destroyed', sa.JSON(), nullable=False),
    sa.CheckConstraint("disposition IN ('archive', 'destroy')", name=op.f('ck_tombstone_disposition')),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_file.id'], name=op.f('fk_tombstone_case_file_id_case_file')),
    sa.ForeignKeyConstraint(['proposal_id'], ['disposition_proposal.id'], name=op.f('fk_tombstone_proposal_id_disposition_proposal')),
    sa.PrimaryKeyConstraint('case_file_id', name=op.f('pk_tombstone'))
    )
    _case_file_statuses("'open', 'closed', 'disposed'")


def _case_file_statuses(allowed: str) -> None:
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_case_file_status'), type_='check')
        batch_op.create_check_constraint('status', f"status IN ({allowed})")


def downgrade() -> None:
    _case_file_statuses("'open', 'closed'")
    op.drop_table('tombstone')
    op.drop_table('proposal_approval')
    with op.batch_alter_table('legal_hold', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_hold_active', postgresql_where=sa.text('released_at IS NULL'), sqlite_where=sa.text('released_at IS NULL'))

    op.drop_table('legal_hold')
    with op.batch_alter_table('disposition_item', schema=None) as batch_op:
        batch_op.drop_index('ux_disposition_item_open', postgresql_where=sa.text("state = 'proposed'"), sqlite_where=sa.text("state = 'proposed'"))

    op.drop_table('disposition_item')
    with op.batch_alter_table('disposition_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_disposition_proposal_file_plan_node_id'))

    op.drop_table('disposition_proposal')
