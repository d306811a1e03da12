"""Proofs and verification of the sealed trail (auditors only, each request audited).

Inclusion and consistency proofs (RFC 6962) read the stored tree nodes.
Verification recomputes every leaf from the stored fields and checks chain and
tree against every signed checkpoint: those in the database and their copies in
object storage, which must agree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Callable, Generator
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, select, type_coerce
from sqlalchemy.types import NullType

from eakte.db import read_only
from eakte.errors import InvalidInputError, NotFoundError
from eakte.evidence import merkle
from eakte.evidence.canonical import EVENT_FIELDS, canonical_event, canonical_time
from eakte.evidence.verify import SealedEvent, SignedCheckpoint, Verification, verify_log
from eakte.models import AuditCheckpoint, AuditEvent
from eakte.models.vocabulary import Outcome
from eakte.services import audit
from eakte.services.audit_queries import require_auditor
from eakte.services.audit_sealing import (
    CHECKPOINT_PREFIX,
    checkpoint_document,
    newest_checkpoint,
    node_reader,
    seal_for_reading,
    sealed_size,
)
from eakte.services.context import Context, Ports


def _tree_size(ctx: Context, requested: int | None) -> int:
    sealed, _ = sealed_size(ctx.session)
    if requested is None:
        latest = newest_checkpoint(ctx.session)
        return latest.tree_size if latest is not None else sealed
    if not 1 <= requested <= sealed:
        raise InvalidInputError(
            f"tree_size must be between 1 and {sealed}", errors={"tree_size": ["out of range"]}
        )
    return requested


def inclusion_proof(ctx: Context, seq: int, tree_size: int | None) -> dict[str, Any]:
    require_auditor(ctx, "audit.proof")
    ctx.session.rollback()
    seal_for_reading(ctx.ports)
    size = _tree_size(ctx, tree_size)
    if not 0 <= seq < size:
        raise NotFoundError(f"event {seq} is not in the tree of size {size}")
    node = node_reader(ctx.session)
    proof = {
        "leaf_index": seq,
        "tree_size": size,
        "leaf_hash": node(0, seq).hex(),
        "audit_path": [h.hex() for h in merkle.inclusion_path(node, seq, size)],
        "root_hash": merkle.root_hash(node, size).hex(),
    }
    audit.record(
        ctx, "audit.proof", object_type="audit_event", object_id=seq, details={"tree_size": size}
    )
    ctx.commit()
    return proof


def consistency_proof(ctx: Context, first: int, second: int) -> dict[str, Any]:
    require_auditor(ctx, "audit.consistency")
    ctx.session.rollback()
    seal_for_reading(ctx.ports)
    sealed, _ = sealed_size(ctx.session)
    if not 1 <= first <= second <= sealed:
        raise InvalidInputError(
            f"need 1 <= first <= second <= {sealed}", errors={"first": ["out of range"]}
        )
    node = node_reader(ctx.session)
    proof = {
        "first": first,
        "second": second,
        "first_root": merkle.root_hash(node, first).hex(),
        "second_root": merkle.root_hash(node, second).hex(),
        "proof": [h.hex() for h in merkle.consistency_proof(node, first, second)],
    }
    audit.record(ctx, "audit.consistency", details={"first": first, "second": second})
    ctx.commit()
    return proof


def verify_trail(ctx: Context) -> Verification:
    """Recompute the whole log from the stored fields and check it against every checkpoint,
    those in the database and their copies in object storage."""
    require_auditor(ctx, "audit.verify")
    ctx.session.rollback()
    seal_for_reading(ctx.ports)
    checkpoints, problem = _all_checkpoints(ctx)
    ctx.session.rollback()  # the events stream from a session of their own
    if problem is not None:
        result = Verification().fail(None, problem)
    else:
        with contextlib.closing(_events_to_verify(ctx.ports)) as events:
            result = verify_log(events, checkpoints, ctx.ports.signer.public_key_pem())
    audit.record(
        ctx,
        "audit.verify",
        outcome=Outcome.ALLOWED if result.ok else Outcome.FAILED,
        details={"ok": result.ok, "events": result.events, "first_bad_seq": result.first_bad_seq},
    )
    ctx.commit()
    return result


# --- reading a million events fast ------------------------------------------------------
#
# The bytes a leaf is recomputed over come from canonical_event (eakte/evidence/canonical.py),
# the same bytes as sealing's canonical_json(event_document(event_fields(row))). What is
# special here is only how rows are loaded: as the driver returns them, without
# SQLAlchemy's processing of the timestamp and the JSON details. That processing, ORM rows
# and the generic canonical JSON were most of the time verification took.

VERIFY_BATCH = 10_000

_audit_event = AuditEvent.__table__  # its columns give Core rows: no ORM loading per row
_RAW_COLUMNS: dict[str, ColumnElement[Any]] = {
    # Loaded as stored, converted in _verified_event without per-row type processing.
    "occurred_at": type_coerce(_audit_event.c.occurred_at, NullType()),
    "details": cast(_audit_event.c.details, Text),  # the stored JSON text, on every database
}
_VERIFY_COLUMNS: list[ColumnElement[Any]] = [
    *(_RAW_COLUMNS.get(name, _audit_event.c[name]) for name in EVENT_FIELDS),
    _audit_event.c.leaf_hash,
    _audit_event.c.chain_hash,
]
_VERIFY_ROWS = (
    select(*_VERIFY_COLUMNS)
    .where(_audit_event.c.seq.is_not(None))
    .order_by(_audit_event.c.seq)
    .execution_options(yield_per=VERIFY_BATCH)
)
# How SQLAlchemy stores a UTCDateTime on SQLite (naive UTC, always with microseconds).
_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", re.ASCII)

TimeLoader = Callable[[Any], Any]  # a stored value -> the aware datetime SQLAlchemy loads


def _time_loader(dialect: Any) -> TimeLoader:
    """What SQLAlchemy does to a raw `occurred_at` when it loads the column."""
    column_type = _audit_event.c.occurred_at.type
    load = column_type.dialect_impl(dialect).result_processor(dialect, None)
    if load is None:  # UTCDateTime converts every value; the type only allows for None
        raise TypeError("occurred_at has no result processor")
    return load


def sealed_time(raw: Any, load_time: TimeLoader) -> str:
    """canonical_time(load_time(raw)): a stored `occurred_at` as the sealed bytes write it.

    SQLite's text is already that form but for the `T` and the `Z`. Taken as it stands,
    once checked to be a real moment, it costs a fifth of loading and formatting it: about
    two seconds less for a million events, a tenth of their verification on SQLite.
    tests/unit/test_canonical.py holds the two ways together.
    """
    if type(raw) is str and _SQLITE_TIME.fullmatch(raw):
        dt.datetime.fromisoformat(raw)  # a real date and time, or loading's error
        return f"{raw[:10]}T{raw[11:]}Z"
    return canonical_time(load_time(raw))


def _verified_event(row: Any, load_time: TimeLoader) -> SealedEvent:
    """A row of _VERIFY_ROWS as an event to verify."""
    # The row is the EVENT_FIELDS in order, then the stored leaf and chain hashes.
    values, (leaf_hash, chained) = list(row[:-2]), row[-2:]
    values[1] = sealed_time(values[1], load_time)
    details = values[-1]
    values[-1] = None if details is None or details == "null" else json.loads(details)
    return SealedEvent(values[0], canonical_event(values), leaf_hash, chained)


def _events_to_verify(ports: Ports) -> Generator[SealedEvent, None, None]:
    """Every sealed event with the bytes its leaf is recomputed over, streamed in seq order."""
    with ports.session_factory() as session:
        read_only(session)
        load_time = _time_loader(session.get_bind().dialect)
        with session.execute(_VERIFY_ROWS) as result:
            for row in result:
                yield _verified_event(row, load_time)


def _all_checkpoints(ctx: Context) -> tuple[list[SignedCheckpoint], str | None]:
    """Database checkpoints, cross-checked with the copies in object storage."""
    rows = list(ctx.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)))
    stored: dict[str, dict[str, Any]] = {}
    for key in ctx.ports.blob_store.list(CHECKPOINT_PREFIX):
        stored[key] = json.loads(b"".join(ctx.ports.blob_store.get(key)))
    known = set()
    for row in rows:
        known.add(row.object_key)
        copy = stored.get(row.object_key or "")
        if copy is None:
            return [], f"checkpoint at tree size {row.tree_size} has no copy in object storage"
        if copy != checkpoint_document(row):
            return (
                [],
                f"checkpoint at tree size {row.tree_size} differs from its copy in object storage",
            )
    checkpoints = [_signed(document) for document in stored.values()]
    missing = [c.tree_size for key, c in zip(stored, checkpoints, strict=True) if key not in known]
    if missing:
        return (
            [],
            f"checkpoint at tree size {min(missing)} is in object storage but not in the database",
        )
    return checkpoints, None


def _signed(document: dict[str, Any]) -> SignedCheckpoint:
    return SignedCheckpoint(
        tree_size=document["tree_size"],
        root_hash=document["root_hash"],
        chain_hash=document["chain_hash"],
        body=document["body"],
        signature=document["signature"],
    )


def signed_checkpoint(checkpoint: AuditCheckpoint) -> SignedCheckpoint:
    return _signed(checkpoint_document(checkpoint))
