"""Disposition proposals: four-eyes approval, then destruction (or handover) with a certificate.

A proposal executes only after two different records managers approved it
(its creator's approval is given with it; the scheduled job gives none). The
deciding approval sets it `executing` and runs it at once; if a dependency
fails half-way, the worker resumes it (`resume_executions`). Each case file is
disposed of in its own transaction, so nothing is half-destroyed without a
record: data keys are shredded (every copy of the ciphertext becomes
unreadable), personal metadata is removed, the index entry goes through the
outbox and a tombstone stays. Objects are deleted afterwards; one that cannot
be deleted now is unreadable anyway and `eakte sweep` removes it later.

Nothing is handed over or destroyed on the proposal's word alone: at the moment
it acts, each file is re-checked (`why_kept`: legal hold, still closed, retention
run out by today's real date); a file that fails is skipped with the reason.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from eakte.audit.canonical import canonical_json
from eakte.db import read_only
from eakte.errors import (
    AccessDeniedError,
    ConflictError,
    EakteError,
    NotFoundError,
    NotInHandoverError,
)
from eakte.models import (
    CaseFile,
    DispositionItem,
    DispositionProposal,
    Document,
    DocumentVersion,
    Grant,
    Process,
    ProposalApproval,
    Tombstone,
)
from eakte.models.retention import is_held
from eakte.models.vocabulary import (
    CaseFileStatus,
    Disposition,
    GlobalRole,
    ItemState,
    ProposalStatus,
)
from eakte.retention import xdomea
from eakte.services import access, archive_export, audit, outbox
from eakte.services.context import Context, Ports
from eakte.services.keys import shred
from eakte.services.pagination import Page, paginate

log = logging.getLogger(__name__)

APPROVALS_NEEDED = 2
SYSTEM = "disposition"


def _require_manager(ctx: Context, action: str, proposal_id: object = None) -> None:
    access.require_global_role(
        ctx,
        GlobalRole.RECORDS_MANAGER,
        action,
        object_type="disposition_proposal",
        object_id=proposal_id,
    )


def _load(ctx: Context, proposal_id: uuid.UUID, action: str, *, lock: bool = False):
    stmt = select(DispositionProposal).where(DispositionProposal.id == proposal_id)
    proposal = ctx.session.scalar(stmt.with_for_update(of=DispositionProposal) if lock else stmt)
    if proposal is None:
        raise audit.deny(
            ctx,
            action,
            NotFoundError(f"disposition proposal {proposal_id} not found"),
            object_type="disposition_proposal",
            object_id=proposal_id,
        )
    return proposal


def list_proposals(
    ctx: Context, *, status: ProposalStatus | None, limit: int, cursor: str | None
) -> Page[DispositionProposal]:
    action = "disposition.list"
    _require_manager(ctx, action)
    stmt = select(DispositionProposal)
    if status is not None:
        stmt = stmt.where(DispositionProposal.status == status.value)
    page = paginate(
        ctx.session,
        stmt,
        [DispositionProposal.created_at, DispositionProposal.id],
        limit=limit,
        cursor=cursor,
        descending=True,
    )
    audit.record(ctx, action, details={"count": len(page.items)})
    ctx.commit()
    return page


def get_proposal(ctx: Context, proposal_id: uuid.UUID) -> DispositionProposal:
    action = "disposition.read"
    _require_manager(ctx, action, proposal_id)
    proposal = _load(ctx, proposal_id, action)
    audit.record(ctx, action, object_type="disposition_proposal", object_id=proposal.id)
    ctx.commit()
    return proposal


def approve(ctx: Context, proposal_id: uuid.UUID) -> DispositionProposal:
    """One records manager's approval; the second different one executes the proposal."""
    action = "disposition.approve"
    _require_manager(ctx, action, proposal_id)
    if ctx.actor is None:
        raise AccessDeniedError("approvals are given by records managers, not by the system")
    proposal = _load(ctx, proposal_id, action, lock=True)
    if proposal.status != ProposalStatus.PENDING:
        raise ConflictError(f"the proposal is {proposal.status}; only pending ones can be approved")
    if any(approval.principal_id == ctx.actor.id for approval in proposal.approvals):
        raise audit.deny(
            ctx,
            action,
            AccessDeniedError(
                "you have approved this proposal already; a second records manager must approve"
            ),
            object_type="disposition_proposal",
            object_id=proposal.id,
        )
    ctx.session.add(
        ProposalApproval(proposal_id=proposal.id, principal_id=ctx.actor.id, approved_at=ctx.now())
    )
    ctx.session.flush()
    ctx.session.refresh(proposal)
    deciding = len(proposal.approvals) >= APPROVALS_NEEDED
    if deciding:
        proposal.status = ProposalStatus.EXECUTING.value
        proposal.decided_at = ctx.now()
    audit.record(
        ctx,
        action,
        object_type="disposition_proposal",
        object_id=proposal.id,
        details={"approvals": len(proposal.approvals), "executes": deciding},
    )
    ctx.commit()
    if deciding:
        _execute_now(ctx.ports, proposal.id)
        ctx.session.expire_all()
    return _load(ctx, proposal_id, action)


