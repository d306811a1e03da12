"""Principals (users and service accounts), their memberships and global roles: admin work."""

from __future__ import annotations

from sqlalchemy import select

from eakte.errors import ConflictError, NotFoundError
from eakte.models import Membership, Principal, PrincipalRole
from eakte.models.vocabulary import DepartmentRole, GlobalRole, PrincipalKind
from eakte.services import access, audit
from eakte.services.context import Context
from eakte.services.departments import department_by_code
from eakte.services.pagination import Page, paginate


def find_principal(ctx: Context, username: str) -> Principal | None:
    return ctx.session.scalar(select(Principal).where(Principal.username == username))


def principal_or_deny(ctx: Context, username: str, action: str) -> Principal:
    principal = find_principal(ctx, username)
    if principal is None:
        raise audit.deny(
            ctx,
            action,
            NotFoundError(f"principal {username!r} not found"),
            object_type="principal",
            object_id=username,
        )
    return principal


def list_principals(ctx: Context, *, limit: int, cursor: str | None) -> Page[Principal]:
    access.require_global_role(ctx, GlobalRole.ADMIN, "principal.list")
    page = paginate(
        ctx.session, select(Principal), [Principal.username], limit=limit, cursor=cursor
    )
    audit.record(ctx, "principal.list", details={"count": len(page.items)})
    ctx.commit()
    return page


def get_principal(ctx: Context, username: str) -> Principal:
    access.require_self_or_role(
        ctx, username, GlobalRole.ADMIN, "principal.read", object_type="principal"
    )
    principal = principal_or_deny(ctx, username, "principal.read")
    audit.record(ctx, "principal.read", object_type="principal", object_id=username)
    ctx.commit()
    return principal


def create_principal(
    ctx: Context, *, username: str, display_name: str, kind: PrincipalKind
) -> Principal:
    access.require_global_role(ctx, GlobalRole.ADMIN, "principal.create", object_type="principal")
    if find_principal(ctx, username) is not None:
        raise ConflictError(f"principal {username!r} exists already")
    principal = Principal(username=username, display_name=display_name, kind=kind.value)
    ctx.session.add(principal)
    ctx.session.flush()
    audit.record(
        ctx,
        "principal.create",
        object_type="principal",
        object_id=username,
        details={"kind": kind.value},
    )
    ctx.commit()
    return principal


def add_membership(
    ctx: Context, username: str, *, department: str, role: DepartmentRole
) -> tuple[Membership, bool]:
    """Make `username` a member with `role`; an existing membership changes role.

    Returns the membership and whether it is new.
    """
    access.require_global_role(
        ctx, GlobalRole.ADMIN, "membership.add", object_type="principal", object_id=username
    )
    principal = principal_or_deny(ctx, username, "membership.add")
    unit = department_by_code(ctx, department)
    membership = next((m for m in principal.memberships if m.department_id == unit.id), None)
    created = membership is None
    previous = None if membership is None else membership.role
    if membership is None:
        membership = Membership(department=unit, role=role.value)
        principal.memberships.append(membership)
    else:
        membership.role = role.value
    ctx.session.flush()
    audit.record(
        ctx,
        "membership.add",
        object_type="principal",
        object_id=username,
        department=unit.code,
        details={"role": role.value, "previous_role": previous},
    )
    ctx.commit()
    return membership, created


def remove_membership(ctx: Context, username: str, *, department: str) -> None:
    action = "membership.remove"
    access.require_global_role(
        ctx, GlobalRole.ADMIN, action, object_type="principal", object_id=username
    )
    principal = principal_or_deny(ctx, username, action)
    unit = department_by_code(ctx, department)
    membership = next((m for m in principal.memberships if m.department_id == unit.id), None)
    if membership is None:
        raise NotFoundError(f"{username!r} is not a member of department {department!r}")
    principal.memberships.remove(membership)
    audit.record(
        ctx,
        action,
        object_type="principal",
        object_id=username,
        department=unit.code,
        details={"role": membership.role},
    )
    ctx.commit()


def grant_role(ctx: Context, username: str, role: GlobalRole) -> bool:
    """Give a global role; returns False when the principal had it already."""
    action = "role.grant"
    access.require_global_role(
        ctx, GlobalRole.ADMIN, action, object_type="principal", object_id=username
    )
    principal = principal_or_deny(ctx, username, action)
    if role.value in principal.global_roles:
        return False
    principal.roles.append(PrincipalRole(role=role.value))
    audit.record(
        ctx, action, object_type="principal", object_id=username, details={"role": role.value}
    )
    ctx.commit()
    return True


def revoke_role(ctx: Context, username: str, role: GlobalRole) -> None:
    action = "role.revoke"
    access.require_global_role(
        ctx, GlobalRole.ADMIN, action, object_type="principal", object_id=username
    )
    principal = principal_or_deny(ctx, username, action)
    held = next((r for r in principal.roles if r.role == role.value), None)
    if held is None:
        raise NotFoundError(f"{username!r} does not hold the role {role.value!r}")
    if role is GlobalRole.ADMIN and ctx.actor is not None and ctx.actor.id == principal.id:
        raise ConflictError("admins cannot take the admin role from themselves")
    principal.roles.remove(held)
    audit.record(
        ctx, action, object_type="principal", object_id=username, details={"role": role.value}
    )
    ctx.commit()
