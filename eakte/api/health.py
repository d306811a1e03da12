"""Liveness and readiness, open to anyone (load balancers, monitoring)."""

from __future__ import annotations

from flask_smorest import Blueprint

from eakte.api.requests import ports
from eakte.services.health import check_readiness

blp = Blueprint("health", __name__, url_prefix="/api/v1/health", description="Health checks")


@blp.route("")
@blp.doc(security=[])
def health() -> dict:
    """The process is up (no dependency is checked)."""
    return {"status": "ok"}


@blp.route("/ready")
@blp.doc(security=[])
def ready() -> tuple[dict, int, dict]:
    """Database, object store and index can be reached: 200, else 503 with Retry-After."""
    checks = check_readiness(ports())
    if all(state == "ok" for state in checks.values()):
        return {"status": "ready", "checks": checks}, 200, {}
    return {"status": "unavailable", "checks": checks}, 503, {"Retry-After": "5"}