def reject(ctx: Context, proposal_id: uuid.UUID, reason: str) -> DispositionProposal:
    """The files stay; the reason is kept on each item and they are not proposed again
    until their retention date changes."""
    action = "disposition.reject"
    _require_manager(ctx, action, proposal_id)
    proposal = _load(ctx, proposal_id, action, lock=True)
    if proposal.status != ProposalStatus.PENDING:
        raise ConflictError(f"the proposal is {proposal.status}; only pending ones can be rejected")
    proposal.status = ProposalStatus.REJECTED.value
    proposal.decided_at = ctx.now()
    proposal.rejected_by_id = ctx.actor_id
    proposal.rejection_reason = reason
    for item in proposal.items:
        if item.state == ItemState.PROPOSED:
            item.state = ItemState.REJECTED.value
            item.note = REJECTED_NOTE_PREFIX + reason
    audit.record(ctx, action, object_type="disposition_proposal", object_id=proposal.id)
    ctx.commit()
    return proposal


# -- execution -----------------------------------------------------------------


def _execute_now(ports: Ports, proposal_id: uuid.UUID) -> None:
    """Run it in the request; if a dependency is down, the worker finishes it later."""
    try:
        execute(ports, proposal_id)
    except EakteError as error:
        log.warning(
            "disposition %s paused (%s); the worker resumes it", proposal_id, type(error).__name__
        )


def resume_executions(ports: Ports) -> bool:
    """Worker task: carry on with proposals left `executing`; True if one was worked on."""
    with ports.session_factory() as session:
        pending = list(
            session.scalars(
                select(DispositionProposal.id).where(
                    DispositionProposal.status == ProposalStatus.EXECUTING.value
                )
            )
        )
    for proposal_id in pending:
        execute(ports, proposal_id)
    return False


def execute(ports: Ports, proposal_id: uuid.UUID) -> None:
    """Carry out an `executing` proposal as far as it can go now.

    destroy: dispose of every still-proposed file, one transaction each, then
    sign the certificate. archive: first hand the files over (the xdomea
    package is stored and the proposal waits for the archive); once the archive
    has confirmed, dispose of the files it took over, as for destroy.
    """
    with ports.session_factory() as session:
        ctx = Context(ports=ports, session=session, system=SYSTEM)
        proposal = session.get(DispositionProposal, proposal_id)
        if proposal is None or proposal.status != ProposalStatus.EXECUTING:
            return
        if proposal.disposition == Disposition.ARCHIVE and proposal.export_object_key is None:
            session.rollback()
            _hand_over(ctx, proposal_id)
            return
        due = (ItemState.PROPOSED, ItemState.EXPORTED)
        item_keys = [item.case_file_id for item in proposal.items if item.state in due]
        session.rollback()
        for case_file_id in item_keys:
            _dispose_of(ctx, proposal_id, case_file_id)
        _complete(ctx, proposal_id)


