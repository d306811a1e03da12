"""Sealing the audit trail, and signed checkpoints of it with their object-storage copies.

Writers only insert events (seq NULL) in their own transactions, so app nodes
never contend. One sealer at a time (a PostgreSQL advisory lock; SQLite
serialises writers anyway) numbers committed events gap-free in id order,
hashes them into the chain and the Merkle tree, and stores the tree's
perfect-subtree hashes for proofs. A checkpoint signs the tree's root; its copy
in object storage (under Object Lock where configured) is what verification
holds the database's checkpoints against.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import uuid
from typing import Any, NamedTuple, cast

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from eakte.db import read_only
from eakte.errors import IntegrityFailureError
from eakte.evidence import merkle
from eakte.evidence.canonical import (
    ZERO_HASH,
    canonical_json,
    canonical_time,
    chain_hash,
    event_document,
)
from eakte.models import AuditCheckpoint, AuditEvent, AuditNode
from eakte.services import object_lock
from eakte.services.context import Ports

log = logging.getLogger(__name__)

SEAL_LOCK = 0x65616B7465  # "eakte": the PostgreSQL advisory lock of the sealer
SEAL_BATCH = 5000
CHECKPOINT_PREFIX = "audit"  # the object-storage prefix of the checkpoint copies
CHECKPOINT_RETENTION_YEARS = 30

# The columns of an event that event_fields reads.
EVENT_COLUMNS = (
    AuditEvent.id,
    AuditEvent.seq,
    AuditEvent.occurred_at,
    AuditEvent.actor,
    AuditEvent.action,
    AuditEvent.object_type,
    AuditEvent.object_id,
    AuditEvent.department,
    AuditEvent.outcome,
    AuditEvent.request_id,
    AuditEvent.client_address_hash,
    AuditEvent.details,
)


def event_fields(row: Any) -> dict[str, Any]:
    """The sealed fields of an event row, as they enter the canonical bytes."""
    return {
        "seq": row.seq,
        "occurred_at": canonical_time(row.occurred_at),
        "actor": row.actor,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "department": row.department,
        "outcome": row.outcome,
        "request_id": row.request_id,
        "client_address_hash": row.client_address_hash,
        "details": row.details,
    }


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEAL_LOCK})


def node_reader(session: Session) -> merkle.Node:
    """The stored perfect-subtree hashes, read on demand (and cached for the session)."""
    cache: dict[tuple[int, int], bytes] = {}

    def node(level: int, index: int) -> bytes:
        if (level, index) not in cache:
            value = session.scalar(
                select(AuditNode.hash).where(AuditNode.level == level, AuditNode.index == index)
            )
            if value is None:
                raise LookupError(f"no stored tree node ({level}, {index})")
            cache[(level, index)] = value
        return cache[(level, index)]

    return node


def sealed_size(session: Session) -> tuple[int, bytes]:
    """How many events are sealed, and the chain hash of the last one."""
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.chain_hash)
        .where(AuditEvent.seq.is_not(None))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if last is None:
        return 0, ZERO_HASH
    # Sealing sets both together; the query asks for sealed events only.
    return cast(int, last.seq) + 1, cast(bytes, last.chain_hash)


def seal_pending(ports: Ports, *, limit: int = SEAL_BATCH) -> int:
    """Number, chain and tree every committed unsealed event (up to `limit`); return the count."""
    with ports.session_factory() as session, session.begin():
        _lock(session)
        size, previous = sealed_size(session)
        rows = session.execute(
            select(*EVENT_COLUMNS)
            .where(AuditEvent.seq.is_(None))
            .order_by(AuditEvent.id)
            .limit(limit)
        ).all()
        if not rows:
            return 0
        if session.get(AuditNode, (0, size)) is not None:
            # The tree is longer than the numbered events: sealed events were deleted.
            raise IntegrityFailureError(
                f"the audit trail was cut: sealed events from seq {size} on are missing"
            )
        compact = merkle.CompactRange.from_nodes(node_reader(session), size)
        updates: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for row in rows:
            fields = event_fields(row) | {"seq": size}
            leaf = merkle.leaf_hash(canonical_json(event_document(fields)))
            previous = chain_hash(previous, leaf)
            updates.append({"id": row.id, "seq": size, "leaf_hash": leaf, "chain_hash": previous})
            nodes.extend(
                {"level": level, "index": index, "hash": value}
                for level, index, value in compact.append(leaf)
            )
            size += 1
        session.execute(update(AuditEvent), updates)
        session.execute(insert(AuditNode), nodes)
    return len(rows)


def seal_all(ports: Ports) -> int:
    total = 0
    while sealed := seal_pending(ports):
        total += sealed
    return total


class SealingLag(NamedTuple):
    pending: int
    oldest_seconds: float | None


def sealing_lag(ports: Ports) -> SealingLag:
    """How many committed events wait for the sealer, and the oldest one's age."""
    with read_only(ports.session_factory()) as session:
        pending, oldest = session.execute(
            select(func.count(AuditEvent.id), func.min(AuditEvent.occurred_at)).where(
                AuditEvent.seq.is_(None)
            )
        ).one()
    age = None if oldest is None else max((ports.clock() - oldest).total_seconds(), 0.0)
    return SealingLag(int(pending), age)


