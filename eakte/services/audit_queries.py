"""The auditor's reads of the sealed trail: events, the export, checkpoints, the public key.

Auditors only, and every request is itself an audit event. The export streams
JSON Lines (exact: canonical bytes and hashes for the offline verifier) or CSV
(for a spreadsheet).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from eakte.db import read_only
from eakte.errors import NotFoundError
from eakte.evidence.canonical import EVENT_FIELDS, canonical_json, canonical_time, event_document
from eakte.models import AuditCheckpoint, AuditEvent
from eakte.models.vocabulary import GlobalRole
from eakte.services import access, audit, audit_names
from eakte.services.audit_sealing import (
    EVENT_COLUMNS,
    event_fields,
    issue_checkpoint,
    newest_checkpoint,
    seal_for_reading,
)
from eakte.services.context import Context, Ports
from eakte.services.pagination import Page, paginate


def require_auditor(ctx: Context, action: str) -> None:
    access.require_global_role(ctx, GlobalRole.AUDITOR, action)


def list_events(
    ctx: Context,
    *,
    filters: dict[str, Any],
    limit: int,
    cursor: str | None,
    newest_first: bool = False,
) -> Page[AuditEvent]:
    """Sealed events matching `filters`; the API pages oldest first, the Protokoll newest first."""
    action = "audit.query"
    require_auditor(ctx, action)
    ctx.session.rollback()
    seal_for_reading(ctx.ports)
    stmt = select(AuditEvent).where(*conditions(filters))
    page = paginate(
        ctx.session, stmt, [AuditEvent.seq], limit=limit, cursor=cursor, descending=newest_first
    )
    audit.record(ctx, action, details={"filters": _printable(filters), "count": len(page.items)})
    ctx.commit()
    return page


def conditions(filters: dict[str, Any]) -> list[Any]:
    """The WHERE clauses for `filters` (sealed events only)."""
    where: list[Any] = [AuditEvent.seq.is_not(None)]
    for name in ("actor", "action", "department", "outcome", "object_type"):
        if filters.get(name):
            where.append(getattr(AuditEvent, name) == filters[name])
    if filters.get("actors"):
        where.append(AuditEvent.actor.in_(filters["actors"]))
    if filters.get("object"):
        where.append(AuditEvent.object_id == filters["object"])
    if filters.get("about"):
        where.append(audit_names.matches(filters["about"]))
    if filters.get("since"):
        where.append(AuditEvent.occurred_at >= filters["since"])
    if filters.get("until"):
        where.append(AuditEvent.occurred_at < filters["until"])
    return where


def _printable(filters: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return canonical_time(value)
        if isinstance(value, audit_names.About):
            return value.printable()
        return value

    return {k: plain(v) for k, v in filters.items() if v is not None}


def export_events(
    ctx: Context, *, fmt: str, filters: dict[str, Any] | None = None
) -> Iterator[str]:
    """Audit the export, then stream the sealed events (JSON Lines or CSV) from their own session.

    In `seq` order, as the offline verifier reads them; `filters` as for `list_events`.
    """
    filters = filters or {}
    require_auditor(ctx, "audit.export")
    details: dict[str, Any] = {"format": fmt}
    if filters:
        details["filters"] = _printable(filters)
    audit.record(ctx, "audit.export", details=details)
    ctx.commit()
    seal_for_reading(ctx.ports)
    ports = ctx.ports
    where = conditions(filters)
    return _jsonl(ports, where) if fmt == "jsonl" else _csv(ports, where)


def export_view(
    ctx: Context, *, filters: dict[str, Any], fmt: str
) -> Iterator[tuple[list[AuditEvent], audit_names.Names]]:
    """Audit the export, then stream the Protokoll's view, newest first, with the names to show.

    Batches of events from their own session, each with its names resolved in one go.
    """
    require_auditor(ctx, "audit.export")
    audit.record(ctx, "audit.export", details={"format": fmt, "filters": _printable(filters)})
    ctx.commit()
    seal_for_reading(ctx.ports)
    return _view(ctx.ports, conditions(filters))


def _view(ports: Ports, where: list[Any]) -> Iterator[tuple[list[AuditEvent], audit_names.Names]]:
    with ports.session_factory() as session:
        read_only(session)
        stmt = select(AuditEvent).where(*where).order_by(AuditEvent.seq.desc())
        result = session.scalars(stmt.execution_options(yield_per=500))
        for batch in result.partitions():
            events = list(batch)
            yield events, audit_names.resolve_names(session, events)


def _sealed_rows(ports: Ports, where: list[Any]) -> Iterator[Any]:
    with ports.session_factory() as session:
        read_only(session)
        stmt = (
            select(
                *EVENT_COLUMNS,
                AuditEvent.client_address,
                AuditEvent.leaf_hash,
                AuditEvent.chain_hash,
            )
            .where(*where)
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


def _jsonl(ports: Ports, where: list[Any]) -> Iterator[str]:
    for row in _sealed_rows(ports, where):
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


def _csv(ports: Ports, where: list[Any]) -> Iterator[str]:
    """For reading in a spreadsheet; JSON Lines (and `canonical` here) stay exact."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in _sealed_rows(ports, where):
        line = export_line(row)
        line["details"] = json.dumps(line["details"], ensure_ascii=False) if line["details"] else ""
        writer.writerow({name: spreadsheet_safe(value) for name, value in line.items()})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def list_checkpoints(ctx: Context) -> list[AuditCheckpoint]:
    require_auditor(ctx, "audit.checkpoints")
    rows = list(ctx.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size)))
    audit.record(ctx, "audit.checkpoints", details={"count": len(rows)})
    ctx.commit()
    return rows


def latest_checkpoint(ctx: Context) -> AuditCheckpoint:
    require_auditor(ctx, "audit.checkpoints")
    checkpoint = newest_checkpoint(ctx.session)
    audit.record(ctx, "audit.checkpoints", details={"latest": True})
    ctx.commit()
    if checkpoint is None:
        raise NotFoundError("no checkpoint has been issued yet")
    return checkpoint


def public_key(ctx: Context) -> str:
    require_auditor(ctx, "audit.public_key")
    audit.record(ctx, "audit.public_key")
    ctx.commit()
    return ctx.ports.signer.public_key_pem()


def checkpoint_now(ctx: Context) -> AuditCheckpoint:
    """On demand (`eakte audit checkpoint`)."""
    require_auditor(ctx, "audit.checkpoint")
    audit.record(ctx, "audit.checkpoint")
    ctx.commit()
    return issue_checkpoint(ctx.ports)
