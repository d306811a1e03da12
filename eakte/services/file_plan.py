"""The Aktenplan: readable by everyone signed in, maintained by records managers."""

from __future__ import annotations

from sqlalchemy import select

from eakte.errors import ConflictError, InvalidInputError, NotFoundError, Reason
from eakte.models import FilePlanNode
from eakte.models.vocabulary import Disposition, GlobalRole
from eakte.services import access, audit
from eakte.services.context import Context
from eakte.services.retention import reevaluate_node


def find_node(ctx: Context, code: str) -> FilePlanNode | None:
    return ctx.session.scalar(select(FilePlanNode).where(FilePlanNode.code == code))


def named_node(ctx: Context, code: str, *, field: str = "file_plan") -> FilePlanNode:
    """A file plan position named in a request body: an unknown code is bad input (422)."""
    node = find_node(ctx, code)
    if node is None:
        raise InvalidInputError(
            f"unknown file plan code {code!r}",
            errors={field: [f"unknown file plan code {code!r}"]},
            reasons=[Reason.UNKNOWN_FILE_PLAN_CODE],
        )
    return node


def list_nodes(ctx: Context) -> list[FilePlanNode]:
    """All nodes ordered by code; the API shapes them into a tree."""
    access.require_authenticated(ctx, "file_plan.list")
    nodes = list(ctx.session.scalars(select(FilePlanNode).order_by(FilePlanNode.code)))
    audit.record(ctx, "file_plan.list", details={"count": len(nodes)})
    ctx.commit()
    return nodes


def get_node(ctx: Context, code: str) -> FilePlanNode:
    access.require_authenticated(ctx, "file_plan.read")
    node = find_node(ctx, code)
    if node is None:
        raise audit.not_found(
            ctx,
            "file_plan.read",
            f"file plan node {code!r} not found",
            object_type="file_plan_node",
            object_id=code,
        )
    audit.record(ctx, "file_plan.read", object_type="file_plan_node", object_id=code)
    ctx.commit()
    return node


def create_node(
    ctx: Context,
    *,
    code: str,
    title: str,
    parent: str | None,
    retention_years: int,
    disposition: Disposition,
) -> FilePlanNode:
    action = "file_plan.create"
    access.require_global_role(
        ctx, GlobalRole.RECORDS_MANAGER, action, object_type="file_plan_node"
    )
    if find_node(ctx, code) is not None:
        raise ConflictError(f"file plan code {code!r} exists already")
    parent_node = named_node(ctx, parent, field="parent") if parent else None
    node = FilePlanNode(
        code=code,
        title=title,
        parent=parent_node,
        retention_years=retention_years,
        disposition=disposition.value,
    )
    ctx.session.add(node)
    ctx.session.flush()
    audit.record(
        ctx,
        action,
        object_type="file_plan_node",
        object_id=code,
        details={
            "parent": parent,
            "retention_years": retention_years,
            "disposition": disposition.value,
        },
    )
    ctx.commit()
    return node


def update_node(
    ctx: Context,
    code: str,
    *,
    title: str | None = None,
    retention_years: int | None = None,
    disposition: Disposition | None = None,
) -> tuple[FilePlanNode, int]:
    """Change a node's title or retention rule; closed files under it get new dates.

    Returns the node and how many closed case files' `retain_until` changed.
    """
    action = "file_plan.update"
    access.require_global_role(
        ctx, GlobalRole.RECORDS_MANAGER, action, object_type="file_plan_node", object_id=code
    )
    node = find_node(ctx, code)
    if node is None:
        raise NotFoundError(f"file plan node {code!r} not found")
    changes: dict[str, object] = {}
    if title is not None and title != node.title:
        node.title = title
        changes["title"] = title
    if retention_years is not None and retention_years != node.retention_years:
        changes["retention_years"] = {"from": node.retention_years, "to": retention_years}
        node.retention_years = retention_years
    if disposition is not None and disposition != node.disposition:
        changes["disposition"] = {"from": node.disposition, "to": disposition.value}
        node.disposition = disposition.value
    reevaluated = reevaluate_node(ctx, node) if "retention_years" in changes else 0
    audit.record(
        ctx,
        action,
        object_type="file_plan_node",
        object_id=code,
        details={"changes": changes, "case_files_reevaluated": reevaluated},
    )
    ctx.commit()
    return node, reevaluated
