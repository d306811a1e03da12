"""Erasing old plain client addresses from the audit trail (their keyed hash stays sealed)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import CursorResult, update

from eakte.models import AuditEvent
from eakte.services.context import Ports


def pseudonymise_addresses(ports: Ports) -> int:
    """Erase plain client addresses older than the configured days; return how many."""
    days = ports.settings.audit_address_days
    cutoff = ports.clock() - dt.timedelta(days=days)
    with ports.session_factory() as session, session.begin():
        result = cast(
            CursorResult[Any],
            session.execute(
                update(AuditEvent)
                .where(AuditEvent.occurred_at < cutoff, AuditEvent.client_address.is_not(None))
                .values(client_address=None)
            ),
        )
    return result.rowcount or 0
