"""/api/v1/departments"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from eakte.api.idempotency import idempotent, with_global_role
from eakte.api.requests import context
from eakte.api.schemas.common import ListQuery, page_of
from eakte.api.schemas.organisation import DepartmentCreateSchema, DepartmentSchema
from eakte.models.vocabulary import GlobalRole
from eakte.services import departments

blp = Blueprint(
    "departments", __name__, url_prefix="/api/v1/departments", description="Departments (OE)"
)


@blp.route("")
class Departments(MethodView):
    @blp.arguments(ListQuery, location="query")
    @blp.response(200, page_of(DepartmentSchema))
    def get(self, query: dict[str, Any]) -> object:
        """List departments (everyone signed in)."""
        return departments.list_departments(context(), limit=query["limit"], cursor=query["cursor"])

    @idempotent(with_global_role(GlobalRole.ADMIN, "department.create", "department"))
    @blp.arguments(DepartmentCreateSchema)
    @blp.response(201, DepartmentSchema)
    def post(self, body: dict[str, Any]) -> object:
        """Create a department (admin)."""
        department = departments.create_department(context(), **body)
        return department, {"Location": url_for(".Department", code=department.code)}


@blp.route("/<code>")
class Department(MethodView):
    @blp.response(200, DepartmentSchema)
    def get(self, code: str) -> object:
        """One department."""
        return departments.get_department(context(), code)
