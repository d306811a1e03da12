"""Legal holds (Aussonderungssperren): records managers stop a case file's disposition."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from eakte.errors import ConflictError, InvalidInputError
from eakte.models import CaseFile, LegalHold
from eakte.models.vocabulary import CaseFileStatus, GlobalRole
from eakte.services import access, audit, object_lock
from eakte.services.context import Context
from eakte.services.pagination import Page, paginate


def place_hold(
    ctx: Context, case_file_id: uuid.UUID | None, reason: str, *, reference: str | None = None
) -> LegalHold:
    """Hold a case file named by its id or, as the Registratur knows it, its Aktenzeichen."""
    action = "legal_hold.place"
    access.require_global_role(ctx, GlobalRole.RECORDS_MANAGER, action)
    if case_file_id is not None:
        case_file = ctx.session.get(CaseFile, case_file_id)
    else:
        case_file = ctx.session.scalar(select(CaseFile).where(CaseFile.reference == reference))
    if case_file is None:
        raise InvalidInputError(
            f"unknown case file {case_file_id or reference}",
            errors={"case_file": ["unknown case file"]},
        )
    if case_file.status == CaseFileStatus.DISPOSED:
        raise audit.deny(
            ctx,
            action,
            ConflictError(f"case file {case_file.reference} has already been disposed of"),
            object_type="case_file",
            object_id=case_file.id,
            department=case_file.department.code,
        )
    hold = LegalHold(
        case_file_id=case_file.id, reason=reason, placed_at=ctx.now(), placed_by_id=ctx.actor_id
    )
    ctx.session.add(hold)
    ctx.session.flush()
    audit.record_in_case_file(ctx, action, case_file, object_type="legal_hold", object_id=hold.id)
    ctx.commit()
    object_lock.mirror(ctx, case_file.id)
    return hold


def release_hold(ctx: Context, hold_id: uuid.UUID, reason: str) -> LegalHold:
    action = "legal_hold.release"
    access.require_global_role(ctx, GlobalRole.RECORDS_MANAGER, action)
    hold = ctx.session.get(LegalHold, hold_id)
    if hold is None:
        raise audit.not_found(
            ctx,
            action,
            f"legal hold {hold_id} not found",
            object_type="legal_hold",
            object_id=hold_id,
        )
    if hold.released_at is not None:
        raise audit.deny(
            ctx,
            action,
            ConflictError("this legal hold has been released already"),
            object_type="legal_hold",
            object_id=hold_id,
            department=hold.case_file.department.code,
        )
    hold.released_at = ctx.now()
    hold.released_by_id = ctx.actor_id
    hold.release_reason = reason
    audit.record_in_case_file(
        ctx, action, hold.case_file, object_type="legal_hold", object_id=hold.id
    )
    ctx.commit()
    object_lock.mirror(ctx, hold.case_file_id)
    return hold


def list_holds(
    ctx: Context,
    *,
    case_file_id: uuid.UUID | None,
    active: bool | None,
    limit: int,
    cursor: str | None,
) -> Page[LegalHold]:
    action = "legal_hold.list"
    access.require_global_role(ctx, GlobalRole.RECORDS_MANAGER, action)
    stmt = select(LegalHold)
    if case_file_id is not None:
        stmt = stmt.where(LegalHold.case_file_id == case_file_id)
    if active is not None:
        stmt = stmt.where(
            LegalHold.released_at.is_(None) if active else LegalHold.released_at.is_not(None)
        )
    page = paginate(
        ctx.session, stmt, [LegalHold.placed_at, LegalHold.id], limit=limit, cursor=cursor
    )
    audit.record(ctx, action, details={"count": len(page.items)})
    ctx.commit()
    return page
