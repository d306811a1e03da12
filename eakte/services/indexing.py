"""Keeping the search index in step with the database, through the outbox.

Use cases call `enqueue` inside their own transaction. The worker `drain`s:
it claims a batch (a short transaction; `FOR UPDATE SKIP LOCKED` on
PostgreSQL, so several workers share the queue), takes a PostgreSQL advisory
lock per case file so that no two workers index the same file at once (an
older state could otherwise overwrite a newer one), reads the current state,
extracts text, writes the index and only then deletes the rows. When the
engine is down the rows go back untouched and the worker waits; nothing is
lost. `reindex` rebuilds the whole index beside the live one.

One idea (the outbox and its consumer), a little over 400 lines: the claim, the
per-file lock and the write belong together, or a reader has to hold all three.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, delete, func, select, text, update
from sqlalchemy.orm import Session

from eakte.db import read_only
from eakte.errors import (
    BlobNotFoundError,
    DependencyUnavailableError,
    IntegrityFailureError,
)
from eakte.models import CaseFile, Document, DocumentVersion, Grant, SearchOutbox, SearchState
from eakte.models.search import ERROR_MAX
from eakte.models.vocabulary import ExtractionStatus, GlobalRole, OutboxKind
from eakte.search.base import DocumentMetadata, IndexedDocument
from eakte.search.extract import Extraction, ExtractionInterruptedError
from eakte.services import access, audit
from eakte.services.context import Context, Ports
from eakte.services.servable import servable_documents

log = logging.getLogger(__name__)

BATCH = 32
LEASE = dt.timedelta(minutes=10)
MAX_BACKOFF_SECONDS = 600
PAUSE = dt.timedelta(seconds=120)
STATE_ROW = 1
_LOCK_SPACE = 0x5EA4C4  # high bits of the per-case-file advisory lock keys


# -- draining -----------------------------------------------------------------


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    target_id: uuid.UUID
    attempts: int


def drain(ports: Ports) -> int:
    """Index one batch of due outbox rows; return how many rows were settled."""
    now = ports.clock()
    rows = _claim(ports, now)
    if not rows:
        return 0
    engine = ports.session_factory.kw["bind"]
    with engine.connect() as lock_connection:
        locked, busy = _lock_case_files(ports, lock_connection, rows)
        try:
            if busy:
                _release(ports, busy, delay=dt.timedelta(seconds=1))
            if locked:
                _index_rows(ports, locked)
        finally:
            _unlock_all(lock_connection)
    return len(locked)


def _claim(ports: Ports, now: dt.datetime) -> list[_Claimed]:
    with ports.session_factory() as session:
        if _paused(session, now):
            return []
        rows = session.scalars(
            select(SearchOutbox)
            .where(SearchOutbox.available_at <= now)
            .order_by(SearchOutbox.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        claimed = [_Claimed(r.id, r.kind, r.target_id, r.attempts) for r in rows]
        if claimed:
            session.execute(
                update(SearchOutbox)
                .where(SearchOutbox.id.in_([c.id for c in claimed]))
                .values(available_at=now + LEASE)
            )
        session.commit()
        return claimed


def _lock_case_files(
    ports: Ports, connection: Connection, rows: list[_Claimed]
) -> tuple[list[_Claimed], list[_Claimed]]:
    """Split rows into those whose case file this worker now holds and those another has."""
    if connection.dialect.name != "postgresql":
        return rows, []  # SQLite: one writer at a time anyway (and one tantivy writer)
    with ports.session_factory() as session:
        owners = _case_files_of(session, rows)
    locked, busy, held = [], [], set()
    for row in rows:
        case_file_id = owners.get(row.target_id, row.target_id)
        key = _lock_key(case_file_id)
        if key not in held:
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
            connection.commit()
            if not got:
                busy.append(row)
                continue
            held.add(key)
        locked.append(row)
    return locked, busy


def _case_files_of(session: Session, rows: list[_Claimed]) -> dict[uuid.UUID, uuid.UUID]:
    document_ids = [r.target_id for r in rows if r.kind == OutboxKind.DOCUMENT]
    found = session.execute(
        select(Document.id, Document.case_file_id).where(Document.id.in_(document_ids))
    ).all()
    return {document_id: case_file_id for document_id, case_file_id in found}


def _lock_key(case_file_id: uuid.UUID) -> int:
    return (_LOCK_SPACE << 32) | zlib.crc32(case_file_id.bytes)


def _unlock_all(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        with contextlib.suppress(Exception):
            connection.execute(text("SELECT pg_advisory_unlock_all()"))
            connection.commit()


def _index_rows(ports: Ports, rows: list[_Claimed]) -> None:
    """Read (no write lock), extract (no transaction), index, then settle in a short write."""
    index = ports.search_index
    try:
        index.check()  # also creates the index on a cluster that came back empty
        with ports.session_factory() as session:
            read_only(session)
            documents = {r.target_id for r in rows if r.kind == OutboxKind.DOCUMENT}
            metadata = [
                meta
                for row in rows
                if row.kind == OutboxKind.CASE_FILE
                for meta in _metadata_of_case_file(session, row.target_id)
            ]
            # Documents the index does not know yet get indexed in full.
            documents.update(uuid.UUID(i) for i in index.update_metadata(metadata))
            sources = {d: _source(session, d) for d in sorted(documents)}
        built = {d: _built(ports, source) for d, source in sources.items() if source}
        index.delete([str(d) for d, source in sources.items() if source is None])
        index.index([indexed for indexed, _ in built.values()])
        with ports.session_factory() as session:
            _record_extractions(session, built.values())
            session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_([r.id for r in rows])))
            session.commit()
    except DependencyUnavailableError:
        _release(ports, rows, delay=dt.timedelta(0))  # the engine is down: not the rows' fault
        raise
    except ExtractionInterruptedError as interrupted:
        # Stopped from outside (the service is shutting down): nothing was indexed, and
        # no document is marked failed for it; this worker or the next takes them again.
        log.info("%s; %d outbox rows handed back", interrupted, len(rows))
        _release(ports, rows, delay=dt.timedelta(0))
    except Exception as error:
        log.exception("indexing %d outbox rows failed", len(rows))
        _retry_later(ports, rows, error)


def _release(ports: Ports, rows: Sequence[_Claimed], *, delay: dt.timedelta) -> None:
    with ports.session_factory() as session:
        session.execute(
            update(SearchOutbox)
            .where(SearchOutbox.id.in_([r.id for r in rows]))
            .values(available_at=ports.clock() + delay)
        )
        session.commit()


def _retry_later(ports: Ports, rows: Sequence[_Claimed], error: Exception) -> None:
    """Exponential backoff with jitter per row; the reason stays on the row for operators."""
    now = ports.clock()
    reason = f"{type(error).__name__}: {error}"[:ERROR_MAX]
    with ports.session_factory() as session:
        for row in rows:
            seconds = min(2 ** (row.attempts + 1), MAX_BACKOFF_SECONDS) * random.uniform(0.8, 1.2)  # noqa: S311
            session.execute(
                update(SearchOutbox)
                .where(SearchOutbox.id == row.id)
                .values(
                    attempts=row.attempts + 1,
                    available_at=now + dt.timedelta(seconds=seconds),
                    last_error=reason,
                )
            )
        session.commit()


# -- what a document looks like in the index ----------------------------------


@dataclass(frozen=True)
class _Source:
    """What indexing one document needs, read in one go so no transaction stays open."""

    version: DocumentVersion
    metadata: DocumentMetadata


def _source(session: Session, document_id: uuid.UUID) -> _Source | None:
    """The document's latest version and metadata; None if it must leave the index."""
    document = session.scalar(
        select(Document).where(Document.id == document_id, servable_documents())
    )
    version = _latest_version(session, document) if document is not None else None
    if document is None or version is None or version.wrapped_key is None:
        return None  # gone or withdrawn (destroyed): nothing may stay findable
    return _Source(version, document_metadata(session, document, version))


