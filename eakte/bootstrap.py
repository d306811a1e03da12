"""The composition root: the only place that turns settings into concrete adapters."""

from __future__ import annotations

from eakte.config import Settings
from eakte.db import make_engine, make_session_factory
from eakte.services.context import Ports


def build_ports(settings: Settings) -> Ports:
    engine = make_engine(
        settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    return Ports(settings=settings, session_factory=make_session_factory(engine))
