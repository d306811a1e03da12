"""Reading a version's plaintext: authorised, audited, integrity-checked as it streams.

Whole downloads up to VERIFY_BEFORE_STREAMING are checked before the first byte
leaves, so tampering shows as a clean error response; larger ones stream and abort
at the first segment that fails (no unauthenticated byte is ever sent). A failure
is recorded in the audit trail in its own transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from eakte.errors import (
    BlobNotFoundError,
    GoneError,
    IntegrityFailureError,
    RangeNotSatisfiableError,
)
from eakte.models import CaseFile, DocumentVersion
from eakte.models.content import resolve_range
from eakte.models.permissions import Access
from eakte.models.vocabulary import Outcome
from eakte.services import audit, documents
from eakte.services.context import Context

# Whole downloads up to this size are verified before the first byte is sent,
# so that tampering shows as a clean error response; larger ones stream and
# abort at the first segment that fails (no unauthenticated byte is ever sent).
VERIFY_BEFORE_STREAMING = 16 * 1024 * 1024


@dataclass(frozen=True)
class Download:
    version: DocumentVersion
    chunks: Iterator[bytes]
    first: int
    last: int
    partial: bool

    @property
    def length(self) -> int:
        return self.last - self.first + 1 if self.version.size else 0


def open_content(
    ctx: Context,
    document_id: uuid.UUID,
    *,
    number: int | None = None,
    byte_range: tuple[int, int | None] | None = None,
    if_range: uuid.UUID | None = None,
) -> Download:
    """Authorise, audit and open one version's plaintext (all of it, or one byte range).

    `if_range` names the version the client holds part of: the range is served
    only from that version, otherwise the whole content (RFC 9110 If-Range).
    """
    action = "document.download"
    document = documents.require_document(ctx, document_id, Access.READ, action)
    version = ctx.session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.number == (number or document.latest_version),
        )
    )
    case_file = document.case_file
    if version is None:
        raise audit.not_found(
            ctx,
            action,
            f"document {document_id} has no version {number}",
            object_type="document",
            object_id=document.id,
            department=case_file.department.code,
        )
    if version.wrapped_key is None:
        gone = GoneError(f"version {version.number} of this document was destroyed")
        raise documents.deny_in_case_file(ctx, action, gone, case_file, document)
    first, last, partial = 0, max(version.size - 1, 0), False
    if if_range is not None and if_range != version.id:
        byte_range = None  # the client's copy is outdated: send it all
    if byte_range is not None:
        resolved = resolve_range(*byte_range, version.size)
        if resolved is None:
            raise RangeNotSatisfiableError(
                "the requested range lies outside the content", size=version.size
            )
        (first, last), partial = resolved, True
    documents.record_on_document(
        ctx,
        action,
        case_file,
        document,
        version=version.number,
        range=f"{first}-{last}" if partial else None,
    )
    ctx.commit()
    try:
        content = ctx.ports.envelope_store.open(version)
        if not partial and version.size <= VERIFY_BEFORE_STREAMING:
            for _ in content.read(first, last):
                pass
        chunks = content.read(first, last)
        head = next(chunks, b"")  # the first segment is checked before the answer starts
    except (IntegrityFailureError, BlobNotFoundError) as error:
        raise _integrity_failure(ctx, version, case_file, error) from None
    return Download(version, _guarded(ctx, version, case_file, head, chunks), first, last, partial)


def _guarded(
    ctx: Context, version: DocumentVersion, case_file: CaseFile, head: bytes, rest: Iterator[bytes]
) -> Iterator[bytes]:
    if head:
        yield head
    try:
        yield from rest
    except (IntegrityFailureError, BlobNotFoundError) as error:
        _integrity_failure(ctx, version, case_file, error)
        raise


def _integrity_failure(
    ctx: Context, version: DocumentVersion, case_file: CaseFile, error: Exception
) -> IntegrityFailureError:
    """Record the failure in its own transaction (the download's one is committed)."""
    with ctx.ports.session_factory() as session:
        witness = Context(
            ports=ctx.ports,
            session=session,
            actor=ctx.actor,
            system=ctx.system,
            request_id=ctx.request_id,
            client_address=ctx.client_address,
        )
        audit.record(
            witness,
            "integrity_failure",
            object_type="document_version",
            object_id=version.id,
            department=case_file.department.code,
            outcome=Outcome.FAILED,
            details={
                "document": str(version.document_id),
                "version": version.number,
                "reason": type(error).__name__,
            },
        )
        witness.commit()
    return IntegrityFailureError(
        "the stored content failed its integrity check; it was not delivered"
    )
