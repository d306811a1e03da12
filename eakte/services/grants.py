"""Grants: a lead opens a case file to another department or a named principal."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select

from eakte.errors import InvalidInputError, Reason
from eakte.models import CaseFile, Grant
from eakte.models.permissions import Access
from eakte.models.vocabulary import GrantPermission
from eakte.services import access, audit, outbox
from eakte.services.context import Context
from eakte.services.departments import named_department
from eakte.services.principals import find_principal


def _record(ctx: Context, action: str, case_file: CaseFile, grant: Grant) -> None:
    audit.record_in_case_file(
        ctx,
        action,
        case_file,
        grant=str(grant.id),
        grantee_department=grant.department.code if grant.department else None,
        grantee_principal=grant.principal.username if grant.principal else None,
        permission=grant.permission,
        expires_at=grant.expires_at.isoformat() if grant.expires_at else None,
    )


def list_grants(ctx: Context, case_file_id: uuid.UUID) -> list[Grant]:
    action = "grant.list"
    case_file = access.require_case_file(ctx, case_file_id, Access.MANAGE, action)
    grants = list(
        ctx.session.scalars(
            select(Grant).where(Grant.case_file_id == case_file.id).order_by(Grant.created_at)
        )
    )
    audit.record_in_case_file(ctx, action, case_file)
    ctx.commit()
    return grants


def shared_with_caller(ctx: Context, case_files: Sequence[CaseFile]) -> dict[uuid.UUID, Grant]:
    """Of a list the caller already reads (and its audit event): the files of other
    departments she reads through a grant, with that grant (the stronger one, then the
    longer one), so that her list can mark them "geteilt"."""
    if ctx.actor is None:
        return {}
    roles = access.roles_of(ctx)
    foreign = [case_file.id for case_file in case_files if case_file.department_id not in roles]
    if not foreign:
        return {}
    now = ctx.now()
    rows = ctx.session.scalars(
        select(Grant).where(
            Grant.case_file_id.in_(foreign),
            or_(Grant.principal_id == ctx.actor.id, Grant.department_id.in_(list(roles))),
            or_(Grant.expires_at.is_(None), Grant.expires_at > now),
        )
    )
    best: dict[uuid.UUID, Grant] = {}
    for grant in rows:
        held = best.get(grant.case_file_id)
        if held is None or _strength(grant) > _strength(held):
            best[grant.case_file_id] = grant
    return best


def _strength(grant: Grant) -> tuple[bool, dt.datetime]:
    never = dt.datetime.max.replace(tzinfo=dt.UTC)
    expires = grant.expires_at or never
    if expires.tzinfo is None:  # SQLite hands back naive UTC
        expires = expires.replace(tzinfo=dt.UTC)
    return grant.permission == GrantPermission.WRITE.value, expires


def create_grant(
    ctx: Context,
    case_file_id: uuid.UUID,
    *,
    department: str | None = None,
    principal: str | None = None,
    permission: GrantPermission,
    expires_at: dt.datetime | None = None,
) -> tuple[Grant, bool]:
    """Grant access; a second grant to the same grantee replaces the first.

    Returns the grant and whether it is new.
    """
    action = "grant.create"
    case_file = access.require_case_file(ctx, case_file_id, Access.MANAGE, action)
    if (department is None) == (principal is None):
        raise InvalidInputError(
            "name exactly one grantee: department or principal",
            errors={"department": ["give department or principal, not both or neither"]},
            reasons=[Reason.ONE_GRANTEE],
        )
    if expires_at is not None and expires_at <= ctx.now():
        raise InvalidInputError(
            "expires_at must lie in the future",
            errors={"expires_at": ["must lie in the future"]},
            reasons=[Reason.NOT_IN_FUTURE],
        )
    stmt = select(Grant).where(Grant.case_file_id == case_file.id)
    if department is not None:
        if case_file.confidential:
            raise InvalidInputError(
                "a confidential case file can only be opened to named principals",
                errors={"department": ["not allowed on a confidential case file"]},
                reasons=[Reason.CONFIDENTIAL_GRANT],
            )
        unit = named_department(ctx, department)
        stmt = stmt.where(Grant.department_id == unit.id)
        grantee = {"department_id": unit.id}
    else:
        assert principal is not None  # exactly one grantee, checked above
        person = find_principal(ctx, principal)
        if person is None:
            raise InvalidInputError(
                f"unknown principal {principal!r}",
                errors={"principal": [f"unknown principal {principal!r}"]},
                reasons=[Reason.UNKNOWN_PRINCIPAL],
            )
        stmt = stmt.where(Grant.principal_id == person.id)
        grantee = {"principal_id": person.id}
    grant = ctx.session.scalar(stmt)
    created = grant is None
    if grant is None:
        grant = Grant(case_file_id=case_file.id, created_by_id=ctx.actor_id, **grantee)
        ctx.session.add(grant)
    grant.permission = permission.value
    grant.expires_at = expires_at
    ctx.session.flush()
    ctx.session.refresh(grant)
    outbox.case_file_changed(ctx, case_file.id)
    _record(ctx, action, case_file, grant)
    ctx.commit()
    return grant, created


def delete_grant(ctx: Context, case_file_id: uuid.UUID, grant_id: uuid.UUID) -> None:
    action = "grant.delete"
    case_file = access.require_case_file(ctx, case_file_id, Access.MANAGE, action)
    grant = ctx.session.get(Grant, grant_id)
    if grant is None or grant.case_file_id != case_file.id:
        raise audit.not_found(
            ctx,
            action,
            f"grant {grant_id} not found on this case file",
            object_type="grant",
            object_id=grant_id,
            department=case_file.department.code,
        )
    _record(ctx, action, case_file, grant)
    ctx.session.delete(grant)
    outbox.case_file_changed(ctx, case_file.id)
    ctx.commit()
