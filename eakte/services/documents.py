"""Documents and versions: upload and list — encrypted, audited, access-checked.

Reading a version's content is in services/downloads.py.

Bytes never stream inside a database transaction: the access check runs,
the transaction ends, the object is written, and only then a new
transaction checks again and writes the row (object first, row second). A
failure in between leaves an orphan object for `eakte sweep`, never a row
without its object.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select

from eakte import metrics
from eakte.errors import (
    CaseFileClosedError,
    EakteError,
    InvalidInputError,
    PayloadTooLargeError,
    Reason,
)
from eakte.models import CaseFile, Document, DocumentVersion, Process
from eakte.models.content import safe_filename
from eakte.models.permissions import Access
from eakte.services import access, audit, object_lock, outbox
from eakte.services.case_files import require_open
from eakte.services.context import Context, Ports
from eakte.services.media import SNIFF_BYTES, detect_media_type
from eakte.services.pagination import Page, paginate

READ_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Upload:
    filename: str | None
    stream: IO[bytes]


@dataclass(frozen=True)
class _Stored:
    version_id: uuid.UUID
    object_key: str
    size: int
    sha256: str
    media_type: str
    filename: str
    wrapped_key: bytes
    kek_id: str
    segment_size: int


def record_on_document(
    ctx: Context, action: str, case_file: CaseFile, document: Document, **details: object
) -> None:
    audit.record_in_case_file(
        ctx, action, case_file, object_type="document", object_id=document.id, **details
    )


def deny_in_case_file(
    ctx: Context, action: str, error: EakteError, case_file: CaseFile, document: Document | None
) -> EakteError:
    """A refusal inside a case file the caller may see: audited, then raised."""
    return audit.deny(
        ctx,
        action,
        error,
        object_type="case_file" if document is None else "document",
        object_id=case_file.id if document is None else document.id,
        department=case_file.department.code,
    )


def _require_writable(
    ctx: Context, action: str, case_file: CaseFile, document: Document | None = None
) -> None:
    """Documents go only into open case files (409 otherwise, audited)."""
    try:
        require_open(case_file)
    except CaseFileClosedError as error:
        raise deny_in_case_file(ctx, action, error, case_file, document) from None


def require_document(ctx: Context, document_id: uuid.UUID, needed: Access, action: str) -> Document:
    """The document, if its case file allows `needed`.

    One the caller may not read answers exactly as an unknown id: the same 404,
    naming neither its case file nor its reference.
    """
    access.require_authenticated(ctx, action)
    document = ctx.session.get(Document, document_id)
    if document is None or access.access_to_case_file(ctx, document.case_file) == Access.NONE:
        raise audit.not_found(
            ctx,
            action,
            f"document {document_id} not found",
            object_type="document",
            object_id=document_id,
            department=document.case_file.department.code if document is not None else None,
        )
    access.require_case_file(ctx, document.case_file_id, needed, action)
    return document


def list_documents(
    ctx: Context, case_file_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[Document]:
    action = "document.list"
    case_file = access.require_case_file(ctx, case_file_id, Access.READ, action)
    page = paginate(
        ctx.session,
        select(Document).where(Document.case_file_id == case_file.id),
        [Document.created_at, Document.id],
        limit=limit,
        cursor=cursor,
    )
    audit.record_in_case_file(ctx, action, case_file, count=len(page.items))
    ctx.commit()
    return page


def get_document(ctx: Context, document_id: uuid.UUID) -> Document:
    document = require_document(ctx, document_id, Access.READ, "document.read")
    record_on_document(ctx, "document.read", document.case_file, document)
    ctx.commit()
    return document


def list_versions(ctx: Context, document_id: uuid.UUID) -> list[DocumentVersion]:
    document = require_document(ctx, document_id, Access.READ, "document.versions")
    versions = list(
        ctx.session.scalars(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document.id)
            .order_by(DocumentVersion.number)
        )
    )
    record_on_document(ctx, "document.versions", document.case_file, document)
    ctx.commit()
    return versions


def add_document(
    ctx: Context,
    case_file_id: uuid.UUID,
    upload: Upload,
    *,
    title: str | None = None,
    process_id: uuid.UUID | None = None,
) -> Document:
    """File a new document (version 1) into an open case file."""
    action = "document.create"
    case_file = access.require_case_file(ctx, case_file_id, Access.WRITE, action)
    _require_writable(ctx, action, case_file)
    if process_id is not None:
        process = ctx.session.get(Process, process_id)
        if process is None or process.case_file_id != case_file.id:
            raise InvalidInputError(
                "the process does not belong to this case file",
                errors={"process": ["not a process of this case file"]},
                reasons=[Reason.FOREIGN_PROCESS],
            )
    retention_years = case_file.file_plan_node.retention_years
    ctx.session.rollback()  # no transaction (and no SQLite write lock) while bytes stream
    stored = _store(ctx.ports, upload, retention_years, today=ctx.today())
    with _row_or_no_object(ctx, stored):
        case_file = access.require_case_file(ctx, case_file_id, Access.WRITE, action)
        _require_writable(ctx, action, case_file)
        document = Document(
            case_file_id=case_file.id,
            process_id=process_id,
            title=title or stored.filename,
            latest_version=1,
            created_at=ctx.now(),
            created_by_id=ctx.actor_id,
        )
        ctx.session.add(document)
        ctx.session.flush()
        ctx.session.add(_version_row(ctx, document, 1, stored))
        outbox.document_changed(ctx, document.id)
        record_on_document(
            ctx,
            action,
            case_file,
            document,
            version=1,
            size=stored.size,
            media_type=stored.media_type,
        )
        ctx.commit()
    return document


def add_version(ctx: Context, document_id: uuid.UUID, upload: Upload) -> DocumentVersion:
    """Store the next version; earlier versions stay as they are."""
    action = "document.add_version"
    document = require_document(ctx, document_id, Access.WRITE, action)
    _require_writable(ctx, action, document.case_file, document)
    retention_years = document.case_file.file_plan_node.retention_years
    ctx.session.rollback()
    stored = _store(ctx.ports, upload, retention_years, today=ctx.today())
    with _row_or_no_object(ctx, stored):
        document = require_document(ctx, document_id, Access.WRITE, action)
        _require_writable(ctx, action, document.case_file, document)
        # The row lock (PostgreSQL) / write lock (SQLite) makes concurrent uploads queue up.
        ctx.session.refresh(document, with_for_update=True)
        number = document.latest_version + 1
        document.latest_version = number
        version = _version_row(ctx, document, number, stored)
        ctx.session.add(version)
        outbox.document_changed(ctx, document.id)
        record_on_document(
            ctx,
            action,
            document.case_file,
            document,
            version=number,
            size=stored.size,
            media_type=stored.media_type,
        )
        ctx.commit()
    return version


@contextlib.contextmanager
def _row_or_no_object(ctx: Context, stored: _Stored) -> Iterator[None]:
    """The stored object stays only if the transaction that records it commits."""
    try:
        yield
    except BaseException:
        ctx.session.rollback()
        _discard(ctx.ports, stored.object_key)
        raise


def _version_row(ctx: Context, document: Document, number: int, stored: _Stored) -> DocumentVersion:
    return DocumentVersion(
        id=stored.version_id,
        document_id=document.id,
        number=number,
        size=stored.size,
        media_type=stored.media_type,
        filename=stored.filename,
        sha256=stored.sha256,
        object_key=stored.object_key,
        segment_size=stored.segment_size,
        wrapped_key=stored.wrapped_key,
        kek_id=stored.kek_id,
        created_at=ctx.now(),
        created_by_id=ctx.actor_id,
    )


def _store(ports: Ports, upload: Upload, retention_years: int, *, today: dt.date) -> _Stored:
    """Encrypt and write the upload as a new object; return what the row must record."""
    stream = upload.stream
    size = _size_of(stream)
    if size == 0:
        raise InvalidInputError(
            "the file is empty; empty documents are not accepted",
            errors={"file": ["the file is empty"]},
            reasons=[Reason.EMPTY_FILE],
        )
    if size > ports.settings.max_upload_bytes:
        raise PayloadTooLargeError(
            f"the file is larger than the limit of {ports.settings.max_upload_bytes} bytes"
        )
    head = stream.read(SNIFF_BYTES)
    media_type = detect_media_type(head)
    digest = hashlib.sha256()
    counted = 0

    def plaintext() -> Iterator[bytes]:
        nonlocal counted
        chunk = head
        while chunk:
            digest.update(chunk)
            counted += len(chunk)
            yield chunk
            chunk = stream.read(READ_CHUNK)

    version_id = uuid.uuid4()
    object_key = f"v1/{uuid.uuid4()}"
    envelope = ports.envelope_store.seal(
        object_key,
        version_id,
        plaintext(),
        size,
        retain_until=object_lock.lock_for_upload(ports, retention_years, today),
    )
    if counted != size:  # the spooled upload changed under us: do not record it
        _discard(ports, object_key)
        raise InvalidInputError("the upload was cut short; send it again")
    metrics.count_upload(size)
    return _Stored(
        version_id=version_id,
        object_key=object_key,
        size=size,
        sha256=digest.hexdigest(),
        media_type=media_type,
        filename=safe_filename(upload.filename),
        wrapped_key=envelope.wrapped_key,
        kek_id=envelope.kek_id,
        segment_size=envelope.segment_size,
    )


def _size_of(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def _discard(ports: Ports, object_key: str) -> None:
    """Best effort: a leftover object is garbage that `eakte sweep` removes later."""
    with contextlib.suppress(Exception):
        ports.blob_store.delete(object_key)