def _built(ports: Ports, source: _Source) -> tuple[IndexedDocument, Extraction]:
    extraction = _extract(ports, source.version)
    return IndexedDocument(source.metadata, extraction.text), extraction


def _record_extractions(
    session: Session, built: Iterable[tuple[IndexedDocument, Extraction]]
) -> None:
    for indexed, extraction in built:
        session.execute(
            update(DocumentVersion)
            .where(
                DocumentVersion.document_id == uuid.UUID(indexed.document_id),
                DocumentVersion.number == indexed.metadata.version,
            )
            .values(
                extraction_status=_status_of(extraction),
                extraction_detail=(extraction.detail or "")[:ERROR_MAX] or None,
            )
        )


def _latest_version(session: Session, document: Document) -> DocumentVersion | None:
    return session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.number == document.latest_version,
        )
    )


def document_metadata(
    session: Session, document: Document, version: DocumentVersion
) -> DocumentMetadata:
    case_file = document.case_file
    grants = list(session.scalars(select(Grant).where(Grant.case_file_id == case_file.id)))
    return DocumentMetadata(
        document_id=str(document.id),
        case_file_id=str(case_file.id),
        reference=case_file.reference,
        case_title=case_file.title,
        title=document.title,
        filename=version.filename,
        media_type=version.media_type,
        department=case_file.department.code,
        file_plan=case_file.file_plan_node.code,
        version=version.number,
        modified_at=version.created_at,
        access_keys=access.index_access_keys(case_file, grants),
    )


