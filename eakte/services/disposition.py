"""Disposition proposals: four-eyes approval, the archive's confirmation, certificates.

A proposal executes only after two different records managers approved it
(its creator's approval is given with it; the scheduled job gives none). The
deciding approval sets it `executing` and carries it out at once
(services/disposition_execution.py: handover, destruction, the signed certificate).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from eakte.errors import (
    AccessDeniedError,
    ConflictError,
    NotFoundError,
    NotInHandoverError,
    Reason,
)
from eakte.models import (
    DispositionProposal,
    ProposalApproval,
)
from eakte.models.vocabulary import (
    GlobalRole,
    ItemState,
    ProposalStatus,
)
from eakte.retention import xdomea
from eakte.services import access, archive_export, audit, disposition_execution, retention
from eakte.services.context import Context
from eakte.services.pagination import Page, paginate

log = logging.getLogger(__name__)

APPROVALS_NEEDED = 2
# Why a file stayed, in the item's note (the web client says it in German).
ARCHIVE_KEPT_NOTE = "the archive did not take it over; kept here"
REJECTED_NOTE_PREFIX = "proposal rejected: "


def _require_manager(ctx: Context, action: str, proposal_id: object = None) -> None:
    access.require_global_role(
        ctx,
        GlobalRole.RECORDS_MANAGER,
        action,
        object_type="disposition_proposal",
        object_id=proposal_id,
    )


def _require_proposal(
    ctx: Context, proposal_id: uuid.UUID, action: str, *, lock: bool = False
) -> DispositionProposal:
    stmt = select(DispositionProposal).where(DispositionProposal.id == proposal_id)
    proposal = ctx.session.scalar(stmt.with_for_update(of=DispositionProposal) if lock else stmt)
    if proposal is None:
        raise audit.not_found(
            ctx,
            action,
            f"disposition proposal {proposal_id} not found",
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
    proposal = _require_proposal(ctx, proposal_id, action)
    audit.record(ctx, action, object_type="disposition_proposal", object_id=proposal.id)
    ctx.commit()
    return proposal


def approve(
    ctx: Context, proposal_id: uuid.UUID, *, may_execute: bool = True
) -> DispositionProposal:
    """One records manager's approval; the second different one executes the proposal.

    `may_execute=False`: the caller has not yet confirmed that this approval may be the
    deciding one; if it would be, nothing happens and a ConflictError says so
    (Reason.DECIDING_APPROVAL), checked under the proposal's lock.
    """
    action = "disposition.approve"
    _require_manager(ctx, action, proposal_id)
    if ctx.actor is None:
        raise AccessDeniedError("approvals are given by records managers, not by the system")
    proposal = _require_proposal(ctx, proposal_id, action, lock=True)
    if proposal.status != ProposalStatus.PENDING:
        raise ConflictError(f"the proposal is {proposal.status}; only pending ones can be approved")
    if any(approval.principal_id == ctx.actor.id for approval in proposal.approvals):
        raise audit.deny(
            ctx,
            action,
            AccessDeniedError(
                "you have approved this proposal already; a second records manager must approve",
                reasons=[Reason.ALREADY_APPROVED],
            ),
            object_type="disposition_proposal",
            object_id=proposal.id,
        )
    if not may_execute and len(proposal.approvals) + 1 >= APPROVALS_NEEDED:
        ctx.session.rollback()  # releases the lock; nothing was changed
        raise ConflictError(
            "this approval would execute the proposal; confirm it first",
            reasons=[Reason.DECIDING_APPROVAL],
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
        disposition_execution.execute_now(ctx.ports, proposal.id)
        ctx.session.expire_all()
    return _require_proposal(ctx, proposal_id, action)


def reject(ctx: Context, proposal_id: uuid.UUID, reason: str) -> DispositionProposal:
    """The files stay; the reason is kept on each item and they are not proposed again
    until their retention date changes."""
    action = "disposition.reject"
    _require_manager(ctx, action, proposal_id)
    proposal = _require_proposal(ctx, proposal_id, action, lock=True)
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


def confirm_archive(
    ctx: Context, proposal_id: uuid.UUID, *, not_imported: list[str]
) -> DispositionProposal:
    """The archive's import confirmation (as xdomea 0506 reports it): what it took over is
    destroyed here; what it did not stays, with a note."""
    action = "disposition.confirm_archive"
    _require_manager(ctx, action, proposal_id)
    proposal = _require_proposal(ctx, proposal_id, action, lock=True)
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
    disposition_execution.execute_now(ctx.ports, proposal.id)
    ctx.session.expire_all()
    return _require_proposal(ctx, proposal_id, action)


def export_package(ctx: Context, proposal_id: uuid.UUID) -> tuple[str, Iterator[bytes]]:
    """The stored xdomea package of an archive proposal, for the records manager to send."""
    action = "disposition.export.read"
    _require_manager(ctx, action, proposal_id)
    proposal = _require_proposal(ctx, proposal_id, action)
    if proposal.export_object_key is None or proposal.export_wrapped_key is None:
        raise NotFoundError("this proposal has no xdomea package (not handed over, or done)")
    audit.record(ctx, action, object_type="disposition_proposal", object_id=proposal.id)
    ctx.commit()
    return xdomea.archive_name(proposal.id), archive_export.read_package(ctx.ports, proposal)


# -- what is left ----------------------------------------------------------------


def certificate(ctx: Context, proposal_id: uuid.UUID) -> tuple[DispositionProposal, dict[str, Any]]:
    action = "disposition.certificate.read"
    _require_manager(ctx, action, proposal_id)
    proposal = _require_proposal(ctx, proposal_id, action)
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


def certificate_pdf(ctx: Context, proposal_id: uuid.UUID) -> bytes:
    """The certificate, rendered for the paper file: the municipality's head, local times,
    the approvers' names, and the titles of the files still here that the reader may see
    (a destroyed file's title went with it). The signed JSON is not changed."""
    proposal, document = certificate(ctx, proposal_id)
    # Imported here: fpdf2 (with fontTools) adds ~25 MB to every web worker that
    # never renders a certificate.
    from eakte.retention.certificate_pdf import Letterhead, Readers, render

    settings = ctx.ports.settings
    body = json.loads(document["certificate"])
    readers = Readers(
        names={a.principal.username: a.principal.display_name for a in proposal.approvals},
        titles=visible_titles(ctx, proposal),
        notes={
            entry["note"]: note_text(entry["note"])
            for entry in body.get("case_files", [])
            if entry.get("note")
        },
    )
    letterhead = Letterhead(
        settings.archive_sender, ctx.ports.timezone, logo=settings.certificate_logo
    )
    return render(body, document["signature"], document["key_id"], letterhead, readers)


def visible_titles(ctx: Context, proposal: DispositionProposal) -> dict[str, str | None]:
    """Per Aktenzeichen, the title the caller may see (None: confidential to them).

    A destroyed file has no title any more (it went with its content): absent here."""
    return {
        item.reference: retention.visible_title(ctx, item.case_file)
        for item in proposal.items
        if item.case_file.title
    }


def note_text(note: str | None) -> str:
    """Why an item stayed (its note), in German: for the page and the printed certificate."""
    if not note:
        return ""
    if note == disposition_execution.HELD_NOTE:
        return "Aussonderungssperre: die Akte bleibt erhalten."
    if note == disposition_execution.NOT_DUE_NOTE:
        return "Die Aufbewahrungsfrist ist noch nicht abgelaufen: die Akte bleibt erhalten."
    if note == disposition_execution.NOT_CLOSED_NOTE:
        return "Die Akte ist nicht mehr abgeschlossen: sie bleibt erhalten."
    if note == ARCHIVE_KEPT_NOTE:
        return "Vom Archiv nicht übernommen: die Akte bleibt hier."
    if note.startswith(REJECTED_NOTE_PREFIX):
        return f"Vorschlag abgelehnt: {note.removeprefix(REJECTED_NOTE_PREFIX)}"
    return note
