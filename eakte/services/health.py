"""Readiness: can the dependencies be reached right now?"""

from __future__ import annotations

from sqlalchemy import text

from eakte.db import UNAVAILABLE_ERRORS
from eakte.services.context import Ports


def check_readiness(ports: Ports) -> dict[str, str]:
    """Map each dependency to "ok" or a short reason; never raises."""
    checks = {"database": _check_database(ports)}
    return checks


def _check_database(ports: Ports) -> str:
    try:
        with ports.session_factory() as session:
            session.execute(text("SELECT 1"))
    except UNAVAILABLE_ERRORS:
        return "unreachable"
    return "ok"