def _metadata_of_case_file(session: Session, case_file_id: uuid.UUID) -> list[DocumentMetadata]:
    if session.get(CaseFile, case_file_id) is None:
        return []
    result = []
    documents = select(Document).where(Document.case_file_id == case_file_id, servable_documents())
    for document in session.scalars(documents):
        version = _latest_version(session, document)
        if version is not None and version.wrapped_key is not None:
            result.append(document_metadata(session, document, version))
    return result


def _extract(ports: Ports, version: DocumentVersion) -> Extraction:
    limit = ports.settings.extract_max_bytes
    if version.size > limit:
        return Extraction("too_large", detail=f"larger than the extraction limit of {limit} bytes")
    try:
        content = b"".join(ports.envelope_store.read(version))
    except (IntegrityFailureError, BlobNotFoundError) as error:
        return Extraction("failed", detail=f"stored content unreadable ({error.code})")
    return ports.extractor.extract(content, version.media_type, version.filename)


def _status_of(extraction: Extraction) -> ExtractionStatus:
    try:
        return ExtractionStatus(extraction.status)
    except ValueError:
        return ExtractionStatus.FAILED


# -- lag, pause and rebuild ---------------------------------------------------


@dataclass(frozen=True)
class Lag:
    pending: int
    oldest_seconds: float | None
    failing: int

    def as_dict(self) -> dict[str, object]:
        return {
            "pending": self.pending,
            "oldest_seconds": self.oldest_seconds,
            "failing": self.failing,
        }


def outbox_lag(ports: Ports) -> Lag:
    with read_only(ports.session_factory()) as session:
        pending, oldest, failing = session.execute(
            select(
                func.count(SearchOutbox.id),
                func.min(SearchOutbox.created_at),
                func.count(SearchOutbox.last_error),
            )
        ).one()
    age = None if oldest is None else max((ports.clock() - oldest).total_seconds(), 0.0)
    return Lag(int(pending), None if age is None else round(age, 3), int(failing))


def _paused(session: Session, now: dt.datetime) -> bool:
    state = session.get(SearchState, STATE_ROW)
    return state is not None and state.paused_until is not None and state.paused_until > now


def _set_pause(ports: Ports, until: dt.datetime | None, by: str | None) -> None:
    with ports.session_factory() as session:
        state = session.get(SearchState, STATE_ROW)
        if state is None:
            state = SearchState(id=STATE_ROW)
            session.add(state)
        state.paused_until, state.paused_by = until, by
        session.commit()


@contextlib.contextmanager
def _indexing_paused(ports: Ports, by: str) -> Iterator[Callable[[], None]]:
    """Workers stop draining while a rebuild runs; changes queue up in the outbox.

    The pause is a lease that the rebuild renews: if it dies, workers resume by themselves.
    """

    def renew() -> None:
        _set_pause(ports, ports.clock() + PAUSE, by)

    renew()
    try:
        yield renew
    finally:
        _set_pause(ports, None, None)


def reindex(ctx: Context, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the index from the database and the stored objects, then swap it in.

    Queries keep hitting the live index throughout. Changes made meanwhile wait
    in the outbox (draining is paused) and reach the new index after the swap.
    """
    access.require_global_role(ctx, GlobalRole.ADMIN, "search.reindex")
    ctx.session.rollback()
    ports = ctx.ports
    with _indexing_paused(ports, ctx.actor_name) as renew:
        with ports.session_factory() as session:
            ids = list(session.scalars(select(Document.id).order_by(Document.id)))
        rebuild = ports.search_index.rebuild()
        done = 0
        try:
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                with ports.session_factory() as session:
                    read_only(session)
                    sources = [source for d in chunk if (source := _source(session, d))]
                built = [_built(ports, source) for source in sources]
                rebuild.index([indexed for indexed, _ in built])
                with ports.session_factory() as session:
                    _record_extractions(session, built)
                    session.commit()
                done += len(chunk)
                renew()
                if progress is not None:
                    progress(done, len(ids))
            rebuild.swap()
        except BaseException:
            rebuild.abort()
            raise
    audit.record(ctx, "search.reindex", object_type="search", details={"documents": done})
    ctx.commit()
    return done
