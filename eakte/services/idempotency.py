"""Idempotency keys: a repeated create call with the same key gets the first answer again.

The key is claimed in its own committed transaction before the work starts,
so two concurrent requests with one key cannot both create; a request that
fails gives its claim back so that the client's retry can succeed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from eakte.errors import IdempotencyConflictError
from eakte.models import IdempotencyRecord
from eakte.services import audit
from eakte.services.context import Context

# A claim whose request died without answering is given up after this long.
STALE_CLAIM = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: str
    headers: dict[str, str]


def claim(ctx: Context, key: str, fingerprint: str) -> StoredResponse | None:
    """Claim `key` for this request, or return the answer stored for it earlier."""
    assert ctx.actor is not None
    session = ctx.session
    record = session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == ctx.actor.id, IdempotencyRecord.key == key
        )
    )
    if record is not None:
        if record.fingerprint != fingerprint:
            raise IdempotencyConflictError(
                "this Idempotency-Key was used for a different request; use a new key"
            )
        if record.status_code is not None:
            return StoredResponse(
                record.status_code, record.response_body or "", dict(record.response_headers or {})
            )
        if ctx.now() - record.created_at < STALE_CLAIM:
            raise IdempotencyConflictError(
                "a request with this Idempotency-Key is still in progress; retry later"
            )
        session.delete(record)
        session.flush()
    session.add(
        IdempotencyRecord(
            principal_id=ctx.actor.id, key=key, fingerprint=fingerprint, created_at=ctx.now()
        )
    )
    try:
        ctx.commit()
    except IntegrityError:
        session.rollback()
        raise IdempotencyConflictError(
            "a request with this Idempotency-Key is still in progress; retry later"
        ) from None
    return None


def record_replay(ctx: Context, endpoint: str, stored: StoredResponse) -> None:
    """Audit that a stored answer was sent again (after its access rule was checked anew).

    Names the call and what it created, never the key or the body.
    """
    audit.record(
        ctx,
        "idempotency.replay",
        object_type="endpoint",
        object_id=endpoint,
        details={"location": stored.headers.get("Location"), "status": stored.status_code},
    )
    ctx.commit()


def complete(ctx: Context, key: str, response: StoredResponse) -> None:
    assert ctx.actor is not None
    record = ctx.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == ctx.actor.id, IdempotencyRecord.key == key
        )
    )
    if record is not None:
        record.status_code = response.status_code
        record.response_body = response.body
        record.response_headers = response.headers
        ctx.commit()


def release(ctx: Context, key: str) -> None:
    """Give the key back after a failed request (only our own unfinished claim)."""
    assert ctx.actor is not None
    ctx.session.rollback()
    ctx.session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.principal_id == ctx.actor.id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.status_code.is_(None),
        )
    )
    ctx.commit()
