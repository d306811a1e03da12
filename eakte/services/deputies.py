"""Vertretung: who acts on an absent person's tasks, from–until."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from eakte.models import Deputy
from eakte.services.context import Context


def deputised_by(ctx: Context, day: dt.date) -> list[uuid.UUID]:
    """The principals the caller stands in for on `day` (both ends of a period count)."""
    if ctx.actor is None:
        return []
    return list(
        ctx.session.scalars(
            select(Deputy.principal_id).where(
                Deputy.deputy_id == ctx.actor.id,
                Deputy.valid_from <= day,
                Deputy.valid_until >= day,
            )
        )
    )
