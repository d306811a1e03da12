"""Documents, versions and uploads."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from eakte.api.schemas.common import UtcDateTime, text_field
from eakte.models.records import TITLE_MAX


def _username_of(attribute: str) -> fields.Function:
    return fields.Function(lambda obj: getattr(getattr(obj, attribute), "username", None))


class UploadFileSchema(ma.Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class DocumentFormSchema(ma.Schema):
    title = text_field(TITLE_MAX, metadata={"description": "Defaults to the file name"})
    process = fields.UUID(load_default=None)


class DocumentUploadSchema(UploadFileSchema, DocumentFormSchema):
    """The whole multipart body as the OpenAPI document shows it.

    webargs reads `file` from the files and `title`/`process` from the form
    fields (DocumentFormSchema); flask-smorest documents one body per
    operation, so this schema names all three parts.
    """


class VersionSchema(ma.Schema):
    id = fields.UUID()
    number = fields.Integer()
    size = fields.Integer()
    media_type = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    created_at = UtcDateTime()
    created_by = _username_of("created_by")
    destroyed = fields.Function(lambda v: v.wrapped_key is None)
    extraction_status = fields.String()
    extraction_detail = fields.String(allow_none=True)


class DocumentSchema(ma.Schema):
    id = fields.UUID()
    case_file = fields.UUID(attribute="case_file_id")
    process = fields.UUID(attribute="process_id", allow_none=True)
    title = fields.String()
    latest_version = fields.Integer()
    created_at = UtcDateTime()
    created_by = _username_of("created_by")
    # Of the latest version: pending until the worker has indexed it.
    extraction_status = fields.String(attribute="latest.extraction_status")
    extraction_detail = fields.String(attribute="latest.extraction_detail", allow_none=True)
