"""`Idempotency-Key` on create calls: a retried POST gets the first answer again."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from flask import Response, request

from eakte.api.requests import context
from eakte.errors import InvalidInputError
from eakte.services import idempotency


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a create view (outermost decorator, so it sees the finished response)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 255 or not key.isprintable():
            raise InvalidInputError("Idempotency-Key must be 1-255 printable characters")
        ctx = context()
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), request.get_data()])
        ).hexdigest()
        stored = idempotency.claim(ctx, key, fingerprint)
        if stored is not None:
            replay = Response(stored.body, status=stored.status_code, mimetype="application/json")
            if stored.location:
                replay.headers["Location"] = stored.location
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = view(*args, **kwargs)
        except BaseException:
            idempotency.release(ctx, key)
            raise
        idempotency.complete(
            ctx,
            key,
            idempotency.StoredResponse(
                response.status_code,
                response.get_data(as_text=True),
                response.headers.get("Location"),
            ),
        )
        return response

    return wrapper
