"""Handing case files to the archive: the xdomea 0503 package, built from the database.

The package streams: documents are decrypted one version at a time while the
zip is written. For an archive proposal it is spooled (to disk beyond a few
MiB), sealed like a document version (bound to the proposal's id) and kept in
the object store until the archive confirms the import.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from eakte.errors import AccessDeniedError
from eakte.models import (
    CaseFile,
    DispositionItem,
    DispositionProposal,
    Document,
    DocumentVersion,
    Process,
)
from eakte.models.permissions import Access
from eakte.models.vocabulary import DepartmentRole, GlobalRole, ItemState, ProposalStatus
from eakte.retention import xdomea
from eakte.services import access, audit
from eakte.services.context import Context, Ports

SPOOL_IN_MEMORY = 8 * 1024 * 1024
COPY_CHUNK = 1024 * 1024
EXPORT_PREFIX = "exports"


def message_for(
    ports: Ports, session: Session, case_files: list[CaseFile], process_id: uuid.UUID
) -> xdomea.ExportMessage:
    settings = ports.settings
    return xdomea.ExportMessage(
        process_id=process_id,
        created_at=ports.clock(),
        sender=xdomea.Institution(settings.archive_sender),
        receiver=xdomea.Institution(settings.archive_receiver),
        case_files=[_case_file(ports, session, case_file) for case_file in case_files],
    )


def _case_file(ports: Ports, session: Session, case_file: CaseFile) -> xdomea.ExportCaseFile:
    zone = ports.timezone
    documents = list(
        session.scalars(
            select(Document)
            .where(Document.case_file_id == case_file.id)
            .order_by(Document.created_at)
        )
    )
    processes = list(
        session.scalars(
            select(Process).where(Process.case_file_id == case_file.id).order_by(Process.created_at)
        )
    )
    exported = {document.id: _document(ports, session, document) for document in documents}
    node = case_file.file_plan_node
    return xdomea.ExportCaseFile(
        id=case_file.id,
        reference=case_file.reference,
        title=case_file.title,
        file_plan_code=node.code,
        file_plan_title=node.title,
        opened_on=case_file.created_at.astimezone(zone).date(),
        closed_on=case_file.closed_at.astimezone(zone).date() if case_file.closed_at else None,
        retention_years=node.retention_years,
        disposition=node.disposition,
        processes=[
            xdomea.ExportProcess(
                id=process.id,
                title=process.title,
                created_at=process.created_at,
                documents=[exported[d.id] for d in documents if d.process_id == process.id],
            )
            for process in processes
        ],
        documents=[exported[d.id] for d in documents if d.process_id is None],
    )


def _document(ports: Ports, session: Session, document: Document) -> xdomea.ExportDocument:
    versions = session.scalars(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document.id, DocumentVersion.wrapped_key.is_not(None))
        .order_by(DocumentVersion.number)
    )
    return xdomea.ExportDocument(
        id=document.id,
        title=document.title,
        created_at=document.created_at,
        versions=[
            xdomea.ExportVersion(
                number=version.number,
                filename=version.filename,
                media_type=version.media_type,
                size=version.size,
                sha256=version.sha256,
                created_at=version.created_at,
                open=functools.partial(_plaintext, ports, version),
            )
            for version in versions
        ],
    )


def _plaintext(ports: Ports, version: DocumentVersion) -> Iterator[bytes]:
    return ports.envelope_store.read(version)


def export_case_file(ctx: Context, case_file_id: uuid.UUID) -> tuple[str, Iterator[bytes]]:
    """GET /case-files/{id}/export?format=xdomea: the package for one file, streamed.

    The content leaves only for a records manager when the file is in an archive
    handover two records managers approved, or for a lead of the department that
    owns it (named, if confidential). Otherwise records managers see metadata only.
    """
    action = "case_file.export"
    access.require_authenticated(ctx, action)
    case_file = ctx.session.get(CaseFile, case_file_id)
    if case_file is not None and _in_approved_handover(ctx, case_file):
        basis = "handover"
        access.refuse_if_disposed(ctx, case_file, action)
    else:
        basis = "lead"
        case_file = _require_lead(ctx, case_file, case_file_id, action)
    process_id = uuid.uuid4()
    message = message_for(ctx.ports, ctx.session, [case_file], process_id)
    audit.record_in_case_file(
        ctx, action, case_file, format="xdomea", process_id=str(process_id), basis=basis
    )
    ctx.commit()
    return xdomea.archive_name(process_id), xdomea.stream_archive(message)


def _in_approved_handover(ctx: Context, case_file: CaseFile) -> bool:
    """A records manager, and the file handed to the archive by an approved proposal."""
    if ctx.actor is None or not access.has_global_role(ctx, GlobalRole.RECORDS_MANAGER):
        return False
    handed_over = (
        select(DispositionItem.case_file_id)
        .join(DispositionProposal, DispositionItem.proposal_id == DispositionProposal.id)
        .where(
            DispositionItem.case_file_id == case_file.id,
            DispositionItem.state == ItemState.EXPORTED.value,
            DispositionProposal.status.in_(
                [ProposalStatus.EXECUTING.value, ProposalStatus.AWAITING_ARCHIVE.value]
            ),
        )
    )
    return ctx.session.scalar(handed_over.limit(1)) is not None


def _require_lead(
    ctx: Context, case_file: CaseFile | None, case_file_id: uuid.UUID, action: str
) -> CaseFile:
    """A lead of the owning department who may reach the file (confidential: named)."""
    if (
        case_file is not None
        and access.has_global_role(ctx, GlobalRole.RECORDS_MANAGER)
        and not _leads(ctx, case_file)
    ):  # records managers know every file's metadata: 410 or 403, not 404
        access.refuse_if_disposed(ctx, case_file, action)
        raise audit.deny(
            ctx,
            action,
            AccessDeniedError(
                "records managers see metadata only; a file's content goes to the archive "
                "through an approved disposition proposal"
            ),
            object_type="case_file",
            object_id=case_file_id,
            department=case_file.department.code,
        )
    case_file = access.require_case_file(ctx, case_file_id, Access.READ, action)
    if not _leads(ctx, case_file):
        raise audit.deny(
            ctx,
            action,
            AccessDeniedError(
                f"only a lead of department {case_file.department.code} may export "
                f"case file {case_file.reference}"
            ),
            object_type="case_file",
            object_id=case_file.id,
            department=case_file.department.code,
        )
    return case_file


def _leads(ctx: Context, case_file: CaseFile) -> bool:
    return (
        ctx.actor is not None
        and access.roles_of(ctx).get(case_file.department_id) == DepartmentRole.LEAD
        and access.access_to_case_file(ctx, case_file) >= Access.READ
    )


# -- the package of an archive proposal ---------------------------------------------


@dataclass(frozen=True)
class StoredExport:
    """The sealed package as the proposal records it (a `Sealed` for the envelope store)."""

    id: uuid.UUID
    object_key: str
    size: int
    segment_size: int
    wrapped_key: bytes | None
    kek_id: str | None


@dataclass(frozen=True)
class Package:
    """Where the sealed package lies and how to open it; recorded on the proposal."""

    export_object_key: str
    export_size: int
    export_sha256: str
    export_segment_size: int
    export_wrapped_key: bytes
    export_kek_id: str

    def record_on(self, proposal: DispositionProposal) -> None:
        for name, value in vars(self).items():
            setattr(proposal, name, value)


def store_package(ports: Ports, proposal_id: uuid.UUID, chunks: Iterable[bytes]) -> Package:
    """Spool the zip (to disk beyond a few MiB), then seal it into the store."""
    digest = hashlib.sha256()
    size = 0
    object_key = f"{EXPORT_PREFIX}/{proposal_id}"
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        for chunk in chunks:
            spool.write(chunk)
            digest.update(chunk)
            size += len(chunk)
        spool.seek(0)
        envelope = ports.envelope_store.seal(
            object_key, proposal_id, iter(lambda: spool.read(COPY_CHUNK), b""), size
        )
    return Package(
        object_key,
        size,
        digest.hexdigest(),
        envelope.segment_size,
        envelope.wrapped_key,
        envelope.kek_id,
    )


def read_package(ports: Ports, proposal: DispositionProposal) -> Iterator[bytes]:
    stored = StoredExport(
        proposal.id,
        proposal.export_object_key or "",
        proposal.export_size or 0,
        proposal.export_segment_size or 0,
        proposal.export_wrapped_key,
        proposal.export_kek_id,
    )
    return ports.envelope_store.read(stored)
