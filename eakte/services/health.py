"""Readiness: can the dependencies be reached right now?"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text

from eakte.db import UNAVAILABLE_ERRORS
from eakte.errors import EakteError
from eakte.services import audit_sealing, indexing
from eakte.services.context import Ports

# Without these nothing works; without search only searching does (uploads queue up).
ESSENTIAL = ("database", "storage")


def check_readiness(ports: Ports) -> dict[str, str]:
    """Map each dependency to "ok" or a short reason; never raises."""
    return {
        "database": _check_database(ports),
        "storage": _probe(ports.blob_store.check),
        "search": _probe(ports.search_index.check),
    }


def indexing_lag(ports: Ports) -> dict[str, object] | None:
    """The outbox: how many changes wait for the index and for how long; None if unknown."""
    try:
        return indexing.outbox_lag(ports).as_dict()
    except UNAVAILABLE_ERRORS:
        return None


def operational_gauges(ports: Ports) -> dict[str, tuple[str, float | None]]:
    """Deployment-wide queue figures for /metrics: {name: (help, value or None)}."""
    try:
        outbox = indexing.outbox_lag(ports)
        sealing = audit_sealing.sealing_lag(ports)
    except UNAVAILABLE_ERRORS:
        return {"eakte_database_up": ("1 when the database answers", 0.0)}
    return {
        "eakte_database_up": ("1 when the database answers", 1.0),
        "eakte_outbox_pending": ("Changes waiting for the search index", outbox.pending),
        "eakte_outbox_failing": ("Outbox rows whose last attempt failed", outbox.failing),
        "eakte_outbox_lag_seconds": (
            "Age of the oldest change waiting for the search index",
            outbox.oldest_seconds or 0.0,
        ),
        "eakte_audit_unsealed_events": ("Audit events not yet sealed", sealing.pending),
        "eakte_audit_sealing_lag_seconds": (
            "Age of the oldest audit event not yet sealed",
            sealing.oldest_seconds or 0.0,
        ),
    }


def _check_database(ports: Ports) -> str:
    try:
        with ports.session_factory() as session:
            session.execute(text("SELECT 1"))
    except UNAVAILABLE_ERRORS:
        return "unreachable"
    return "ok"


def _probe(check: Callable[[], None]) -> str:
    try:
        check()
    except EakteError as error:
        return error.code
    return "ok"
