"""The audit event table every service action appends to.

`seq` is the dense position in the sealed log; sealing (hash chain, Merkle
checkpoints) assigns it after commit, so concurrent writers never fight over it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from eakte.db import Base, BigId, UTCDateTime
from eakte.models._columns import enum_column, one_of, utcnow
from eakte.models.vocabulary import Outcome


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint(one_of("outcome", Outcome), name="outcome"),
        Index("ix_audit_event_occurred_at", "occurred_at"),
        Index("ix_audit_event_actor", "actor"),
        Index("ix_audit_event_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Usernames, not foreign keys: the log must outlive renamed or removed principals.
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = enum_column(Outcome)
    request_id: Mapped[str | None] = mapped_column(String(128))
    client_address: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict | None] = mapped_column(JSON)
