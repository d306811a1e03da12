"""`Idempotency-Key` on create calls: a retried POST gets the first answer again.

Only to a caller who may still make that call: before a stored answer is sent
again, the view's access rule is checked anew (a member who has left the
department gets the refusal a fresh request would get), and the replay is audited.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, request

from eakte.api.requests import context
from eakte.errors import InvalidInputError
from eakte.models.permissions import Access
from eakte.models.vocabulary import GlobalRole
from eakte.services import access, idempotency
from eakte.services.context import Context
from eakte.services.departments import named_department

REPLAYED_HEADERS = ("Location", "ETag")

# May the caller still make this call? Raises the (audited) refusal if not. Gets the
# view's path arguments and the stored answer.
Recheck = Callable[[Context, dict[str, Any], idempotency.StoredResponse], None]


def in_case_file(needed: Access, action: str) -> Recheck:
    """Creations inside the case file of the path: `needed` on it, as the service asks."""

    def recheck(ctx: Context, path: dict[str, Any], _: idempotency.StoredResponse) -> None:
        access.require_case_file(ctx, path["case_file_id"], needed, action)

    return recheck


def in_department(action: str, object_type: str) -> Recheck:
    """Creations in the department the request named (the stored answer repeats it)."""

    def recheck(ctx: Context, _: dict[str, Any], stored: idempotency.StoredResponse) -> None:
        unit = named_department(ctx, json.loads(stored.body)["department"])
        access.require_department_role(ctx, unit, Access.WRITE, action, object_type=object_type)

    return recheck


def with_global_role(role: GlobalRole, action: str, object_type: str) -> Recheck:
    def recheck(ctx: Context, _: dict[str, Any], __: idempotency.StoredResponse) -> None:
        access.require_global_role(ctx, role, action, object_type=object_type)

    return recheck


def idempotent(recheck: Recheck) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a create view (outermost decorator, so it sees the finished response)."""
    return functools.partial(_idempotent, recheck=recheck)


def _idempotent(view: Callable[..., Any], *, recheck: Recheck) -> Callable[..., Any]:
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
            recheck(ctx, kwargs, stored)
            idempotency.record_replay(ctx, request.endpoint or "", stored)
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