def _hand_over(ctx: Context, proposal_id: uuid.UUID) -> None:
    """Build and store the xdomea 0503 package; the proposal then waits for the archive.

    No transaction is open while the package streams: the files are read first,
    the outcome written in a short transaction afterwards.
    """
    ports = ctx.ports
    with ports.session_factory() as reading:
        read_only(reading)
        proposal = reading.get(DispositionProposal, proposal_id)
        items = [item for item in proposal.items if item.state == ItemState.PROPOSED]
        today = ctx.today()
        kept = {
            item.case_file_id: note
            for item in items
            if (note := why_kept(reading, item.case_file, today)) is not None
        }
        files = [item.case_file for item in items if item.case_file_id not in kept]
        message = archive_export.message_for(ports, reading, files, proposal_id) if files else None
    package = (
        archive_export.store_package(ports, proposal_id, xdomea.stream_archive(message))
        if message is not None
        else None
    )
    session = ctx.session
    proposal = _locked(session, proposal_id)
    if proposal is None or proposal.status != ProposalStatus.EXECUTING:
        session.rollback()
        return
    for item in proposal.items:
        if item.case_file_id in kept and item.state == ItemState.PROPOSED:
            item.state = ItemState.SKIPPED.value
            item.note = kept[item.case_file_id]
        elif item.state == ItemState.PROPOSED:
            item.state = ItemState.EXPORTED.value
    if package is not None:
        package.record_on(proposal)
        proposal.status = ProposalStatus.AWAITING_ARCHIVE.value
    audit.record(
        ctx,
        "disposition.export",
        object_type="disposition_proposal",
        object_id=proposal.id,
        details={
            "format": "xdomea-0503",
            "references": [case_file.reference for case_file in files],
            "size": package.export_size if package else 0,
            "sha256": package.export_sha256 if package else None,
        },
    )
    session.commit()
    if package is None:  # every file is kept: nothing to hand over
        _complete(ctx, proposal_id)


HELD_NOTE = "a legal hold was placed after the proposal; the file is kept"
NOT_DUE_NOTE = "its retention period has not run out by today; the file is kept"
NOT_CLOSED_NOTE = "the file is no longer closed; it is kept"
ARCHIVE_KEPT_NOTE = "the archive did not take it over; kept here"
REJECTED_NOTE_PREFIX = "proposal rejected: "


def why_kept(session: Session, case_file: CaseFile, today: dt.date) -> str | None:
    """Why a proposed file must stay after all, re-checked as the handover or destruction acts.

    The proposal's `as_of` is not trusted: the date is judged by today (the
    municipality's calendar day by the real clock), and the file must still be
    closed and free of legal holds.
    """
    if _held(session, case_file.id):
        return HELD_NOTE
    if case_file.status != CaseFileStatus.CLOSED:
        return NOT_CLOSED_NOTE
    if case_file.retain_until is None or case_file.retain_until >= today:
        return NOT_DUE_NOTE
    return None


def _held(session: Session, case_file_id: uuid.UUID) -> bool:
    return bool(session.scalar(select(is_held(case_file_id))))


def _locked(session: Session, proposal_id: uuid.UUID) -> DispositionProposal | None:
    return session.scalar(
        select(DispositionProposal)
        .where(DispositionProposal.id == proposal_id)
        .with_for_update(of=DispositionProposal)
    )


def confirm_archive(
    ctx: Context, proposal_id: uuid.UUID, *, not_imported: list[str]
) -> DispositionProposal:
    """The archive's import confirmation (as xdomea 0506 reports it): what it took over is
    destroyed here; what it did not stays, with a note."""
    action = "disposition.confirm_archive"
    _require_manager(ctx, action, proposal_id)
    proposal = _load(ctx, proposal_id, action, lock=True)
    if proposal.status != ProposalStatus.AWAITING_ARCHIVE:
        raise ConflictError(
            f"the proposal is {proposal.status}; only one awaiting the archive can be confirmed"
        )
    exported = {item.reference: item for item in proposal.items if item.state == ItemState.EXPORTED}
    unknown = sorted(set(not_imported) - set(exported))
    if unknown:
        raise NotInHandoverError(unknown)
    for reference in not_imported:
        exported[reference].state = ItemState.SKIPPED.value
        exported[reference].note = ARCHIVE_KEPT_NOTE
    proposal.status = ProposalStatus.EXECUTING.value
    audit.record(
        ctx,
        action,
        object_type="disposition_proposal",
        object_id=proposal.id,
        details={"not_imported": sorted(not_imported)},
    )
    ctx.commit()
    _execute_now(ctx.ports, proposal.id)
    ctx.session.expire_all()
    return _load(ctx, proposal_id, action)


