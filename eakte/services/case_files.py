"""Case files (Akten): create, read, change, close — within the caller's rights."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import or_, select

from eakte.errors import (
    CaseFileClosedError,
    ConflictError,
    DispositionPendingError,
    InvalidInputError,
    PreconditionFailedError,
    PreconditionRequiredError,
)
from eakte.models import CaseFile, Department, FilePlanNode, Grant
from eakte.models.permissions import Access
from eakte.models.references import format_reference
from eakte.models.vocabulary import CaseFileStatus, GrantPermission, ItemState
from eakte.retention.policy import retain_until
from eakte.services import access, audit, object_lock, outbox, retention
from eakte.services.context import Context
from eakte.services.departments import named_department
from eakte.services.file_plan import named_node
from eakte.services.pagination import Page, paginate
from eakte.services.references import next_running_number

# Sort orders of case file lists; each pages by (key, id).
SORTS = {
    "created": CaseFile.created_at,
    "reference": CaseFile.reference,
    "title": CaseFile.title,
}


def list_case_files(
    ctx: Context,
    *,
    department: str | None = None,
    status: CaseFileStatus | None = None,
    file_plan: str | None = None,
    text: str | None = None,
    sort: str = "-created",
    limit: int,
    cursor: str | None,
) -> Page[CaseFile]:
    """Readable case files; `text` matches Aktenzeichen or title (case-insensitive),
    `sort` is one of SORTS (a leading '-' for descending)."""
    access.require_authenticated(ctx, "case_file.list")
    if sort.removeprefix("-") not in SORTS:
        raise InvalidInputError(
            f"sort must be one of {', '.join(SORTS)}, optionally with a leading '-'",
            errors={"sort": ["unknown sort order"]},
        )
    stmt = select(CaseFile).where(access.readable_case_files(ctx))
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                CaseFile.title.ilike(pattern, escape="\\"),
                CaseFile.reference.ilike(pattern, escape="\\"),
            )
        )
    if department is not None:
        stmt = stmt.join(Department, CaseFile.department_id == Department.id).where(
            Department.code == department
        )
    if file_plan is not None:
        stmt = stmt.join(FilePlanNode, CaseFile.file_plan_node_id == FilePlanNode.id).where(
            FilePlanNode.code == file_plan
        )
    if status is not None:
        stmt = stmt.where(CaseFile.status == status.value)
    else:  # what is left of disposed files only shows when asked for
        stmt = stmt.where(CaseFile.status != CaseFileStatus.DISPOSED.value)
    page = paginate(
        ctx.session,
        stmt,
        [SORTS[sort.removeprefix("-")], CaseFile.id],
        limit=limit,
        cursor=cursor,
        descending=sort.startswith("-"),
    )
    filters = {
        "department": department,
        "status": status,
        "file_plan": file_plan,
        "text": bool(text),  # whether, not what: the text may name a person
        "sort": sort,
    }
    audit.record(
        ctx,
        "case_file.list",
        details={"filters": {k: v for k, v in filters.items() if v}, "count": len(page.items)},
    )
    ctx.commit()
    return page


def get_case_file(ctx: Context, case_file_id: uuid.UUID) -> CaseFile:
    case_file = access.require_case_file(ctx, case_file_id, Access.READ, "case_file.read")
    audit.record_in_case_file(ctx, "case_file.read", case_file)
    ctx.commit()
    return case_file


def create_case_file(
    ctx: Context, *, file_plan: str, department: str, title: str, confidential: bool = False
) -> CaseFile:
    action = "case_file.create"
    access.require_authenticated(ctx, action)
    unit = named_department(ctx, department)
    node = named_node(ctx, file_plan)
    access.require_department_role(ctx, unit, Access.WRITE, action, object_type="case_file")
    year = ctx.today().year
    number = next_running_number(ctx.session, node.id, year)
    case_file = CaseFile(
        reference=format_reference(node.code, number, year),
        title=title,
        department=unit,
        file_plan_node=node,
        confidential=confidential,
        created_at=ctx.now(),
        created_by_id=ctx.actor_id,
    )
    ctx.session.add(case_file)
    ctx.session.flush()
    if confidential:
        _name_actor(ctx, case_file)
    audit.record_in_case_file(
        ctx, action, case_file, file_plan=node.code, confidential=confidential
    )
    ctx.commit()
    return case_file


def update_case_file(
    ctx: Context,
    case_file_id: uuid.UUID,
    *,
    if_match: Callable[[int], bool] | None,
    title: str | None = None,
    confidential: bool | None = None,
) -> CaseFile:
    """Change title and confidentiality; needs the version the caller last saw.

    `if_match` tells whether the caller's precondition (If-Match) holds for the
    current version; None when the caller sent none.
    """
    action = "case_file.update"
    needed = Access.MANAGE if confidential is not None else Access.WRITE
    case_file = access.require_case_file(ctx, case_file_id, needed, action)
    if if_match is None:
        raise PreconditionRequiredError("send If-Match with the ETag of the case file")
    if not if_match(case_file.version):
        raise PreconditionFailedError(
            "If-Match does not name the current ETag of the case file (it was changed "
            "since you read it, or the tag is weak or malformed); fetch it again and retry"
        )
    require_open(case_file)
    changes: dict[str, object] = {}
    if title is not None and title != case_file.title:
        case_file.title = title
        changes["title"] = True  # the title itself may hold personal data: not logged
    if confidential is not None and confidential != case_file.confidential:
        case_file.confidential = confidential
        changes["confidential"] = confidential
        if confidential:
            _name_actor(ctx, case_file)
    if changes:
        ctx.session.flush()
        outbox.case_file_changed(ctx, case_file.id)
    audit.record_in_case_file(ctx, action, case_file, changed=sorted(changes))
    ctx.commit()
    return case_file


def close_case_file(ctx: Context, case_file_id: uuid.UUID) -> CaseFile:
    """zdA-Verfügung: close the case file and start its retention clock."""
    action = "case_file.close"
    case_file = access.require_case_file(ctx, case_file_id, Access.WRITE, action)
    require_open(case_file)
    closed_on = ctx.today()
    case_file.status = CaseFileStatus.CLOSED.value
    case_file.closed_at = ctx.now()
    case_file.closed_by_id = ctx.actor_id
    case_file.retain_until = retain_until(closed_on, case_file.file_plan_node.retention_years)
    ctx.session.flush()
    audit.record_in_case_file(
        ctx, action, case_file, retain_until=case_file.retain_until.isoformat()
    )
    ctx.commit()
    object_lock.mirror(ctx, case_file.id)
    return case_file


def reopen_case_file(ctx: Context, case_file_id: uuid.UUID) -> CaseFile:
    """Take back the zdA-Verfügung: the file is open again and its retention clock stops."""
    action = "case_file.reopen"
    case_file = access.require_case_file(ctx, case_file_id, Access.WRITE, action)
    if case_file.status != CaseFileStatus.CLOSED.value:
        raise ConflictError(f"case file {case_file.reference} is not closed")
    pending = retention.pending_disposition(ctx.session, case_file.id)
    if pending is not None:
        # Reopening now would let documents be added that the archive never
        # receives, yet its confirmation destroys them.
        where = "with the archive" if pending.state == ItemState.EXPORTED else "undecided"
        raise audit.deny(
            ctx,
            action,
            DispositionPendingError(
                f"case file {case_file.reference} is in disposition proposal "
                f"{pending.proposal_id} ({where}); it can be reopened once the proposal "
                "is rejected or the archive has left it here"
            ),
            object_type="case_file",
            object_id=case_file.id,
            department=case_file.department.code,
        )
    previous = case_file.retain_until
    case_file.status = CaseFileStatus.OPEN.value
    case_file.closed_at = None
    case_file.closed_by_id = None
    case_file.retain_until = None
    ctx.session.flush()
    audit.record_in_case_file(
        ctx, action, case_file, previous_retain_until=previous.isoformat() if previous else None
    )
    ctx.commit()
    return case_file


def require_open(case_file: CaseFile) -> None:
    if case_file.status != CaseFileStatus.OPEN.value:
        raise CaseFileClosedError(f"case file {case_file.reference} is closed")


def _name_actor(ctx: Context, case_file: CaseFile) -> None:
    """A confidential case file stays reachable for whoever made it confidential."""
    if ctx.actor is None:
        return
    existing = ctx.session.scalar(
        select(Grant).where(Grant.case_file_id == case_file.id, Grant.principal_id == ctx.actor.id)
    )
    if existing is None:
        ctx.session.add(
            Grant(
                case_file_id=case_file.id,
                principal_id=ctx.actor.id,
                permission=GrantPermission.WRITE.value,
                created_by_id=ctx.actor.id,
            )
        )
    else:
        existing.permission = GrantPermission.WRITE.value
        existing.expires_at = None