def seal_for_reading(ports: Ports) -> None:
    """Seal before an auditor reads; a damaged trail must still be readable and verifiable."""
    try:
        seal_all(ports)
    except IntegrityFailureError as error:
        log.error("sealing stopped: %s", error.detail)


def issue_checkpoint(ports: Ports, *, force: bool = False) -> AuditCheckpoint:
    """Sign the current tree (also written to object storage); reuse the last one if unchanged."""
    seal_all(ports)
    with ports.session_factory() as session, session.begin():
        _lock(session)
        size, chained = sealed_size(session)
        latest = newest_checkpoint(session)
        if latest is not None and latest.tree_size == size and not force:
            return latest
        root = merkle.root_hash(node_reader(session), size)
        now = ports.clock()
        signer = ports.signer
        body = canonical_json(
            {
                "log": "eakte-audit",
                "tree_size": size,
                "root_hash": root.hex(),
                "chain_hash": chained.hex(),
                "timestamp": canonical_time(now),
                "key_id": signer.key_id,
            }
        ).decode()
        object_key = f"{CHECKPOINT_PREFIX}/{uuid.uuid4()}"
        checkpoint = AuditCheckpoint(
            tree_size=size,
            root_hash=root.hex(),
            chain_hash=chained.hex(),
            issued_at=now,
            body=body,
            signature=base64.b64encode(signer.sign(body.encode())).decode(),
            key_id=signer.key_id,
            object_key=object_key,
        )
        copy = json.dumps(checkpoint_document(checkpoint)).encode()
        ports.blob_store.put(
            object_key,
            [copy],
            length=len(copy),
            retain_until=object_lock.lock_for_checkpoint(
                ports, CHECKPOINT_RETENTION_YEARS, now.date()
            ),
        )
        session.add(checkpoint)
    return checkpoint


def checkpoint_if_due(ports: Ports) -> AuditCheckpoint | None:
    """Every N events or T seconds (settings), whichever comes first, if anything new."""
    seal_all(ports)
    settings = ports.settings
    with ports.session_factory() as session:
        size, _ = sealed_size(session)
        latest = newest_checkpoint(session)
    if latest is not None and latest.tree_size >= size:
        return None
    due = (
        latest is None
        or size - latest.tree_size >= settings.audit_checkpoint_events
        or ports.clock() - latest.issued_at
        >= dt.timedelta(seconds=settings.audit_checkpoint_seconds)
    )
    return issue_checkpoint(ports) if due else None


def newest_checkpoint(session: Session) -> AuditCheckpoint | None:
    return session.scalar(
        select(AuditCheckpoint)
        .order_by(AuditCheckpoint.tree_size.desc(), AuditCheckpoint.id.desc())
        .limit(1)
    )


def checkpoint_document(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    """A checkpoint as its object-storage copy and the auditor's files hold it."""
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "chain_hash": checkpoint.chain_hash,
        "issued_at": canonical_time(checkpoint.issued_at),
        "key_id": checkpoint.key_id,
        "body": checkpoint.body,
        "signature": checkpoint.signature,
    }
