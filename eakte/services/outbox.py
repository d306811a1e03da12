"""The promise, written in the use case's own transaction, that the search index will follow."""

from __future__ import annotations

import uuid

from eakte.models import SearchOutbox
from eakte.models.vocabulary import OutboxKind
from eakte.services.context import Context


def document_changed(ctx: Context, document_id: uuid.UUID) -> None:
    """Index the document again (text and all), or drop it if it is gone or destroyed."""
    _enqueue(ctx, OutboxKind.DOCUMENT, document_id)


def case_file_changed(ctx: Context, case_file_id: uuid.UUID) -> None:
    """Refresh what every document of the case file carries: title, reference, access keys."""
    _enqueue(ctx, OutboxKind.CASE_FILE, case_file_id)


def _enqueue(ctx: Context, kind: OutboxKind, target_id: uuid.UUID) -> None:
    now = ctx.now()
    ctx.session.add(SearchOutbox(kind=kind, target_id=target_id, created_at=now, available_at=now))
