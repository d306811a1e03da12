"""/api/v1/audit: the auditor's API (role `auditor` only; every query is itself audited)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from eakte.api.requests import context
from eakte.api.schemas.audit import (
    AuditEventQuery,
    AuditEventSchema,
    CheckpointListSchema,
    CheckpointSchema,
    ConsistencyProofSchema,
    ConsistencyQuery,
    ExportQuery,
    InclusionProofSchema,
    ProofQuery,
    VerificationSchema,
)
from eakte.api.schemas.common import page_of
from eakte.services import audit_queries, audit_verification

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Protokoll")

MEDIA = {"jsonl": "application/jsonl", "csv": "text/csv"}


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(AuditEventQuery, location="query")
    @blp.response(200, page_of(AuditEventSchema))
    def get(self, query: dict[str, Any]) -> object:
        """Sealed events, oldest first; filter by actor, action, object, outcome, time."""
        limit, cursor = query.pop("limit"), query.pop("cursor")
        return audit_queries.list_events(context(), filters=query, limit=limit, cursor=cursor)


@blp.route("/export")
class Export(MethodView):
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, content_type="application/jsonl")
    def get(self, query: dict[str, Any]) -> Response:
        """Every sealed event, streamed: JSON Lines (with canonical bytes and hashes) or CSV."""
        fmt = query["format"]
        lines = audit_queries.export_events(context(), fmt=fmt)
        response = Response(lines, mimetype=MEDIA[fmt])
        response.headers["Content-Disposition"] = f'attachment; filename="audit-export.{fmt}"'
        return response


@blp.route("/checkpoints")
class Checkpoints(MethodView):
    @blp.response(200, CheckpointListSchema)
    def get(self) -> object:
        """All signed checkpoints, smallest tree first."""
        return {"items": audit_queries.list_checkpoints(context()), "next": None}


@blp.route("/checkpoints/latest")
class LatestCheckpoint(MethodView):
    @blp.response(200, CheckpointSchema)
    def get(self) -> object:
        """The newest signed checkpoint."""
        return audit_queries.latest_checkpoint(context())


@blp.route("/public-key")
class PublicKey(MethodView):
    @blp.response(200, content_type="application/x-pem-file")
    def get(self) -> Response:
        """The PEM public key that verifies checkpoint signatures (ECDSA P-256)."""
        return Response(audit_queries.public_key(context()), mimetype="application/x-pem-file")


@blp.route("/events/<int:seq>/proof")
class InclusionProof(MethodView):
    @blp.arguments(ProofQuery, location="query")
    @blp.response(200, InclusionProofSchema)
    def get(self, query: dict[str, Any], seq: int) -> object:
        """RFC 6962 inclusion proof of event `seq` (tree_size defaults to the latest checkpoint)."""
        return audit_verification.inclusion_proof(context(), seq, query["tree_size"])


@blp.route("/consistency")
class Consistency(MethodView):
    @blp.arguments(ConsistencyQuery, location="query")
    @blp.response(200, ConsistencyProofSchema)
    def get(self, query: dict[str, Any]) -> object:
        """RFC 6962 consistency proof between tree sizes `first` and `second`."""
        return audit_verification.consistency_proof(context(), query["first"], query["second"])


@blp.route("/verify")
class Verify(MethodView):
    @blp.response(200, VerificationSchema)
    def get(self) -> object:
        """Recompute chain and tree against every signed checkpoint; name the first bad seq."""
        return audit_verification.verify_trail(context()).as_dict()
