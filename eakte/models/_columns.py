"""Column helpers shared by the entity modules."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eakte.db import UTCDateTime


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def created_at() -> Mapped[dt.datetime]:
    return mapped_column(UTCDateTime(), default=utcnow)


def one_of(column: str, enum_type: type[enum.StrEnum]) -> str:
    """SQL for a CHECK constraint that keeps `column` inside the vocabulary."""
    return f"{column} IN ({', '.join(repr(m.value) for m in enum_type)})"


def enum_column(enum_type: type[enum.StrEnum], **kwargs: object) -> Mapped[str]:
    """A plain string column; the CHECK constraint keeps it within the vocabulary."""
    width = max(len(member.value) for member in enum_type)
    return mapped_column(String(max(width, 16)), **kwargs)  # type: ignore[arg-type]