def export_package(ctx: Context, proposal_id: uuid.UUID) -> tuple[str, Iterator[bytes]]:
    """The stored xdomea package of an archive proposal, for the records manager to send."""
    action = "disposition.export.read"
    _require_manager(ctx, action, proposal_id)
    proposal = _load(ctx, proposal_id, action)
    if proposal.export_object_key is None or proposal.export_wrapped_key is None:
        raise NotFoundError("this proposal has no xdomea package (not handed over, or done)")
    audit.record(ctx, action, object_type="disposition_proposal", object_id=proposal.id)
    ctx.commit()
    return xdomea.archive_name(proposal.id), archive_export.read_package(ctx.ports, proposal)


def _dispose_of(ctx: Context, proposal_id: uuid.UUID, case_file_id: uuid.UUID) -> None:
    session = ctx.session
    item = session.get(DispositionItem, (proposal_id, case_file_id))
    case_file = session.scalar(
        select(CaseFile).where(CaseFile.id == case_file_id).with_for_update(of=CaseFile)
    )
    if (
        item is None
        or case_file is None
        or item.state
        not in (
            ItemState.PROPOSED,
            ItemState.EXPORTED,
        )
    ):
        session.rollback()
        return
    kept = why_kept(session, case_file, ctx.today())
    if kept is not None:
        item.state = ItemState.SKIPPED.value
        item.note = kept
        audit.record_in_case_file(
            ctx,
            "case_file.dispose",
            case_file,
            outcome_note=f"skipped: {kept}",
            retain_until=case_file.retain_until.isoformat() if case_file.retain_until else None,
        )
        session.commit()
        return
    proposal = item.proposal
    destroyed, object_keys = _scrub_documents(ctx, case_file)
    for process in session.scalars(select(Process).where(Process.case_file_id == case_file.id)):
        process.title = ""
    for grant in session.scalars(select(Grant).where(Grant.case_file_id == case_file.id)):
        session.delete(grant)
    session.add(
        Tombstone(
            case_file_id=case_file.id,
            reference=case_file.reference,
            file_plan_code=case_file.file_plan_node.code,
            department_code=case_file.department.code,
            opened_at=case_file.created_at,
            closed_at=case_file.closed_at,
            retain_until=case_file.retain_until,
            disposition=proposal.disposition,
            disposed_at=ctx.now(),
            proposal_id=proposal.id,
            approvers=[approval.principal.username for approval in proposal.approvals],
            destroyed=destroyed,
        )
    )
    case_file.title = ""
    case_file.status = CaseFileStatus.DISPOSED.value
    item.state = ItemState.DESTROYED.value
    audit.record_in_case_file(
        ctx,
        "case_file.dispose",
        case_file,
        disposition=proposal.disposition,
        proposal=str(proposal.id),
        versions=len(destroyed),
    )
    outbox.case_file_changed(ctx, case_file.id)
    session.commit()
    for key in object_keys:
        _delete_object(ctx.ports, key)


def _scrub_documents(ctx: Context, case_file: CaseFile) -> tuple[list[dict], list[str]]:
    """Shred every version's key and blank names; what was destroyed, and the objects to delete."""
    destroyed: list[dict] = []
    object_keys: list[str] = []
    documents = ctx.session.scalars(select(Document).where(Document.case_file_id == case_file.id))
    for document in documents:
        versions = ctx.session.scalars(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == document.id)
            .order_by(DocumentVersion.number)
        )
        for version in versions:
            destroyed.append(
                {"document": str(document.id), "version": version.number, "sha256": version.sha256}
            )
            object_keys.append(version.object_key)
            shred(ctx, version)
            version.filename = ""
        document.title = ""
    return destroyed, object_keys


