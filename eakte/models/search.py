"""The indexing outbox and the search index's shared state.

A use case that changes what the index should show adds an outbox row in its
own transaction, so the change and the promise to index it commit together;
the worker drains the rows (claiming them with a lease) and deletes each once
the index has it. Nothing is lost while the search engine is down.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from eakte.db import Base, BigId, UTCDateTime
from eakte.models._columns import enum_column, one_of, utcnow
from eakte.models.vocabulary import OutboxKind

ERROR_MAX = 200


class SearchOutbox(Base):
    __tablename__ = "search_outbox"
    __table_args__ = (
        CheckConstraint(one_of("kind", OutboxKind), name="kind"),
        Index("ix_search_outbox_available_at", "available_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = enum_column(OutboxKind)
    target_id: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The next attempt is due then; a claim pushes it out by the lease, a failure by the backoff.
    available_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_MAX))


class SearchState(Base):
    """One row: indexing is paused until `paused_until` while a reindex rebuilds the index."""

    __tablename__ = "search_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paused_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    paused_by: Mapped[str | None] = mapped_column(String(80))
