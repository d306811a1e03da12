"""Readiness: can the dependencies be reached right now?"""

from __future__ import annotations

from sqlalchemy import text

from eakte.db import UNAVAILABLE_ERRORS
from eakte.errors import EakteError
from eakte.services.context import Ports


def check_readiness(ports: Ports) -> dict[str, str]:
    """Map each dependency to "ok" or a short reason; never raises."""
    return {"database": _check_database(ports), "storage": _check_storage(ports)}


def _check_database(ports: Ports) -> str:
    try:
        with ports.session_factory() as session:
            session.execute(text("SELECT 1"))
    except UNAVAILABLE_ERRORS:
        return "unreachable"
    return "ok"


def _check_storage(ports: Ports) -> str:
    try:
        ports.blob_store.check()
    except EakteError as error:
        return error.code
    return "ok"
