"""Departments (Organisationseinheiten): listed for everyone signed in, written by admins."""

from __future__ import annotations

from sqlalchemy import select

from eakte.errors import ConflictError, InvalidInputError, Reason
from eakte.models import Department
from eakte.models.vocabulary import GlobalRole
from eakte.services import access, audit
from eakte.services.context import Context
from eakte.services.pagination import Page, paginate


def find_department(ctx: Context, code: str) -> Department | None:
    return ctx.session.scalar(select(Department).where(Department.code == code))


def named_department(ctx: Context, code: str, *, field: str = "department") -> Department:
    """A department named in a request body: an unknown code is bad input (422), not a 404."""
    department = find_department(ctx, code)
    if department is None:
        raise InvalidInputError(
            f"unknown department {code!r}",
            errors={field: [f"unknown department {code!r}"]},
            reasons=[Reason.UNKNOWN_DEPARTMENT],
        )
    return department


def list_departments(ctx: Context, *, limit: int, cursor: str | None) -> Page[Department]:
    access.require_authenticated(ctx, "department.list")
    page = paginate(ctx.session, select(Department), [Department.code], limit=limit, cursor=cursor)
    audit.record(ctx, "department.list", details={"count": len(page.items)})
    ctx.commit()
    return page


def get_department(ctx: Context, code: str) -> Department:
    access.require_authenticated(ctx, "department.read")
    department = find_department(ctx, code)
    if department is None:
        raise audit.not_found(
            ctx,
            "department.read",
            f"department {code!r} not found",
            object_type="department",
            object_id=code,
        )
    audit.record(ctx, "department.read", object_type="department", object_id=code, department=code)
    ctx.commit()
    return department


def create_department(ctx: Context, *, code: str, name: str, parent: str | None) -> Department:
    access.require_global_role(ctx, GlobalRole.ADMIN, "department.create", object_type="department")
    if find_department(ctx, code) is not None:
        raise ConflictError(f"department {code!r} exists already")
    parent_department = named_department(ctx, parent, field="parent") if parent else None
    department = Department(code=code, name=name, parent=parent_department)
    ctx.session.add(department)
    ctx.session.flush()
    audit.record(
        ctx,
        "department.create",
        object_type="department",
        object_id=code,
        department=code,
        details={"parent": parent},
    )
    ctx.commit()
    return department
