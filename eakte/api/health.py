"""Liveness and readiness, open to anyone (load balancers, monitoring)."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from eakte.api.requests import ports
from eakte.api.schemas.health import HealthSchema, ReadinessSchema
from eakte.services.health import ESSENTIAL, check_readiness, indexing_lag

blp = Blueprint("health", __name__, url_prefix="/api/v1/health", description="Health checks")


@blp.route("")
@blp.doc(security=[])
@blp.response(200, HealthSchema)
def health() -> dict[str, Any]:
    """The process is up (no dependency is checked)."""
    return {"status": "ok"}


@blp.route("/ready")
@blp.doc(security=[])
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema, description="The database or object store is down")
def ready() -> tuple[dict[str, Any], int, dict[str, Any]]:
    """Database, object store and search index, plus the indexing outbox's lag.

    503 with Retry-After when the database or the object store is down. A search
    engine that is down makes the node `degraded`, not unready: uploads still
    work and wait in the outbox, so the load balancer should keep sending them.
    """
    checks = check_readiness(ports())
    body = {"checks": checks, "outbox": indexing_lag(ports())}
    if any(checks[name] != "ok" for name in ESSENTIAL):
        return {"status": "unavailable", **body}, 503, {"Retry-After": "5"}
    status = "ready" if all(state == "ok" for state in checks.values()) else "degraded"
    return {"status": status, **body}, 200, {}
