"""File plan, case files, processes and grants."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from eakte.api.schemas.common import (
    ListQuery,
    StrictBoolean,
    UtcDateTime,
    choice_field,
    code_field,
    text_field,
    username_field,
)
from eakte.models.records import TITLE_MAX
from eakte.models.vocabulary import CaseFileStatus, Disposition, GrantPermission, values


def _username_of(attribute: str) -> fields.Function:
    return fields.Function(lambda obj: getattr(getattr(obj, attribute), "username", None))


class FilePlanNodeCreateSchema(ma.Schema):
    code = code_field(required=True)
    title = text_field(TITLE_MAX, required=True)
    parent = code_field(load_default=None, allow_none=True)
    retention_years = fields.Integer(
        required=True, validate=validate.Range(min=0, max=200), strict=True
    )
    disposition = choice_field(values(Disposition), required=True)


class FilePlanNodePatchSchema(ma.Schema):
    title = text_field(TITLE_MAX)
    retention_years = fields.Integer(validate=validate.Range(min=0, max=200), strict=True)
    disposition = choice_field(values(Disposition))


class FilePlanNodeSchema(ma.Schema):
    code = fields.String()
    title = fields.String()
    parent = fields.Function(lambda n: n.parent.code if n.parent else None)
    retention_years = fields.Integer()
    disposition = fields.String()
    created_at = UtcDateTime()


class FilePlanTreeNodeSchema(FilePlanNodeSchema):
    children = fields.List(fields.Nested(lambda: FilePlanTreeNodeSchema()))


class FilePlanTreeSchema(ma.Schema):
    items = fields.List(fields.Nested(FilePlanTreeNodeSchema))
    next = fields.String(allow_none=True)


class CaseFileCreateSchema(ma.Schema):
    file_plan = code_field(required=True)
    department = code_field(required=True)
    title = text_field(TITLE_MAX, required=True)
    confidential = StrictBoolean(load_default=False)


class CaseFilePatchSchema(ma.Schema):
    title = text_field(TITLE_MAX)
    confidential = StrictBoolean()

    @ma.validates_schema
    def _not_empty(self, data: dict[str, Any], **kwargs: object) -> None:
        if not data:
            raise ma.ValidationError("Change at least one of: title, confidential.")


class CaseFileQuery(ListQuery):
    department = code_field()
    status = choice_field(values(CaseFileStatus))
    file_plan = code_field()
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Part of the Aktenzeichen or title (case-insensitive)"},
    )
    sort = choice_field(
        ["created", "-created", "reference", "-reference", "title", "-title"],
        load_default="-created",
    )


class CaseFileSchema(ma.Schema):
    id = fields.UUID()
    reference = fields.String()
    title = fields.String()
    department = fields.Function(lambda c: c.department.code)
    file_plan = fields.Function(lambda c: c.file_plan_node.code)
    status = fields.String()
    confidential = fields.Boolean()
    created_at = UtcDateTime()
    created_by = _username_of("created_by")
    updated_at = UtcDateTime()
    closed_at = UtcDateTime(allow_none=True)
    closed_by = _username_of("closed_by")
    retain_until = fields.Date(allow_none=True)
    retention_years = fields.Function(lambda c: c.file_plan_node.retention_years)
    disposition = fields.Function(lambda c: c.file_plan_node.disposition)


class ProcessCreateSchema(ma.Schema):
    title = text_field(TITLE_MAX, required=True)


class ProcessSchema(ma.Schema):
    id = fields.UUID()
    case_file = fields.UUID(attribute="case_file_id")
    title = fields.String()
    created_at = UtcDateTime()
    created_by = _username_of("created_by")


class GrantCreateSchema(ma.Schema):
    department = code_field()
    principal = username_field()
    permission = choice_field(values(GrantPermission), required=True)
    expires_at = UtcDateTime(load_default=None, allow_none=True)

    @ma.validates_schema
    def _one_grantee(self, data: dict[str, Any], **kwargs: object) -> None:
        if ("department" in data) == ("principal" in data):
            raise ma.ValidationError("Give exactly one of: department, principal.", "department")


class GrantSchema(ma.Schema):
    id = fields.UUID()
    department = fields.Function(lambda g: g.department.code if g.department else None)
    principal = _username_of("principal")
    permission = fields.String()
    expires_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()
