"""Vorgänge: business transactions inside a case file."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from eakte.models import Process
from eakte.models.permissions import Access
from eakte.services import access, audit
from eakte.services.case_files import require_open
from eakte.services.context import Context


def list_processes(ctx: Context, case_file_id: uuid.UUID) -> list[Process]:
    action = "process.list"
    case_file = access.require_case_file(ctx, case_file_id, Access.READ, action)
    processes = list(
        ctx.session.scalars(
            select(Process)
            .where(Process.case_file_id == case_file.id)
            .order_by(Process.created_at, Process.id)
        )
    )
    audit.record_in_case_file(ctx, action, case_file)
    ctx.commit()
    return processes


def create_process(ctx: Context, case_file_id: uuid.UUID, *, title: str) -> Process:
    action = "process.create"
    case_file = access.require_case_file(ctx, case_file_id, Access.WRITE, action)
    require_open(case_file)
    process = Process(
        case_file_id=case_file.id, title=title, created_at=ctx.now(), created_by_id=ctx.actor_id
    )
    ctx.session.add(process)
    ctx.session.flush()
    audit.record_in_case_file(ctx, action, case_file, object_type="process", object_id=process.id)
    ctx.commit()
    return process
