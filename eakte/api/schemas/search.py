"""Search query parameters and hits."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from eakte.api.schemas.common import ListQuery, code_field


class SearchQuerySchema(ListQuery):
    # Empty and over-long texts are refused by the service with a 400 that says why.
    q = fields.String(
        load_default="",
        metadata={
            "description": 'Words (all must match), "exact phrases", a OR b, -excluded. '
            "German word forms match each other (Genehmigung finds Genehmigungen)."
        },
    )
    department = code_field()
    case_file = fields.UUID()
    file_plan = code_field()
    media_type = fields.String(validate=validate.Length(min=3, max=255))
    since = fields.Date(metadata={"description": "Versions stored on or after this day"})
    until = fields.Date(metadata={"description": "Versions stored on or before this day"})

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: object) -> None:
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise ma.ValidationError("must not be after `until`", field_name="since")


class SearchHitSchema(ma.Schema):
    document = fields.UUID(attribute="document_id")
    case_file = fields.UUID(attribute="case_file_id")
    reference = fields.String()
    title = fields.String()
    filename = fields.String()
    media_type = fields.String()
    score = fields.Float()
    highlights = fields.List(
        fields.String(),
        metadata={"description": "HTML-escaped snippets; matched words in <mark>…</mark>"},
    )


class SearchPageSchema(ma.Schema):
    items = fields.List(fields.Nested(SearchHitSchema), required=True)
    next = fields.String(allow_none=True, required=True)
    total = fields.Integer(required=True)
