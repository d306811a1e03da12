"""Canonical bytes of an audit event and of a checkpoint (RFC 8785 JSON, restricted).

Events hold only strings, integers, booleans, null, lists and objects with
ASCII keys; for those values RFC 8785 (JCS) is exactly: keys sorted, no
whitespace, UTF-8, no escaping beyond JSON's minimum. Floats are refused
(JCS number formatting is the one part Python's json does not match).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

ZERO_HASH = bytes(32)

EVENT_FIELDS = (
    "seq",
    "occurred_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "department",
    "outcome",
    "request_id",
    "client_address_hash",
    "details",
)


def canonical_json(value: dict[str, Any]) -> bytes:
    _refuse_floats(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_document(fields: dict[str, Any]) -> dict[str, Any]:
    """Exactly the sealed fields of an event (the plain client address is not one)."""
    return {name: fields.get(name) for name in EVENT_FIELDS}


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """chain(seq) = SHA-256(chain(seq - 1) || leaf(seq)); chain(-1) is 32 zero bytes."""
    return hashlib.sha256(previous + leaf).digest()


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("audit records hold no floats; store numbers as integers or strings")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise TypeError("audit record keys must be ASCII strings")
            _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)
