"""Fields and envelopes shared by every resource."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from eakte.models.vocabulary import CODE_PATTERN, USERNAME_PATTERN
from eakte.services.pagination import DEFAULT_LIMIT, MAX_LIMIT


class UtcDateTime(fields.AwareDateTime):
    """RFC 3339 with an explicit offset on input, `...Z` (UTC) on output."""

    def _serialize(self, value: dt.datetime | None, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> dt.datetime:
        return super()._deserialize(value, attr, data, **kwargs).astimezone(dt.UTC)


class StrictBoolean(fields.Boolean):
    """Only JSON true/false: "yes", 1 or "false" are type errors, not guesses."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _printable(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("Must not be blank.")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ma.ValidationError("Must not contain control characters.")


def text_field(max_length: int, **kwargs: Any) -> fields.String:
    """Human text (titles, names): 1..max_length characters, no control characters."""
    return fields.String(validate=[validate.Length(min=1, max=max_length), _printable], **kwargs)


def code_field(**kwargs: Any) -> fields.String:
    """A department or file plan code such as `32` or `32.10`."""
    return fields.String(
        validate=[
            validate.Length(min=1, max=32),
            validate.Regexp(
                f"^{CODE_PATTERN}$", error="Use digits/letters separated by dots, e.g. 32.10."
            ),
        ],
        **kwargs,
    )


def username_field(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.Regexp(
            f"^{USERNAME_PATTERN}$",
            flags=re.ASCII,
            error="2-64 characters: lower-case letters, digits, '.', '_' or '-'.",
        ),
        **kwargs,
    )


def choice_field(choices: list[str], **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(choices), **kwargs)


class ListQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = fields.String(load_default=None, validate=validate.Length(max=1000))


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The list envelope `{"items": [...], "next": cursor|null}` around one item schema."""
    return type(
        f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
        (ma.Schema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next": fields.String(allow_none=True, required=True),
        },
    )


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (documentation only; `api.problems` builds them)."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    request_id = fields.String()
    errors = fields.List(fields.Dict())
