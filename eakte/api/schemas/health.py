"""Liveness and readiness answers."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class HealthSchema(ma.Schema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})


class OutboxLagSchema(ma.Schema):
    pending = fields.Integer(required=True)
    oldest_seconds = fields.Float(required=True, allow_none=True)
    failing = fields.Integer(required=True)


class ReadinessSchema(ma.Schema):
    status = fields.String(required=True, metadata={"enum": ["ready", "degraded", "unavailable"]})
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "`ok` or why not, per dependency (database, storage, search)"},
    )
    outbox = fields.Nested(
        OutboxLagSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The indexing outbox; null when the database is unreachable"},
    )
