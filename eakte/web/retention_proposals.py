"""Aufbewahrung: the actions on a disposition proposal, with a confirmation before the irreversible.

The approval that executes a proposal (the second of two) and the confirmation of
the archive's Übernahme destroy files at once. Both first show a confirmation page
that names the files and what happens to them; only its button (a second POST with
`bestaetigt=ja` and the CSRF token) carries it out. Whether an approval is the
deciding one is checked by the service under the proposal's lock
(Reason.DECIDING_APPROVAL), so a stale tab cannot skip the question.
"""

from __future__ import annotations

import json
import re
import uuid

from flask import Response, render_template, request
from werkzeug.wrappers import Response as BaseResponse

from eakte.errors import AccessDeniedError, ConflictError, NotInHandoverError, Reason
from eakte.models.retention import DispositionItem, DispositionProposal
from eakte.models.vocabulary import Disposition, ItemState, ProposalStatus
from eakte.services import disposition
from eakte.web.blueprint import blp
from eakte.web.messages import explain
from eakte.web.retention import DISPOSITION_LABELS, back, render_page, with_reason
from eakte.web.session import ctx, signed_in

REFERENCE_SEPARATORS = re.compile(r"[\n,;]+")
CONFIRMED = "ja"
NOT_PENDING = "Dieser Vorschlag wartet nicht mehr auf Freigabe; sein Stand steht unten."
NOT_AWAITING = "Diese Abgabe wartet nicht mehr auf die Bestätigung des Archivs."


@blp.post("/aufbewahrung/vorschlaege/<uuid:proposal_id>/freigeben")
@signed_in
def retention_approve(proposal_id: uuid.UUID) -> BaseResponse:
    """Freigeben; the deciding (second) approval only after its confirmation page."""
    form = f"freigabe-{proposal_id}"
    confirmed = request.form.get("bestaetigt") == CONFIRMED
    try:
        proposal = disposition.approve(ctx(), proposal_id, may_execute=confirmed)
    except ConflictError as error:
        if Reason.DECIDING_APPROVAL in error.reasons:
            return _confirm_approval(proposal_id)
        return render_page({form: NOT_PENDING}, status=409)
    except AccessDeniedError as error:
        if Reason.ALREADY_APPROVED in error.reasons:  # e.g. from a tab opened before
            return render_page({form: explain(error)}, status=409)
        raise
    done = proposal.status != ProposalStatus.PENDING
    return back("ausgefuehrt" if done else "freigegeben", anchor=f"vorschlag-{proposal_id}")


def _confirm_approval(proposal_id: uuid.UUID) -> BaseResponse:
    proposal = disposition.get_proposal(ctx(), proposal_id)
    items = [item for item in proposal.items if item.state == ItemState.PROPOSED]
    return _confirmation_page(
        proposal,
        items,
        endpoint="web.retention_approve",
        heading=(
            "Abgabe an das Archiv freigeben"
            if proposal.disposition == Disposition.ARCHIVE
            else "Vernichtung freigeben"
        ),
    )


@blp.post("/aufbewahrung/vorschlaege/<uuid:proposal_id>/ablehnen")
@signed_in
def retention_reject(proposal_id: uuid.UUID) -> BaseResponse:
    """Ablehnen, with the reason: the files stay."""
    return with_reason(
        f"ablehnen-{proposal_id}",
        lambda reason: disposition.reject(ctx(), proposal_id, reason),
        done="abgelehnt",
        anchor=f"vorschlag-{proposal_id}",
    )


@blp.post("/aufbewahrung/vorschlaege/<uuid:proposal_id>/uebernahme")
@signed_in
def retention_confirm_archive(proposal_id: uuid.UUID) -> BaseResponse:
    """Übernahme bestätigen: what the archive took over is destroyed here, the rest stays.

    First the confirmation page (an empty list means "alle übernommen", said in words),
    then, with `bestaetigt=ja`, the service."""
    form = f"uebernahme-{proposal_id}"
    text = request.form.get("nicht_uebernommen", "")
    references = sorted({ref.strip() for ref in REFERENCE_SEPARATORS.split(text) if ref.strip()})
    values = {f"{form}.nicht_uebernommen": text}
    if request.form.get("bestaetigt") != CONFIRMED:
        proposal = disposition.get_proposal(ctx(), proposal_id)
        if proposal.status != ProposalStatus.AWAITING_ARCHIVE:
            return render_page({form: NOT_AWAITING}, values, status=409)
        exported = [item for item in proposal.items if item.state == ItemState.EXPORTED]
        unknown = sorted(set(references) - {item.reference for item in exported})
        if unknown:
            return render_page({form: _not_in_handover(unknown)}, values)
        return _confirmation_page(
            proposal,
            exported,
            endpoint="web.retention_confirm_archive",
            heading="Übernahme durch das Archiv bestätigen",
            kept=references,
        )
    try:
        disposition.confirm_archive(ctx(), proposal_id, not_imported=references)
    except NotInHandoverError as error:
        return render_page({form: _not_in_handover(error.references)}, values)
    except ConflictError:
        return render_page({form: NOT_AWAITING}, values, status=409)
    return back("uebernommen", anchor=f"vorschlag-{proposal_id}")


def _not_in_handover(references: list[str] | tuple[str, ...]) -> str:
    return f"Diese Aktenzeichen gehören nicht zu dieser Abgabe: {', '.join(references)}"


def _confirmation_page(
    proposal: DispositionProposal,
    items: list[DispositionItem],
    *,
    endpoint: str,
    heading: str,
    kept: list[str] | None = None,
) -> BaseResponse:
    """What is about to happen, file by file, and the one button that does it."""
    body = render_template(
        "aufbewahrung_bestaetigen.html",
        proposal=proposal,
        items=items,
        titles=disposition.visible_titles(ctx(), proposal),
        action=endpoint,
        heading=heading,
        handover=endpoint == "web.retention_confirm_archive",
        kept=kept or [],
        destroyed=[item for item in items if item.reference not in set(kept or [])],
        disposition_labels=DISPOSITION_LABELS,
        confirmed=CONFIRMED,
    )
    return Response(body)


@blp.get("/aufbewahrung/vorschlaege/<uuid:proposal_id>/paket")
@signed_in
def retention_package(proposal_id: uuid.UUID) -> BaseResponse:
    """The stored xdomea package of an archive proposal, to send to the archive."""
    filename, chunks = disposition.export_package(ctx(), proposal_id)
    response = Response(chunks, mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blp.get("/aufbewahrung/vorschlaege/<uuid:proposal_id>/nachweis")
@signed_in
def retention_certificate(proposal_id: uuid.UUID) -> BaseResponse:
    """Nachweis: the certificate of a completed proposal, as PDF (or the signed JSON)."""
    if request.args.get("format") == "json":
        _, document = disposition.certificate(ctx(), proposal_id)
        response = Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")
        name = f"nachweis-{proposal_id}.json"
    else:
        pdf = disposition.certificate_pdf(ctx(), proposal_id)
        response = Response(pdf, mimetype="application/pdf")
        name = f"nachweis-{proposal_id}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