def _delete_object(ports: Ports, key: str) -> None:
    try:
        ports.blob_store.delete(key)
    except EakteError as error:  # unreadable already; `eakte sweep` removes it later
        log.warning("object %s not deleted now (%s)", key, type(error).__name__)


def _complete(ctx: Context, proposal_id: uuid.UUID) -> None:
    """Sign the destruction certificate, file it in the audit trail, close the proposal."""
    session = ctx.session
    proposal = _locked(session, proposal_id)
    if proposal is None or proposal.status != ProposalStatus.EXECUTING:
        session.rollback()
        return
    now = ctx.now()
    package = proposal.export_object_key
    if package is not None:  # the archive has it now: our copy of the package goes too
        proposal.export_wrapped_key = None
        proposal.export_kek_id = None
    tombstones = {
        tombstone.case_file_id: tombstone
        for tombstone in session.scalars(
            select(Tombstone).where(Tombstone.proposal_id == proposal.id)
        )
    }
    body = canonical_json(
        {
            "type": "eakte.handover-certificate"
            if proposal.disposition == Disposition.ARCHIVE
            else "eakte.destruction-certificate",
            "package_sha256": proposal.export_sha256,
            "proposal": str(proposal.id),
            "disposition": proposal.disposition,
            "file_plan": proposal.file_plan_node.code,
            "as_of": proposal.as_of.isoformat(),
            "executed_at": now.isoformat().replace("+00:00", "Z"),
            "approvers": [
                {
                    "username": approval.principal.username,
                    "approved_at": approval.approved_at.isoformat().replace("+00:00", "Z"),
                }
                for approval in proposal.approvals
            ],
            "case_files": [
                {
                    "reference": item.reference,
                    "state": item.state,
                    "note": item.note,
                    "destroyed": tombstones[item.case_file_id].destroyed
                    if item.case_file_id in tombstones
                    else [],
                }
                for item in proposal.items
            ],
        }
    )
    signature = base64.b64encode(ctx.ports.signer.sign(body)).decode()
    proposal.certificate = body.decode()
    proposal.certificate_signature = signature
    proposal.status = ProposalStatus.COMPLETED.value
    proposal.completed_at = now
    audit.record(
        ctx,
        "disposition.certificate",
        object_type="disposition_proposal",
        object_id=proposal.id,
        details={
            "sha256": hashlib.sha256(body).hexdigest(),
            "signature": signature,
            "key_id": ctx.ports.signer.key_id,
        },
    )
    session.commit()
    if package is not None:
        _delete_object(ctx.ports, package)


# -- what is left ----------------------------------------------------------------


def certificate(ctx: Context, proposal_id: uuid.UUID) -> tuple[DispositionProposal, dict]:
    action = "disposition.certificate.read"
    _require_manager(ctx, action, proposal_id)
    proposal = _load(ctx, proposal_id, action)
    if proposal.certificate is None:
        raise NotFoundError("the proposal has no certificate yet (it is not completed)")
    audit.record(ctx, action, object_type="disposition_proposal", object_id=proposal.id)
    ctx.commit()
    return proposal, {
        "certificate": proposal.certificate,
        "signature": proposal.certificate_signature,
        "key_id": ctx.ports.signer.key_id,
        "public_key": ctx.ports.signer.public_key_pem(),
    }


def certificate_pdf(document: dict) -> bytes:
    """The certificate `certificate` returned, rendered for the paper file."""
    # Imported here: fpdf2 (with fontTools) adds ~25 MB to every web worker that
    # never renders a certificate.
    from eakte.retention.certificate_pdf import render as render_certificate

    return render_certificate(
        json.loads(document["certificate"]), document["signature"], document["key_id"]
    )
