"""/api/v1/retention, /legal-holds, /disposition: the records manager's side of retention."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from flask import Response, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from eakte.api.requests import context
from eakte.api.schemas.common import page_of
from eakte.api.schemas.retention import (
    ArchiveConfirmationSchema,
    CertificateQuery,
    CertificateSchema,
    DueFileSchema,
    DueQuery,
    LegalHoldCreateSchema,
    LegalHoldQuery,
    LegalHoldSchema,
    ProposalQuery,
    ProposalSchema,
    ReasonSchema,
    RunResultSchema,
    RunSchema,
)
from eakte.models.vocabulary import ProposalStatus
from eakte.services import disposition, legal_holds, retention

blp = Blueprint("retention", __name__, url_prefix="/api/v1", description="Aufbewahrung")


@blp.route("/retention/due")
@blp.arguments(DueQuery, location="query")
@blp.response(200, page_of(DueFileSchema))
def due(query: dict[str, Any]) -> object:
    """Closed case files whose retention ran out by `as_of` (today), held or proposed or not.

    A confidential file's title is null unless the caller may read the file."""
    return retention.list_due(
        context(), as_of=query.get("as_of"), limit=query["limit"], cursor=query["cursor"]
    )


@blp.route("/retention/run", methods=["POST"])
@blp.arguments(RunSchema)
@blp.response(200, RunResultSchema)
def run(body: dict[str, Any]) -> object:
    """`eakte retention run` by a records manager, whose proposals carry their approval.

    `as_of` after today (the municipality's day) is refused (422) unless `dry_run`."""
    return retention.run_retention(context(), as_of=body["as_of"], dry_run=body["dry_run"])


@blp.route("/legal-holds")
class LegalHolds(MethodView):
    @blp.arguments(LegalHoldQuery, location="query")
    @blp.response(200, page_of(LegalHoldSchema))
    def get(self, query: dict[str, Any]) -> object:
        """Legal holds, oldest first; filter by case file and active/released."""
        return legal_holds.list_holds(
            context(),
            case_file_id=query.get("case_file"),
            active=query.get("active"),
            limit=query["limit"],
            cursor=query["cursor"],
        )

    @blp.arguments(LegalHoldCreateSchema)
    @blp.response(201, LegalHoldSchema)
    def post(self, body: dict[str, Any]) -> object:
        """Place a hold: the case file is not disposed of, whatever its date."""
        hold = legal_holds.place_hold(context(), body["case_file"], body["reason"])
        return hold, {"Location": url_for(".LegalHolds")}


@blp.route("/legal-holds/<uuid:hold_id>/release", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, LegalHoldSchema)
def release_hold(body: dict[str, Any], hold_id: uuid.UUID) -> object:
    """Release a hold, with the reason; the file is due again by its date."""
    return legal_holds.release_hold(context(), hold_id, body["reason"])


@blp.route("/disposition/proposals")
@blp.arguments(ProposalQuery, location="query")
@blp.response(200, page_of(ProposalSchema))
def proposals(query: dict[str, Any]) -> object:
    """Disposition proposals, newest first."""
    status = ProposalStatus(query["status"]) if query.get("status") else None
    return disposition.list_proposals(
        context(), status=status, limit=query["limit"], cursor=query["cursor"]
    )


@blp.route("/disposition/proposals/<uuid:proposal_id>")
@blp.response(200, ProposalSchema)
def proposal(proposal_id: uuid.UUID) -> object:
    """One proposal with its case files and approvals."""
    return disposition.get_proposal(context(), proposal_id)


@blp.route("/disposition/proposals/<uuid:proposal_id>/approve", methods=["POST"])
@blp.response(200, ProposalSchema)
def approve(proposal_id: uuid.UUID) -> object:
    """Approve (four eyes): the second records manager's approval executes the proposal."""
    return disposition.approve(context(), proposal_id)


@blp.route("/disposition/proposals/<uuid:proposal_id>/reject", methods=["POST"])
@blp.arguments(ReasonSchema)
@blp.response(200, ProposalSchema)
def reject(body: dict[str, Any], proposal_id: uuid.UUID) -> object:
    """Reject with a reason: the files stay and are not proposed again for the same date."""
    return disposition.reject(context(), proposal_id, body["reason"])


@blp.route("/disposition/proposals/<uuid:proposal_id>/archive-confirmation", methods=["POST"])
@blp.arguments(ArchiveConfirmationSchema)
@blp.response(200, ProposalSchema)
def confirm_archive(body: dict[str, Any], proposal_id: uuid.UUID) -> object:
    """The archive's import confirmation (xdomea 0506): what it took over is destroyed here."""
    return disposition.confirm_archive(context(), proposal_id, not_imported=body["not_imported"])


@blp.route("/disposition/proposals/<uuid:proposal_id>/export")
@blp.response(200, content_type="application/zip")
def export_package(proposal_id: uuid.UUID) -> Response:
    """The xdomea 0503 package of an archive proposal, as stored for the archive."""
    return zip_download(*disposition.export_package(context(), proposal_id))


def zip_download(filename: str, chunks: Iterator[bytes]) -> Response:
    response = Response(chunks, mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blp.route("/disposition/proposals/<uuid:proposal_id>/certificate")
@blp.arguments(CertificateQuery, location="query")
@blp.response(200, CertificateSchema)
@blp.alt_response(200, content_type="application/pdf", description="with ?format=pdf")
def certificate(query: dict[str, Any], proposal_id: uuid.UUID) -> object:
    """The signed destruction (or handover) certificate of a completed proposal; JSON or PDF."""
    if query["format"] == "json":
        return disposition.certificate(context(), proposal_id)[1]
    response = Response(
        disposition.certificate_pdf(context(), proposal_id), mimetype="application/pdf"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="nachweis-{proposal_id}.pdf"'
    return response
