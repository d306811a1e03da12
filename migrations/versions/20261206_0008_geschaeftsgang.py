"""geschaeftsgang: routings, steps, tasks, deputies, notices

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:11:53.917981

A document version goes through stages of steps (routing, routing_step); each reached
step, each draft to revise and each Wiedervorlage is a task in an inbox; deputies act on
an absent person's tasks; notices are the e-mail outbox. Principals get an address and
a notify setting, documents the version a final signature made final.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import eakte.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('deputy',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('principal_id', sa.Uuid(), nullable=False),
    sa.Column('deputy_id', sa.Uuid(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.CheckConstraint('principal_id <> deputy_id', name=op.f('ck_deputy_not_self')),
    sa.CheckConstraint('valid_from <= valid_until', name=op.f('ck_deputy_period')),
    sa.ForeignKeyConstraint(['created_by_id'], ['principal.id'], name=op.f('fk_deputy_created_by_id_principal')),
    sa.ForeignKeyConstraint(['deputy_id'], ['principal.id'], name=op.f('fk_deputy_deputy_id_principal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_deputy_principal_id_principal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deputy')),
    sa.UniqueConstraint('principal_id', 'deputy_id', 'valid_from', name=op.f('uq_deputy_principal_id_deputy_id_valid_from'))
    )
    with op.batch_alter_table('deputy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deputy_deputy_id'), ['deputy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deputy_principal_id'), ['principal_id'], unique=False)

    op.create_table('routing',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('document_id', sa.Uuid(), nullable=False),
    sa.Column('case_file_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('current_stage', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('started_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_by_id', sa.Uuid(), nullable=True),
    sa.Column('ended_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Uuid(), nullable=True),
    sa.CheckConstraint("state IN ('running', 'completed', 'rejected', 'superseded', 'cancelled')", name=op.f('ck_routing_state')),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_file.id'], name=op.f('fk_routing_case_file_id_case_file')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_routing_document_id_document')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['principal.id'], name=op.f('fk_routing_ended_by_id_principal')),
    sa.ForeignKeyConstraint(['started_by_id'], ['principal.id'], name=op.f('fk_routing_started_by_id_principal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing'))
    )
    with op.batch_alter_table('routing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_case_file_id'), ['case_file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_routing_document_id'), ['document_id'], unique=False)

    op.create_table('routing_step',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('routing_id', sa.Uuid(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('department_id', sa.Uuid(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('comment', sa.String(length=2000), nullable=True),
    sa.Column('decided_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('on_behalf_of_id', sa.Uuid(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.CheckConstraint("action IN ('co_sign', 'final_sign', 'inform', 'process')", name=op.f('ck_routing_step_action')),
    sa.CheckConstraint("decision IS NULL OR decision IN ('approve', 'reject', 'acknowledge', 'done')", name=op.f('ck_routing_step_decision')),
    sa.CheckConstraint("role IS NULL OR role IN ('reader', 'clerk', 'lead')", name=op.f('ck_routing_step_role')),
    sa.CheckConstraint("state IN ('waiting', 'open', 'decided', 'closed')", name=op.f('ck_routing_step_state')),
    sa.CheckConstraint('(assignee_id IS NULL) <> (department_id IS NULL AND role IS NULL)', name=op.f('ck_routing_step_assignee')),
    sa.ForeignKeyConstraint(['assignee_id'], ['principal.id'], name=op.f('fk_routing_step_assignee_id_principal')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['principal.id'], name=op.f('fk_routing_step_decided_by_id_principal')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_routing_step_department_id_department')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['principal.id'], name=op.f('fk_routing_step_on_behalf_of_id_principal')),
    sa.ForeignKeyConstraint(['routing_id'], ['routing.id'], name=op.f('fk_routing_step_routing_id_routing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_step')),
    sa.UniqueConstraint('routing_id', 'stage', 'position', name=op.f('uq_routing_step_routing_id_stage_position'))
    )
    with op.batch_alter_table('routing_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_step_routing_id'), ['routing_id'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('case_file_id', sa.Uuid(), nullable=False),
    sa.Column('document_id', sa.Uuid(), nullable=True),
    sa.Column('routing_id', sa.Uuid(), nullable=True),
    sa.Column('routing_step_id', sa.Uuid(), nullable=True),
    sa.Column('assignee_id', sa.Uuid(), nullable=True),
    sa.Column('department_id', sa.Uuid(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('visible_from', sa.Date(), nullable=False),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Uuid(), nullable=True),
    sa.Column('forwarded_by_id', sa.Uuid(), nullable=True),
    sa.Column('closed_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Uuid(), nullable=True),
    sa.Column('on_behalf_of_id', sa.Uuid(), nullable=True),
    sa.Column('overdue_noticed_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('co_sign', 'final_sign', 'inform', 'process', 'revise', 'resubmission')", name=op.f('ck_task_kind')),
    sa.CheckConstraint("role IS NULL OR role IN ('reader', 'clerk', 'lead')", name=op.f('ck_task_role')),
    sa.CheckConstraint("state IN ('open', 'done', 'cancelled')", name=op.f('ck_task_state')),
    sa.CheckConstraint('(assignee_id IS NULL) <> (department_id IS NULL AND role IS NULL)', name=op.f('ck_task_assignee')),
    sa.ForeignKeyConstraint(['assignee_id'], ['principal.id'], name=op.f('fk_task_assignee_id_principal')),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_file.id'], name=op.f('fk_task_case_file_id_case_file')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['principal.id'], name=op.f('fk_task_closed_by_id_principal')),
    sa.ForeignKeyConstraint(['created_by_id'], ['principal.id'], name=op.f('fk_task_created_by_id_principal')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_task_department_id_department')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_task_document_id_document')),
    sa.ForeignKeyConstraint(['forwarded_by_id'], ['principal.id'], name=op.f('fk_task_forwarded_by_id_principal')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['principal.id'], name=op.f('fk_task_on_behalf_of_id_principal')),
    sa.ForeignKeyConstraint(['routing_id'], ['routing.id'], name=op.f('fk_task_routing_id_routing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['routing_step_id'], ['routing_step.id'], name=op.f('fk_task_routing_step_id_routing_step'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task')),
    sa.UniqueConstraint('routing_step_id', name=op.f('uq_task_routing_step_id'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_case_file_id'), ['case_file_id'], unique=False)
        batch_op.create_index('ix_task_department_inbox', ['state', 'department_id', 'visible_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_document_id'), ['document_id'], unique=False)
        batch_op.create_index('ix_task_inbox', ['state', 'assignee_id', 'visible_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_routing_id'), ['routing_id'], unique=False)

    op.create_table('notice',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('principal_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=18), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('task_id', sa.Uuid(), nullable=True),
    sa.Column('routing_id', sa.Uuid(), nullable=True),
    sa.Column('case_file_id', sa.Uuid(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('task_kind', sa.String(length=16), nullable=True),
    sa.Column('created_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('available_at', eakte.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('sent_at', eakte.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_with_id', sa.Uuid(), nullable=True),
    sa.CheckConstraint("kind IN ('task_new', 'task_overdue', 'routing_completed', 'routing_rejected', 'routing_superseded', 'digest')", name=op.f('ck_notice_kind')),
    sa.CheckConstraint("state IN ('pending', 'sent', 'failed', 'dropped')", name=op.f('ck_notice_state')),
    sa.ForeignKeyConstraint(['case_file_id'], ['case_file.id'], name=op.f('fk_notice_case_file_id_case_file'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['principal_id'], ['principal.id'], name=op.f('fk_notice_principal_id_principal'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['routing_id'], ['routing.id'], name=op.f('fk_notice_routing_id_routing'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_with_id'], ['notice.id'], name=op.f('fk_notice_sent_with_id_notice')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_notice_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_case_file_id'), ['case_file_id'], unique=False)
        batch_op.create_index('ix_notice_pending', ['state', 'available_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_principal_id'), ['principal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_routing_id'), ['routing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notice_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('final_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('final_signed_at', eakte.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('final_signed_by_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_document_final_signed_by_id_principal'), 'principal', ['final_signed_by_id'], ['id'])

    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('notify', sa.String(length=16), server_default='digest', nullable=False))
        batch_op.create_check_constraint('notify', "notify IN ('immediate', 'digest', 'off')")



def downgrade() -> None:
    with op.batch_alter_table('principal', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_principal_notify'), type_='check')
        batch_op.drop_column('notify')
        batch_op.drop_column('email')

    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_document_final_signed_by_id_principal'), type_='foreignkey')
        batch_op.drop_column('final_signed_by_id')
        batch_op.drop_column('final_signed_at')
        batch_op.drop_column('final_version')

    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_task_id'))
        batch_op.drop_index(batch_op.f('ix_notice_routing_id'))
        batch_op.drop_index(batch_op.f('ix_notice_principal_id'))
        batch_op.drop_index('ix_notice_pending')
        batch_op.drop_index(batch_op.f('ix_notice_case_file_id'))

    op.drop_table('notice')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_routing_id'))
        batch_op.drop_index('ix_task_inbox')
        batch_op.drop_index(batch_op.f('ix_task_document_id'))
        batch_op.drop_index('ix_task_department_inbox')
        batch_op.drop_index(batch_op.f('ix_task_case_file_id'))

    op.drop_table('task')
    with op.batch_alter_table('routing_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_step_routing_id'))

    op.drop_table('routing_step')
    with op.batch_alter_table('routing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_document_id'))
        batch_op.drop_index(batch_op.f('ix_routing_case_file_id'))

    op.drop_table('routing')
    with op.batch_alter_table('deputy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deputy_principal_id'))
        batch_op.drop_index(batch_op.f('ix_deputy_deputy_id'))

    op.drop_table('deputy')
