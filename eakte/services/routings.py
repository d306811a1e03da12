"""Routings (Umlauf): a document version through stages of co-signature, final sign-off,
acknowledgement and processing."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from eakte.models import Routing
from eakte.models.vocabulary import RoutingState
from eakte.services.context import Context


def running_count(ctx: Context, case_file_id: uuid.UUID) -> int:
    """How many routings of the case file's documents are running."""
    return (
        ctx.session.scalar(
            select(func.count())
            .select_from(Routing)
            .where(Routing.case_file_id == case_file_id, Routing.state == RoutingState.RUNNING)
        )
        or 0
    )
