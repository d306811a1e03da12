"""The auditor's view: sealed events, checkpoints, proofs, verification."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from eakte.api.schemas.common import ListQuery, UtcDateTime, choice_field
from eakte.models.vocabulary import Outcome, values


class AuditEventQuery(ListQuery):
    actor = fields.String(validate=validate.Length(max=80))
    action = fields.String(validate=validate.Length(max=64))
    object = fields.String(validate=validate.Length(max=64))
    object_type = fields.String(validate=validate.Length(max=32))
    department = fields.String(validate=validate.Length(max=32))
    outcome = choice_field(values(Outcome))
    since = UtcDateTime()
    until = UtcDateTime()


class AuditEventSchema(ma.Schema):
    seq = fields.Integer()
    occurred_at = UtcDateTime()
    actor = fields.String()
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    outcome = fields.String()
    request_id = fields.String(allow_none=True)
    client_address = fields.String(allow_none=True)
    client_address_hash = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True)
    leaf_hash = fields.Function(lambda e: e.leaf_hash.hex() if e.leaf_hash else None)


class ExportQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    format = choice_field(["jsonl", "csv"], load_default="jsonl")


class CheckpointSchema(ma.Schema):
    tree_size = fields.Integer()
    root_hash = fields.String()
    chain_hash = fields.String()
    issued_at = UtcDateTime()
    key_id = fields.String()
    body = fields.String(metadata={"description": "The exact signed bytes (UTF-8 JSON)"})
    signature = fields.String(metadata={"description": "Base64 DER ECDSA P-256/SHA-256"})


class CheckpointListSchema(ma.Schema):
    items = fields.List(fields.Nested(CheckpointSchema))
    next = fields.String(allow_none=True)


class ProofQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    tree_size = fields.Integer(load_default=None, validate=validate.Range(min=1))


class InclusionProofSchema(ma.Schema):
    leaf_index = fields.Integer()
    tree_size = fields.Integer()
    leaf_hash = fields.String()
    audit_path = fields.List(fields.String())
    root_hash = fields.String()


class ConsistencyQuery(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    first = fields.Integer(required=True, validate=validate.Range(min=1))
    second = fields.Integer(required=True, validate=validate.Range(min=1))


class ConsistencyProofSchema(ma.Schema):
    first = fields.Integer()
    second = fields.Integer()
    first_root = fields.String()
    second_root = fields.String()
    proof = fields.List(fields.String())


class UncoveredSchema(ma.Schema):
    events = fields.Integer(metadata={"description": "how many events are not yet signed"})
    first_seq = fields.Integer()
    last_seq = fields.Integer()
    first_occurred_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    last_occurred_at = fields.String(allow_none=True, metadata={"format": "date-time"})
    seconds = fields.Float(
        allow_none=True, metadata={"description": "the time from the first to the last of them"}
    )


class VerificationSchema(ma.Schema):
    ok = fields.Boolean()
    events_checked = fields.Integer()
    checkpoints_checked = fields.Integer()
    first_bad_seq = fields.Integer(allow_none=True)
    problem = fields.String(allow_none=True)
    notes = fields.List(fields.String())
    uncovered = fields.Nested(
        UncoveredSchema,
        allow_none=True,
        metadata={
            "description": "The events after the last signed checkpoint: only their hash "
            "chain could be checked, so a database administrator could still have rewritten "
            "them. null when a checkpoint covers every event (or the verification failed)."
        },
    )
