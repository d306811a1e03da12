"""Keyset pagination with opaque cursors: stable while rows are added."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from eakte.errors import InvalidInputError

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: str | None


def paginate(
    session: Session,
    stmt: Select[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    *,
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> Page[Any]:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"limit must be between 1 and {MAX_LIMIT}")
    key_tuple = tuple_(*keys)
    if cursor is not None:
        after = _decode(cursor, keys)
        stmt = stmt.where(key_tuple < tuple_(*after) if descending else key_tuple > tuple_(*after))
    order = [k.desc() for k in keys] if descending else list(keys)
    rows = list(session.scalars(stmt.order_by(*order).limit(limit + 1)).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode([getattr(rows[-1], k.key) for k in keys]) if more else None
    return Page(rows, next_cursor)


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.date) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, keys: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("wrong shape")
        return [_parse(value, key) for value, key in zip(values, keys, strict=True)]
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInputError(
            "cursor is not valid; use the `next` value of a list answer"
        ) from None


def _parse(value: str, key: InstrumentedAttribute[Any]) -> Any:
    python_type = key.type.python_type
    if python_type is dt.datetime:
        parsed = dt.datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("naive time")
        return parsed
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    if python_type is uuid.UUID:
        return uuid.UUID(value)
    return python_type(value)
