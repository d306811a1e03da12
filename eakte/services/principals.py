"""Principals (users and service accounts), their memberships and global roles: admin work.

No one alone: nobody changes their own memberships or roles; a membership takes
effect when a lead of the department confirms it (or at once from the operator's
CLI, or while the department has no lead); a records_manager grant waits for an
existing records manager; an admin never holds records_manager.

One idea in one module (over 400 lines on purpose): these rules refer to each
other (a lead confirms a membership, an admin is never records manager, nobody
grants to themselves), and split apart they would be checked in several places.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from eakte.errors import (
    AccessDeniedError,
    ConflictError,
    EakteError,
    Reason,
    SeparationOfDutiesError,
)
from eakte.models import Department, Membership, Principal, PrincipalRole
from eakte.models.permissions import ROLE_RANK
from eakte.models.vocabulary import ApprovalState, DepartmentRole, GlobalRole, PrincipalKind
from eakte.services import access, audit
from eakte.services.context import Context
from eakte.services.departments import find_department, named_department
from eakte.services.pagination import Page, paginate

# Roles that together would let one person act alone (DESIGN: "Admins never hold
# records_manager"): an admin could otherwise approve dispositions it set up itself.
EXCLUSIVE_ROLES = frozenset({GlobalRole.ADMIN.value, GlobalRole.RECORDS_MANAGER.value})


def find_principal(ctx: Context, username: str) -> Principal | None:
    return ctx.session.scalar(select(Principal).where(Principal.username == username))


def _denied(
    ctx: Context, action: str, error: EakteError, username: str, department: str | None = None
) -> EakteError:
    """A refusal about a principal: audited, and handed back to raise."""
    return audit.deny(
        ctx, action, error, object_type="principal", object_id=username, department=department
    )


def record_about_principal(
    ctx: Context,
    action: str,
    username: str,
    *,
    department: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """An allowed action on a principal, in the action's own transaction."""
    audit.record(
        ctx,
        action,
        object_type="principal",
        object_id=username,
        department=department,
        details=details,
    )


def require_principal(ctx: Context, username: str, action: str) -> Principal:
    principal = find_principal(ctx, username)
    if principal is None:
        raise audit.not_found(
            ctx,
            action,
            f"principal {username!r} not found",
            object_type="principal",
            object_id=username,
        )
    return principal


def refuse_own(ctx: Context, principal: Principal, action: str, what: str) -> None:
    """Nobody changes their own rights or account: a second person must."""
    if ctx.actor is not None and ctx.actor.id == principal.id:
        raise _denied(
            ctx,
            action,
            SeparationOfDutiesError(
                f"nobody changes their own {what}; ask another person",
                reasons=[Reason.OWN_RIGHTS],
            ),
            principal.username,
        )


def require_other_principal(ctx: Context, username: str, action: str, what: str) -> Principal:
    """Admin work on another principal's `what` (the operator's CLI may do it too)."""
    access.require_global_role(
        ctx, GlobalRole.ADMIN, action, object_type="principal", object_id=username
    )
    principal = require_principal(ctx, username, action)
    refuse_own(ctx, principal, action, what)
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
    principal = require_principal(ctx, username, "principal.read")
    record_about_principal(ctx, "principal.read", username)
    ctx.commit()
    return principal


def create_principal(
    ctx: Context, *, username: str, display_name: str, kind: PrincipalKind
) -> Principal:
    action = "principal.create"
    access.require_global_role(ctx, GlobalRole.ADMIN, action, object_type="principal")
    if find_principal(ctx, username) is not None:
        raise _denied(
            ctx, action, ConflictError(f"principal {username!r} exists already"), username
        )
    principal = Principal(username=username, display_name=display_name, kind=kind.value)
    ctx.session.add(principal)
    ctx.session.flush()
    record_about_principal(ctx, action, username, details={"kind": kind.value})
    ctx.commit()
    return principal


# --- memberships ------------------------------------------------------------------------


def _membership_in(principal: Principal, unit: Department) -> Membership | None:
    return next((m for m in principal.memberships if m.department_id == unit.id), None)


def _grant_of(principal: Principal, role: GlobalRole) -> PrincipalRole | None:
    return next((r for r in principal.roles if r.role == role.value), None)


