"""Retention: due files, legal holds, disposition proposals and their certificates."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields

from eakte.api.schemas.common import ListQuery, StrictBoolean, UtcDateTime, choice_field, text_field
from eakte.models.retention import REASON_MAX
from eakte.models.vocabulary import ProposalStatus, values


def _username_of(attribute: str) -> fields.Function:
    return fields.Function(lambda obj: getattr(getattr(obj, attribute), "username", None))


class DueQuery(ListQuery):
    as_of = fields.Date(
        metadata={
            "description": "The day to judge by (default today): due = retain_until before it"
        }
    )


class RunSchema(ma.Schema):
    as_of = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Default today; a later day only with dry_run (else 422)"},
    )
    dry_run = StrictBoolean(load_default=False)


class RunResultSchema(ma.Schema):
    as_of = fields.Date()
    dry_run = fields.Boolean()
    proposed = fields.Integer(metadata={"description": "Case files proposed (or that would be)"})
    held = fields.Integer(metadata={"description": "Due case files kept by a legal hold"})
    proposals = fields.List(fields.UUID())


class DueFileSchema(ma.Schema):
    case_file = fields.UUID(attribute="case_file.id")
    reference = fields.String(attribute="case_file.reference")
    title = fields.String(
        allow_none=True,
        metadata={
            "description": "null for a confidential case file the caller may not read "
            "(records managers see metadata, not what a title says about people)"
        },
    )
    confidential = fields.Boolean(attribute="case_file.confidential")
    department = fields.Function(lambda d: d.case_file.department.code)
    file_plan = fields.Function(lambda d: d.case_file.file_plan_node.code)
    disposition = fields.Function(lambda d: d.case_file.file_plan_node.disposition)
    closed_at = UtcDateTime(attribute="case_file.closed_at")
    retain_until = fields.Date(attribute="case_file.retain_until")
    held = fields.Boolean(metadata={"description": "An active legal hold keeps it"})
    proposed = fields.Boolean(metadata={"description": "In an undecided disposition proposal"})


class LegalHoldQuery(ListQuery):
    case_file = fields.UUID()
    active = fields.Boolean(
        truthy={"true"},
        falsy={"false"},
        metadata={"description": "true: not released; false: released"},
    )


class LegalHoldCreateSchema(ma.Schema):
    case_file = fields.UUID(required=True)
    reason = text_field(REASON_MAX, required=True)


class ReasonSchema(ma.Schema):
    reason = text_field(REASON_MAX, required=True)


class LegalHoldSchema(ma.Schema):
    id = fields.UUID()
    case_file = fields.UUID(attribute="case_file_id")
    reference = fields.String(attribute="case_file.reference")
    reason = fields.String()
    active = fields.Function(lambda h: h.released_at is None)
    placed_at = UtcDateTime()
    placed_by = _username_of("placed_by")
    released_at = UtcDateTime(allow_none=True)
    released_by = _username_of("released_by")
    release_reason = fields.String(allow_none=True)


class ArchiveConfirmationSchema(ma.Schema):
    not_imported = fields.List(
        fields.String(validate=lambda v: 0 < len(v) <= 64),
        load_default=list,
        metadata={"description": "References the archive did not take over (kept here)"},
    )


class ExportQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    format = choice_field(["xdomea"], required=True)


class ProposalQuery(ListQuery):
    status = choice_field(values(ProposalStatus))


class ProposalItemSchema(ma.Schema):
    case_file = fields.UUID(attribute="case_file_id")
    reference = fields.String()
    retain_until = fields.Date(allow_none=True)
    state = fields.String()
    note = fields.String(allow_none=True)


class ApprovalSchema(ma.Schema):
    by = fields.Function(lambda a: a.principal.username)
    at = UtcDateTime(attribute="approved_at")


class ProposalSchema(ma.Schema):
    id = fields.UUID()
    file_plan = fields.Function(lambda p: p.file_plan_node.code)
    disposition = fields.String()
    status = fields.String()
    as_of = fields.Date()
    created_at = UtcDateTime()
    created_by = fields.Function(
        lambda p: p.created_by.username if p.created_by else "system:retention-run"
    )
    approvals = fields.List(fields.Nested(ApprovalSchema))
    approvals_needed = fields.Function(lambda p: max(2 - len(p.approvals), 0))
    decided_at = UtcDateTime(allow_none=True)
    rejection_reason = fields.String(allow_none=True)
    completed_at = UtcDateTime(allow_none=True)
    items = fields.List(fields.Nested(ProposalItemSchema))


class CertificateQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    format = choice_field(["json", "pdf"], load_default="json")


class CertificateSchema(ma.Schema):
    certificate = fields.String(
        metadata={"description": "The signed bytes: canonical JSON (RFC 8785) of the certificate"}
    )
    signature = fields.String(metadata={"description": "Base64 DER ECDSA P-256/SHA-256"})
    key_id = fields.String()
    public_key = fields.String(metadata={"description": "PEM; the audit trail's signing key"})
