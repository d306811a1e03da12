"""The sealed audit trail: sealing, signed checkpoints, proofs, verification, auditor queries.

Writers only insert events (seq NULL) in their own transactions, so app nodes
never contend. One sealer at a time (a PostgreSQL advisory lock; SQLite
serialises writers anyway) numbers committed events gap-free in id order,
hashes them into the chain and the Merkle tree, and stores the tree's
perfect-subtree hashes for proofs.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import datetime as dt
import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from sqlalchemy import Text, cast, func, insert, select, text, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from eakte.db import read_only
from eakte.errors import IntegrityFailureError, InvalidInputError, NotFoundError
from eakte.evidence import merkle
from eakte.evidence.canonical import (
    EVENT_FIELDS,
    ZERO_HASH,
    canonical_event,
    canonical_json,
    chain_hash,
    event_document,
)
from eakte.evidence.verify import SealedEvent, SignedCheckpoint, Verification, verify_log
from eakte.models import AuditCheckpoint, AuditEvent, AuditNode
from eakte.models.vocabulary import GlobalRole, Outcome
from eakte.services import access, audit
from eakte.services.context import Context, Ports
from eakte.services.pagination import Page, paginate

log = logging.getLogger(__name__)

SEAL_LOCK = 0x65616B7465  # "eakte": the PostgreSQL advisory lock of the sealer
SEAL_BATCH = 5000
CHECKPOINT_PREFIX = "audit"
CHECKPOINT_RETENTION_YEARS = 30

_EVENT_COLUMNS = (
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
        "occurred_at": _timestamp(row.occurred_at),
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


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEAL_LOCK})


def node_reader(session: Session) -> merkle.Node:
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


def _sealed_size(session: Session) -> tuple[int, bytes]:
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.chain_hash)
        .where(AuditEvent.seq.is_not(None))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    return (last.seq + 1, last.chain_hash) if last else (0, ZERO_HASH)


def seal_pending(ports: Ports, *, limit: int = SEAL_BATCH) -> int:
    """Number, chain and tree every committed unsealed event (up to `limit`); return the count."""
    with ports.session_factory() as session, session.begin():
        _lock(session)
        size, previous = _sealed_size(session)
        rows = session.execute(
            select(*_EVENT_COLUMNS)
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
        updates, nodes = [], []
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


def _seal_for_reading(ports: Ports) -> None:
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
        size, chained = _sealed_size(session)
        latest = _latest(session)
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
                "timestamp": _timestamp(now),
                "key_id": signer.key_id,
            }
        ).decode()
        checkpoint = AuditCheckpoint(
            tree_size=size,
            root_hash=root.hex(),
            chain_hash=chained.hex(),
            issued_at=now,
            body=body,
            signature=base64.b64encode(signer.sign(body.encode())).decode(),
            key_id=signer.key_id,
            object_key=f"{CHECKPOINT_PREFIX}/{uuid.uuid4()}",
        )
        copy = json.dumps(checkpoint_document(checkpoint)).encode()
        ports.blob_store.put(
            checkpoint.object_key,
            [copy],
            length=len(copy),
            retain_until=now.date().replace(year=now.year + CHECKPOINT_RETENTION_YEARS, day=1)
            if ports.settings.s3_object_lock != "off"
            else None,
        )
        session.add(checkpoint)
    return checkpoint


def checkpoint_if_due(ports: Ports) -> AuditCheckpoint | None:
    """Every N events or T seconds (settings), whichever comes first, if anything new."""
    seal_all(ports)
    settings = ports.settings
    with ports.session_factory() as session:
        size, _ = _sealed_size(session)
        latest = _latest(session)
    if latest is not None and latest.tree_size >= size:
        return None
    due = (
        latest is None
        or size - latest.tree_size >= settings.audit_checkpoint_events
        or ports.clock() - latest.issued_at
        >= dt.timedelta(seconds=settings.audit_checkpoint_seconds)
    )
    return issue_checkpoint(ports) if due else None


def pseudonymise_addresses(ports: Ports) -> int:
    """Erase plain client addresses older than the configured days (their keyed hash stays)."""
    days = ports.settings.audit_address_days
    cutoff = ports.clock() - dt.timedelta(days=days)
    with ports.session_factory() as session, session.begin():
        result = session.execute(
            update(AuditEvent)
            .where(AuditEvent.occurred_at < cutoff, AuditEvent.client_address.is_not(None))
            .values(client_address=None)
        )
    return result.rowcount or 0


def _latest(session: Session) -> AuditCheckpoint | None:
    return session.scalar(
        select(AuditCheckpoint)
        .order_by(AuditCheckpoint.tree_size.desc(), AuditCheckpoint.id.desc())
        .limit(1)
    )


def checkpoint_document(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "chain_hash": checkpoint.chain_hash,
        "issued_at": _timestamp(checkpoint.issued_at),
        "key_id": checkpoint.key_id,
        "body": checkpoint.body,
        "signature": checkpoint.signature,
    }


# --- the auditor's side -------------------------------------------------------------


def _require_auditor(ctx: Context, action: str) -> None:
    access.require_global_role(ctx, GlobalRole.AUDITOR, action)


def list_events(
    ctx: Context, *, filters: dict[str, Any], limit: int, cursor: str | None
) -> Page[AuditEvent]:
    action = "audit.query"
    _require_auditor(ctx, action)
    ctx.session.rollback()
    _seal_for_reading(ctx.ports)
    stmt = select(AuditEvent).where(AuditEvent.seq.is_not(None))
    for name in ("actor", "action", "department", "outcome", "object_type"):
        if filters.get(name):
            stmt = stmt.where(getattr(AuditEvent, name) == filters[name])
    if filters.get("object"):
        stmt = stmt.where(AuditEvent.object_id == filters["object"])
    if filters.get("since"):
        stmt = stmt.where(AuditEvent.occurred_at >= filters["since"])
    if filters.get("until"):
        stmt = stmt.where(AuditEvent.occurred_at < filters["until"])
    page = paginate(ctx.session, stmt, [AuditEvent.seq], limit=limit, cursor=cursor)
    audit.record(ctx, action, details={"filters": _printable(filters), "count": len(page.items)})
    ctx.commit()
    return page


def export_events(ctx: Context, *, fmt: str) -> Iterator[str]:
    """Audit the export, then stream every sealed event (JSON Lines or CSV) from its own session."""
    _require_auditor(ctx, "audit.export")
    audit.record(ctx, "audit.export", details={"format": fmt})
    ctx.commit()
    _seal_for_reading(ctx.ports)
    ports = ctx.ports
    return _jsonl(ports) if fmt == "jsonl" else _csv(ports)


def _sealed_rows(ports: Ports) -> Iterator[Any]:
    with ports.session_factory() as session:
        read_only(session)
        stmt = (
            select(
                *_EVENT_COLUMNS,
                AuditEvent.client_address,
                AuditEvent.leaf_hash,
                AuditEvent.chain_hash,
            )
            .where(AuditEvent.seq.is_not(None))
            .order_by(AuditEvent.seq)
            .execution_options(yield_per=2000)
        )
        with session.execute(stmt) as result:
            yield from result


def export_line(row: Any) -> dict[str, Any]:
    fields = event_fields(row)
    canonical = canonical_json(event_document(fields))
    return {
        **fields,
        "client_address": row.client_address,
        "leaf_hash": row.leaf_hash.hex(),
        "chain_hash": row.chain_hash.hex(),
        "canonical": base64.b64encode(canonical).decode(),
    }


def _jsonl(ports: Ports) -> Iterator[str]:
    for row in _sealed_rows(ports):
        yield json.dumps(export_line(row), ensure_ascii=False) + "\n"


# The sealed fields, with the plain client address beside its hash (until it is erased),
# then what an offline verifier needs.
CSV_COLUMNS = [
    *(
        column
        for name in EVENT_FIELDS
        for column in (("client_address", name) if name == "client_address_hash" else (name,))
    ),
    "leaf_hash",
    "chain_hash",
    "canonical",
]


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV
# injection); a username like =HYPERLINK(...) reaches the log through a failed sign-in.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """The CSV cell for `value`: text that could start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(ports: Ports) -> Iterator[str]:
    """For reading in a spreadsheet; JSON Lines (and `canonical` here) stay exact."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in _sealed_rows(ports):
        line = export_line(row)
        line["details"] = json.dumps(line["details"], ensure_ascii=False) if line["details"] else ""
        writer.writerow({name: spreadsheet_safe(value) for name, value in line.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def list_checkpoints(ctx: Context) -> list[AuditCheckpoint]:
    _require_auditor(ctx, "audit.checkpoints")
    rows = list(ctx.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)))
    audit.record(ctx, "audit.checkpoints", details={"count": len(rows)})
    ctx.commit()
    return rows


def latest_checkpoint(ctx: Context) -> AuditCheckpoint:
    _require_auditor(ctx, "audit.checkpoints")
    checkpoint = _latest(ctx.session)
    audit.record(ctx, "audit.checkpoints", details={"latest": True})
    ctx.commit()
    if checkpoint is None:
        raise NotFoundError("no checkpoint has been issued yet")
    return checkpoint


def public_key(ctx: Context) -> str:
    _require_auditor(ctx, "audit.public_key")
    audit.record(ctx, "audit.public_key")
    ctx.commit()
    return ctx.ports.signer.public_key_pem()


def checkpoint_now(ctx: Context) -> AuditCheckpoint:
    """On demand (`eakte audit checkpoint`)."""
    _require_auditor(ctx, "audit.checkpoint")
    audit.record(ctx, "audit.checkpoint")
    ctx.commit()
    return issue_checkpoint(ctx.ports)


def _tree_size(ctx: Context, requested: int | None) -> int:
    sealed, _ = _sealed_size(ctx.session)
    if requested is None:
        latest = _latest(ctx.session)
        return latest.tree_size if latest is not None else sealed
    if not 1 <= requested <= sealed:
        raise InvalidInputError(
            f"tree_size must be between 1 and {sealed}", errors={"tree_size": ["out of range"]}
        )
    return requested


def inclusion_proof(ctx: Context, seq: int, tree_size: int | None) -> dict[str, Any]:
    _require_auditor(ctx, "audit.proof")
    ctx.session.rollback()
    _seal_for_reading(ctx.ports)
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
    _require_auditor(ctx, "audit.consistency")
    ctx.session.rollback()
    _seal_for_reading(ctx.ports)
    sealed, _ = _sealed_size(ctx.session)
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
    _require_auditor(ctx, "audit.verify")
    ctx.session.rollback()
    _seal_for_reading(ctx.ports)
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


VERIFY_BATCH = 10_000

_audit_event = AuditEvent.__table__  # its columns give Core rows: no ORM loading per row
# The sealed events as the driver returns them, without SQLAlchemy's processing of the
# timestamp and the JSON details: that processing, ORM rows and the generic canonical
# JSON were most of the time verification took (see _verified_event).
_RAW_COLUMNS = {
    # Loaded as stored, converted in _verified_event without per-row type processing.
    "occurred_at": type_coerce(_audit_event.c.occurred_at, NullType()),
    "details": cast(_audit_event.c.details, Text),  # the stored JSON text, on every database
}
_VERIFY_ROWS = (
    select(
        *(_RAW_COLUMNS.get(name, _audit_event.c[name]) for name in EVENT_FIELDS),
        _audit_event.c.leaf_hash,
        _audit_event.c.chain_hash,
    )
    .where(_audit_event.c.seq.is_not(None))
    .order_by(_audit_event.c.seq)
    .execution_options(yield_per=VERIFY_BATCH)
)
# How SQLAlchemy stores a UTCDateTime on SQLite (naive UTC, always with microseconds).
_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", re.ASCII)

_TimeLoader = Callable[[Any], dt.datetime]


def _time_loader(dialect: Any) -> _TimeLoader:
    """What SQLAlchemy does to a raw `occurred_at` when it loads the column."""
    column_type = _audit_event.c.occurred_at.type
    return column_type.dialect_impl(dialect).result_processor(dialect, None)


def _verified_event(row: Any, load_time: _TimeLoader) -> SealedEvent:
    """A row of _VERIFY_ROWS as an event to verify: the bytes are those of
    `canonical_json(event_document(event_fields(row)))` for the row as `_sealed_rows`
    loads it (the same bytes, or the same error), at a fraction of the cost."""
    # The row is the EVENT_FIELDS in order, then the stored leaf and chain hashes.
    values, (leaf_hash, chained) = list(row[:-2]), row[-2:]
    occurred_at, details = values[1], values[-1]
    if type(occurred_at) is str and _SQLITE_TIME.fullmatch(occurred_at):
        dt.datetime.fromisoformat(occurred_at)  # a real date and time, or loading's error
        values[1] = f"{occurred_at[:10]}T{occurred_at[11:]}Z"
    else:
        values[1] = _timestamp(load_time(occurred_at))
    values[-1] = None if details is None or details == "null" else json.loads(details)
    return SealedEvent(values[0], canonical_event(values), leaf_hash, chained)


def _events_to_verify(ports: Ports) -> Iterator[SealedEvent]:
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
    stored: dict[str, dict] = {}
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


def _printable(filters: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (_timestamp(v) if isinstance(v, dt.datetime) else v)
        for k, v in filters.items()
        if v is not None
    }