def department_has_lead(ctx: Context, department: Department, *, besides: Principal) -> bool:
    """Whether someone other than `besides` leads `department` (a lead of a parent
    department leads its sub-departments too). Deactivated leads count: deactivating
    the only lead must not let memberships slip in unconfirmed."""
    chain: list[object] = []
    current: Department | None = department
    while current is not None and current.id not in chain:
        chain.append(current.id)
        current = current.parent
    leads = ctx.session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.department_id.in_(chain),
            Membership.role == DepartmentRole.LEAD.value,
            Membership.state == ApprovalState.ACTIVE.value,
            Membership.principal_id != besides.id,
        )
    )
    return bool(leads)


def add_membership(
    ctx: Context, username: str, *, department: str, role: DepartmentRole
) -> tuple[Membership, bool]:
    """Make `username` a member with `role`, or change the role of a membership.

    The membership (or a promotion) waits for a lead of the department as `pending`
    unless the operator's CLI sets it or the department has no lead; a demotion holds
    at once. Returns the membership and whether it is new.
    """
    action = "membership.add"
    principal = require_other_principal(ctx, username, action, "memberships")
    unit = named_department(ctx, department)
    needs_lead = ctx.system is None and department_has_lead(ctx, unit, besides=principal)
    membership = _membership_in(principal, unit)
    created = membership is None
    previous = None if membership is None else membership.role
    if membership is None:
        membership = Membership(
            department=unit,
            role=role.value,
            state=(ApprovalState.PENDING if needs_lead else ApprovalState.ACTIVE).value,
        )
        principal.memberships.append(membership)
    elif membership.state == ApprovalState.PENDING:
        membership.role = role.value
        membership.state = (ApprovalState.PENDING if needs_lead else ApprovalState.ACTIVE).value
    elif needs_lead and ROLE_RANK[role] > ROLE_RANK[DepartmentRole(membership.role)]:
        membership.pending_role = role.value
    else:
        membership.role = role.value
        membership.pending_role = None
    membership.requested_by = ctx.actor_name
    if not needs_lead:
        membership.approved_by = ctx.actor_name
    ctx.session.flush()
    record_about_principal(
        ctx,
        action,
        username,
        department=unit.code,
        details={
            "role": role.value,
            "previous_role": previous,
            "state": membership.state,
            "pending_role": membership.pending_role,
        },
    )
    ctx.commit()
    return membership, created


def membership_waits(membership: Membership) -> bool:
    return membership.state == ApprovalState.PENDING or membership.pending_role is not None


def approve_membership(ctx: Context, username: str, *, department: str) -> Membership:
    """A lead of the department confirms a pending membership or promotion."""
    action = "membership.approve"
    access.require_authenticated(ctx, action)
    principal = require_principal(ctx, username, action)
    unit = find_department(ctx, department)
    if unit is None:
        raise audit.not_found(
            ctx,
            action,
            f"department {department!r} not found",
            object_type="principal",
            object_id=username,
        )
    if ctx.system is None and access.roles_of(ctx).get(unit.id) != DepartmentRole.LEAD:
        raise _denied(
            ctx,
            action,
            AccessDeniedError(f"only a lead of department {unit.code} confirms its memberships"),
            username,
            department=unit.code,
        )
    refuse_own(ctx, principal, action, "memberships")
    membership = _membership_in(principal, unit)
    if membership is None or not membership_waits(membership):
        raise _denied(
            ctx,
            action,
            ConflictError(f"{username!r} has no membership in {unit.code} waiting for approval"),
            username,
            department=unit.code,
        )
    membership.role = membership.pending_role or membership.role
    membership.pending_role = None
    membership.state = ApprovalState.ACTIVE.value
    membership.approved_by = ctx.actor_name
    record_about_principal(
        ctx,
        action,
        username,
        department=unit.code,
        details={"role": membership.role, "requested_by": membership.requested_by},
    )
    ctx.commit()
    return membership


def remove_membership(ctx: Context, username: str, *, department: str) -> None:
    action = "membership.remove"
    principal = require_other_principal(ctx, username, action, "memberships")
    unit = named_department(ctx, department)
    membership = _membership_in(principal, unit)
    if membership is None:
        raise audit.not_found(
            ctx,
            action,
            f"{username!r} is not a member of department {department!r}",
            object_type="principal",
            object_id=username,
            department=unit.code,
        )
    principal.memberships.remove(membership)
    record_about_principal(
        ctx,
        action,
        username,
        department=unit.code,
        details={"role": membership.role, "state": membership.state},
    )
    ctx.commit()


# --- global roles -----------------------------------------------------------------------


