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

REPLAYED_HEADERS = ("Location", "ETag")


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
        fingerprint = _fingerprint()
        stored = idempotency.claim(ctx, key, fingerprint)
        if stored is not None:
            replay = Response(stored.body, status=stored.status_code, mimetype="application/json")
            replay.headers.update(stored.headers)
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
                {
                    name: response.headers[name]
                    for name in REPLAYED_HEADERS
                    if name in response.headers
                },
            ),
        )
        return response

    return wrapper


def _fingerprint() -> str:
    """What makes two requests "the same" for one key.

    Uploads are identified by their size and type, not their bytes: reading a
    large multipart body into memory just to hash it would defeat streaming.
    """
    if request.mimetype == "multipart/form-data":
        body = f"{request.content_type}:{request.content_length}".encode()
    else:
        body = request.get_data()
    return hashlib.sha256(
        b"\n".join([request.method.encode(), request.path.encode(), body])
    ).hexdigest()
