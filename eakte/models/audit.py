"""The audit event table every service action appends to.

`seq` is the dense position in the sealed log; sealing (hash chain, Merkle
checkpoints) assigns it after commit, so concurrent writers never fight over it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
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
        # The sealer's queue: small however long the log grows.
        Index(
            "ix_audit_event_unsealed",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
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
    # The plain address may be erased after some days (privacy); the sealed
    # record holds only its keyed hash, so erasing it breaks no hash.
    client_address: Mapped[str | None] = mapped_column(String(64))
    client_address_hash: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    leaf_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    chain_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))


class AuditNode(Base):
    """Hash of the perfect Merkle subtree of 2**level events starting at seq index * 2**level."""

    __tablename__ = "audit_node"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditCheckpoint(Base):
    """A signed statement of the log's size, Merkle root and chain hash at one moment."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    body: Mapped[str] = mapped_column(Text)  # the exact signed bytes (UTF-8 JSON)
    signature: Mapped[str] = mapped_column(Text)  # base64 DER ECDSA signature
    key_id: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str | None] = mapped_column(String(64))  # copy in object storage
