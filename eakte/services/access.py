"""Access control, once, for every use case.

Each check either returns what the caller may use or writes a `denied` audit
event and raises: 404 where the caller may not know the object exists, 403
where it may (the department list, its own case file with too small a role).
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from eakte.errors import AccessDeniedError, AuthenticationError, GoneError
from eakte.models import CaseFile, Department, Grant, Tombstone
from eakte.models.permissions import (
    Access,
    GrantFacts,
    case_file_access,
    department_access,
    effective_roles,
)
from eakte.models.vocabulary import CaseFileStatus, DepartmentRole, Disposition, GlobalRole
from eakte.services import audit
from eakte.services.context import Context


def require_authenticated(ctx: Context, action: str) -> None:
    if ctx.actor is None and ctx.system is None:
        raise audit.deny(ctx, action, AuthenticationError("authentication required"))


def roles_of(ctx: Context) -> dict[uuid.UUID, DepartmentRole]:
    """The caller's role in every department, memberships spread to sub-departments."""
    if ctx._roles is None:
        memberships = (
            {m.department_id: m.role for m in ctx.actor.active_memberships} if ctx.actor else {}
        )
        parents = dict(ctx.session.execute(select(Department.id, Department.parent_id)).all())
        ctx._roles = effective_roles(memberships, parents)
    return ctx._roles


def has_global_role(ctx: Context, role: GlobalRole) -> bool:
    return ctx.system is not None or (
        ctx.actor is not None and role.value in ctx.actor.global_roles
    )


def require_global_role(
    ctx: Context,
    role: GlobalRole,
    action: str,
    *,
    object_type: str | None = None,
    object_id: object = None,
) -> None:
    require_authenticated(ctx, action)
    if not has_global_role(ctx, role):
        raise audit.deny(
            ctx,
            action,
            AccessDeniedError(f"this action needs the global role {role.value!r}"),
            object_type=object_type,
            object_id=object_id,
        )


def require_self_or_role(
    ctx: Context, username: str, role: GlobalRole, action: str, *, object_type: str
) -> None:
    require_authenticated(ctx, action)
    if ctx.actor is not None and ctx.actor.username == username:
        return
    require_global_role(ctx, role, action, object_type=object_type, object_id=username)


def require_department_role(
    ctx: Context, department: Department, needed: Access, action: str, *, object_type: str
) -> None:
    require_authenticated(ctx, action)
    if ctx.system is not None:
        return
    if department_access(roles_of(ctx), department.id) < needed:
        raise audit.deny(
            ctx,
            action,
            AccessDeniedError(
                f"your role in department {department.code} does not allow this action"
            ),
            object_type=object_type,
            department=department.code,
        )


def access_to_case_file(ctx: Context, case_file: CaseFile) -> Access:
    if ctx.system is not None:
        return Access.MANAGE
    if ctx.actor is None:
        return Access.NONE
    # The four columns only: the Grant entity would join its department and principal.
    grants = ctx.session.execute(
        select(Grant.permission, Grant.expires_at, Grant.department_id, Grant.principal_id).where(
            Grant.case_file_id == case_file.id
        )
    )
    return case_file_access(
        principal_id=ctx.actor.id,
        roles=roles_of(ctx),
        department_id=case_file.department_id,
        confidential=case_file.confidential,
        grants=[GrantFacts(*row) for row in grants],
        now=ctx.now(),
        creator_id=case_file.created_by_id,
    )


def require_case_file(
    ctx: Context, case_file_id: uuid.UUID, needed: Access, action: str
) -> CaseFile:
    """Load a case file the caller may use at `needed` level, or deny."""
    require_authenticated(ctx, action)
    case_file = ctx.session.get(CaseFile, case_file_id)
    access = access_to_case_file(ctx, case_file) if case_file is not None else Access.NONE
    if case_file is None or access == Access.NONE:
        raise audit.not_found(
            ctx,
            action,
            f"case file {case_file_id} not found",
            object_type="case_file",
            object_id=case_file_id,
        )
    if access < needed:
        raise audit.deny(
            ctx,
            action,
            AccessDeniedError(f"you may not {_verb(needed)} case file {case_file.reference}"),
            object_type="case_file",
            object_id=case_file_id,
            department=case_file.department.code,
        )
    refuse_if_disposed(ctx, case_file, action)
    return case_file


def refuse_if_disposed(ctx: Context, case_file: CaseFile, action: str) -> None:
    """A disposed case file answers 410 to everything, naming its disposition."""
    if case_file.status == CaseFileStatus.DISPOSED:
        raise audit.deny(
            ctx,
            action,
            _gone(ctx, case_file),
            object_type="case_file",
            object_id=case_file.id,
            department=case_file.department.code,
        )


def _gone(ctx: Context, case_file: CaseFile) -> GoneError:
    """410 naming the disposition that left only this tombstone."""
    tombstone = ctx.session.get(Tombstone, case_file.id)
    if tombstone is None:
        return GoneError(f"case file {case_file.reference} has been disposed of")
    how = (
        "destroyed"
        if tombstone.disposition == Disposition.DESTROY
        else "handed over to the archive and destroyed here"
    )
    return GoneError(
        f"case file {case_file.reference} was {how} on {tombstone.disposed_at.date().isoformat()}"
        f" by disposition proposal {tombstone.proposal_id}"
    )


def readable_case_files(ctx: Context) -> ColumnElement[bool]:
    """The SQL twin of `case_file_access(...) >= READ`, so lists are trimmed before paging."""
    if ctx.system is not None:
        return true()
    if ctx.actor is None:
        return false()
    roles = roles_of(ctx)
    now = ctx.now()
    active = or_(Grant.expires_at.is_(None), Grant.expires_at > now)
    by_principal = select(Grant.case_file_id).where(Grant.principal_id == ctx.actor.id, active)
    by_department = select(Grant.case_file_id).where(Grant.department_id.in_(list(roles)), active)
    return or_(
        CaseFile.id.in_(by_principal),
        and_(
            CaseFile.confidential.is_(False),
            or_(CaseFile.department_id.in_(list(roles)), CaseFile.id.in_(by_department)),
        ),
    )


def _verb(needed: Access) -> str:
    return {Access.READ: "read", Access.WRITE: "change", Access.MANAGE: "manage"}[needed]


def index_access_keys(case_file: CaseFile, grants: list[Grant]) -> tuple[str, ...]:
    """The keys a case file's documents carry in the search index (see `search_keys`).

    The index twin of `readable_case_files`: a department key unless the file
    is confidential, and one key per grant that can give read access. Expiry is
    not indexed: an expired grant's key simply stops being one of the caller's.
    """
    keys = [] if case_file.confidential else [f"dept:{case_file.department_id}"]
    keys += [
        f"grant:{grant.id}"
        for grant in grants
        if grant.principal_id is not None or not case_file.confidential
    ]
    return tuple(sorted(keys))


def search_keys(ctx: Context) -> frozenset[str]:
    """The caller's keys, from the database now: departments by role, grants not expired."""
    if ctx.actor is None:
        return frozenset()
    roles = roles_of(ctx)
    now = ctx.now()
    grants = ctx.session.scalars(
        select(Grant.id).where(
            or_(Grant.principal_id == ctx.actor.id, Grant.department_id.in_(list(roles))),
            or_(Grant.expires_at.is_(None), Grant.expires_at > now),
        )
    )
    return frozenset([f"dept:{department_id}" for department_id in roles]) | {
        f"grant:{grant_id}" for grant_id in grants
    }
