"""/api/v1/file-plan: the Aktenplan."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from eakte.api.idempotency import idempotent, with_global_role
from eakte.api.requests import context
from eakte.api.schemas.records import (
    FilePlanNodeCreateSchema,
    FilePlanNodePatchSchema,
    FilePlanNodeSchema,
    FilePlanTreeSchema,
)
from eakte.models.vocabulary import Disposition, GlobalRole
from eakte.services import file_plan

blp = Blueprint("file_plan", __name__, url_prefix="/api/v1/file-plan", description="Aktenplan")


class _TreeNode:
    """A file plan node with its children, for the tree answer."""

    def __init__(self, node: object) -> None:
        self._node = node
        self.children: list[_TreeNode] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._node, name)


@blp.route("")
class FilePlan(MethodView):
    @blp.response(200, FilePlanTreeSchema)
    def get(self) -> object:
        """The whole Aktenplan as a tree, ordered by code (everyone signed in)."""
        nodes = file_plan.list_nodes(context())
        wrapped = {node.id: _TreeNode(node) for node in nodes}
        roots: list[_TreeNode] = []
        for node in nodes:
            parent = wrapped.get(node.parent_id) if node.parent_id else None
            (parent.children if parent else roots).append(wrapped[node.id])
        return {"items": roots, "next": None}

    @idempotent(with_global_role(GlobalRole.RECORDS_MANAGER, "file_plan.create", "file_plan_node"))
    @blp.arguments(FilePlanNodeCreateSchema)
    @blp.response(201, FilePlanNodeSchema)
    def post(self, body: dict[str, Any]) -> object:
        """Add a node with its retention rule (records manager)."""
        node = file_plan.create_node(
            context(),
            code=body["code"],
            title=body["title"],
            parent=body["parent"],
            retention_years=body["retention_years"],
            disposition=Disposition(body["disposition"]),
        )
        return node, {"Location": url_for(".FilePlanNode", code=node.code)}


@blp.route("/<code>")
class FilePlanNode(MethodView):
    @blp.response(200, FilePlanNodeSchema)
    def get(self, code: str) -> object:
        """One node."""
        return file_plan.get_node(context(), code)

    @blp.arguments(FilePlanNodePatchSchema)
    @blp.response(200, FilePlanNodeSchema)
    def patch(self, body: dict[str, Any], code: str) -> object:
        """Change title or retention rule (records manager); closed files get new dates."""
        if "disposition" in body:
            body["disposition"] = Disposition(body["disposition"])
        node, reevaluated = file_plan.update_node(context(), code, **body)
        return node, {"X-Reevaluated-Case-Files": str(reevaluated)}