def _records_manager_exists(ctx: Context) -> bool:
    """Active grants count whoever holds them: deactivating every records manager
    must not make the next grant an unconfirmed "first one"."""
    return bool(
        ctx.session.scalar(
            select(func.count())
            .select_from(PrincipalRole)
            .where(
                PrincipalRole.role == GlobalRole.RECORDS_MANAGER.value,
                PrincipalRole.state == ApprovalState.ACTIVE.value,
            )
        )
    )


def grant_role(ctx: Context, username: str, role: GlobalRole) -> tuple[PrincipalRole, bool]:
    """Give a global role; returns the grant and whether it is new.

    A records_manager grant by an admin stays `pending` until another records
    manager approves it, unless it is the first one or the operator's CLI grants it.
    """
    action = "role.grant"
    principal = require_other_principal(ctx, username, action, "global roles")
    held = _grant_of(principal, role)
    if held is not None:
        return held, False
    if role.value in EXCLUSIVE_ROLES and {r.role for r in principal.roles} & EXCLUSIVE_ROLES:
        raise _denied(
            ctx,
            action,
            SeparationOfDutiesError(
                "admin and records_manager are never held together: an admin could"
                " otherwise approve a disposition alone",
                reasons=[Reason.EXCLUSIVE_ROLES],
            ),
            username,
        )
    pending = (
        role is GlobalRole.RECORDS_MANAGER and ctx.system is None and _records_manager_exists(ctx)
    )
    grant = PrincipalRole(
        role=role.value,
        state=(ApprovalState.PENDING if pending else ApprovalState.ACTIVE).value,
        requested_by=ctx.actor_name,
        approved_by=None if pending else ctx.actor_name,
    )
    principal.roles.append(grant)
    record_about_principal(
        ctx, action, username, details={"role": role.value, "state": grant.state}
    )
    ctx.commit()
    return grant, True


def approve_role(ctx: Context, username: str, role: GlobalRole) -> PrincipalRole:
    """Another records manager confirms a pending records_manager grant."""
    action = "role.approve"
    access.require_global_role(
        ctx, GlobalRole.RECORDS_MANAGER, action, object_type="principal", object_id=username
    )
    principal = require_principal(ctx, username, action)
    refuse_own(ctx, principal, action, "global roles")
    held = _grant_of(principal, role)
    if held is None or held.state != ApprovalState.PENDING:
        raise _denied(
            ctx,
            action,
            ConflictError(f"{username!r} has no {role.value} grant waiting for approval"),
            username,
        )
    held.state = ApprovalState.ACTIVE.value
    held.approved_by = ctx.actor_name
    record_about_principal(
        ctx, action, username, details={"role": role.value, "requested_by": held.requested_by}
    )
    ctx.commit()
    return held


def revoke_role(ctx: Context, username: str, role: GlobalRole) -> None:
    """Take a role away (or withdraw a pending grant)."""
    action = "role.revoke"
    principal = require_other_principal(ctx, username, action, "global roles")
    held = _grant_of(principal, role)
    if held is None:
        raise audit.not_found(
            ctx,
            action,
            f"{username!r} does not hold the role {role.value!r}",
            object_type="principal",
            object_id=username,
        )
    principal.roles.remove(held)
    record_about_principal(ctx, action, username, details={"role": role.value, "state": held.state})
    ctx.commit()


# --- what waits for the caller's confirmation --------------------------------------------


def memberships_to_confirm(ctx: Context) -> list[Membership]:
    """Pending memberships and promotions in the departments the caller leads (not its own)."""
    access.require_authenticated(ctx, "membership.list_pending")
    led = [unit for unit, role in access.roles_of(ctx).items() if role == DepartmentRole.LEAD]
    if not led:
        return []
    waiting = ctx.session.scalars(
        select(Membership)
        .where(
            Membership.department_id.in_(led),
            (Membership.state == ApprovalState.PENDING.value)
            | Membership.pending_role.is_not(None),
            Membership.principal_id != ctx.actor_id,
        )
        .order_by(Membership.created_at)
    )
    return list(waiting)


def roles_to_confirm(ctx: Context) -> list[tuple[Principal, PrincipalRole]]:
    """Pending records_manager grants, for another records manager to approve."""
    if not access.has_global_role(ctx, GlobalRole.RECORDS_MANAGER):
        return []
    rows = ctx.session.execute(
        select(Principal, PrincipalRole)
        .join(PrincipalRole, PrincipalRole.principal_id == Principal.id)
        .where(PrincipalRole.state == ApprovalState.PENDING.value, Principal.id != ctx.actor_id)
        .order_by(PrincipalRole.created_at)
    )
    return [(principal, grant) for principal, grant in rows]
