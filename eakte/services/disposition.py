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
from eakte.services import access, archive_export, audit, disposition_execution
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


def approve(ctx: Context, proposal_id: uuid.UUID) -> DispositionProposal:
    """One records manager's approval; the second different one executes the proposal."""
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


def certificate_pdf(document: dict[str, Any]) -> bytes:
    """The certificate `certificate` returned, rendered for the paper file."""
    # Imported here: fpdf2 (with fontTools) adds ~25 MB to every web worker that
    # never renders a certificate.
    from eakte.retention.certificate_pdf import render as render_certificate

    return render_certificate(
        json.loads(document["certificate"]), document["signature"], document["key_id"]
    )
