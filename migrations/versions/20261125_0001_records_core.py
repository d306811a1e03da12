"""records core

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 22:57:31.305346
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eakte.db

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('occurred_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('department', sa.String(length=32), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=128), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.CheckConstraint("outcome IN ('allowed', 'denied', 'failed')", name=op.f('ck_audit_event_outcome')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_event_seq'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_actor', ['actor'], unique=False)
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index('ix_audit_event_occurred_at', ['occurred_at'], unique=False)

    op.create_table('department',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['department.id'], name=op.f('fk_department_parent_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('code', name=op.f('uq_department_code'))
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_parent_id'), ['parent_id'], unique=False)

    op.create_table('file_plan_node',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('retention_years', sa.Integer(), nullable=False),
    sa.Column('disposition', sa.String(length=16), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("disposition IN ('archive', 'destroy')", name=op.f('ck_file_plan_node_disposition')),
    sa.CheckConstraint('retention_years >= 0', name=op.f('ck_file_plan_node_retention_years')),
    sa.ForeignKeyConstraint(['parent_id'], ['file_plan_node.id'], name=op.f('fk_file_plan_node_parent_id_file_plan_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_file_plan_node')),
    sa.UniqueConstraint('code', name=op.f('uq_file_plan_node_code'))
    )
    with op.batch_alter_table('file_plan_node', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_file_plan_node_parent_id'), ['parent_id'], unique=False)

    op.create_table('principal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('user', 'service')", name=op.f('ck_principal_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_principal')),
    sa.UniqueConstraint('username', name=op.f('uq_principal_username'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('principal_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_api_token_principal_id_principal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_principal_id'), ['principal_id'], unique=False)

    op.create_table('case_file',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('department_id', sa.Uuid(), nullable=False),
    sa.Column('file_plan_node_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('updated_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Uuid(), nullable=True),
    sa.Column('retain_until', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_case_file_status')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['principal.id'], name=op.f('fk_case_file_closed_by_id_principal')),
    sa.ForeignKeyConstraint(['created_by_id'], ['principal.id'], name=op.f('fk_case_file_created_by_id_principal')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_case_file_department_id_department')),
    sa.ForeignKeyConstraint(['file_plan_node_id'], ['file_plan_node.id'], name=op.f('fk_case_file_file_plan_node_id_file_plan_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_file')),
    sa.UniqueConstraint('reference', name=op.f('uq_case_file_reference'))
    )
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_file_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_file_file_plan_node_id'), ['file_plan_node_id'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('principal_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('response_headers', sa.JSON(), nullable=True),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_idempotency_record_principal_id_principal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('principal_id', 'key', name=op.f('uq_idempotency_record_principal_id_key'))
    )
    op.create_table('membership',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('principal_id', sa.Uuid(), nullable=False),
    sa.Column('department_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('reader', 'clerk', 'lead')", name=op.f('ck_membership_role')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_membership_department_id_department')),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_membership_principal_id_principal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership')),
    sa.UniqueConstraint('principal_id', 'department_id', name=op.f('uq_membership_principal_id_department_id'))
    )
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_principal_id'), ['principal_id'], unique=False)

    op.create_table('principal_role',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('principal_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('records_manager', 'auditor', 'admin')", name=op.f('ck_principal_role_role')),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_principal_role_principal_id_principal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_principal_role')),
    sa.UniqueConstraint('principal_id', 'role', name=op.f('uq_principal_role_principal_id_role'))
    )
    with op.batch_alter_table('principal_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_principal_role_principal_id'), ['principal_id'], unique=False)

    op.create_table('reference_counter',
    sa.Column('file_plan_node_id', sa.Uuid(), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_plan_node_id'], ['file_plan_node.id'], name=op.f('fk_reference_counter_file_plan_node_id_file_plan_node')),
    sa.PrimaryKeyConstraint('file_plan_node_id', 'year', name=op.f('pk_reference_counter'))
    )
    op.create_table('grant',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_file_id', sa.Uuid(), nullable=False),
    sa.Column('department_id', sa.Uuid(), nullable=True),
    sa.Column('principal_id', sa.Uuid(), nullable=True),
    sa.Column('permission', sa.String(length=16), nullable=False),
    sa.Column('expires_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.CheckConstraint("permission IN ('read', 'write')", name=op.f('ck_grant_permission')),
    sa.CheckConstraint('(department_id IS NULL) <> (principal_id IS NULL)', name=op.f('ck_grant_one_grantee')),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_file.id'], name=op.f('fk_grant_case_file_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['principal.id'], name=op.f('fk_grant_created_by_id_principal')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_grant_department_id_department')),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_grant_principal_id_principal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant'))
    )
    with op.batch_alter_table('grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_case_file_id'), ['case_file_id'], unique=False)

    op.create_table('process',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('case_file_id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_file.id'], name=op.f('fk_process_case_file_id_case_file')),
    sa.ForeignKeyConstraint(['created_by_id'], ['principal.id'], name=op.f('fk_process_created_by_id_principal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process'))
    )
    with op.batch_alter_table('process', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_case_file_id'), ['case_file_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('process', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_case_file_id'))

    op.drop_table('process')
    with op.batch_alter_table('grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_case_file_id'))

    op.drop_table('grant')
    op.drop_table('reference_counter')
    with op.batch_alter_table('principal_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_principal_role_principal_id'))

    op.drop_table('principal_role')
    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_principal_id'))
        batch_op.drop_index(batch_op.f('ix_membership_department_id'))

    op.drop_table('membership')
    op.drop_table('idempotency_record')
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_file_file_plan_node_id'))
        batch_op.drop_index(batch_op.f('ix_case_file_department_id'))

    op.drop_table('case_file')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_principal_id'))

    op.drop_table('api_token')
    op.drop_table('principal')
    with op.batch_alter_table('file_plan_node', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_file_plan_node_parent_id'))

    op.drop_table('file_plan_node')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_parent_id'))

    op.drop_table('department')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_occurred_at')
        batch_op.drop_index('ix_audit_event_object')
        batch_op.drop_index('ix_audit_event_actor')

    op.drop_table('audit_event')
