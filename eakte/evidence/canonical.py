"""Canonical bytes of an audit event and of a checkpoint (RFC 8785 JSON, restricted).

Events hold only strings, integers, booleans, null, lists and objects with
ASCII keys; for those values RFC 8785 (JCS) is exactly: keys sorted, no
whitespace, UTF-8, no escaping beyond JSON's minimum. Floats are refused
(JCS number formatting is the one part Python's json does not match).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from json.encoder import encode_basestring
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


# What json.dumps(value, sort_keys=True, ...) builds on every call, built once.
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)

# canonical_event fills this template: the document's keys as sort_keys orders them.
_EVENT_KEYS = (
    "action",
    "actor",
    "client_address_hash",
    "department",
    "details",
    "object_id",
    "object_type",
    "occurred_at",
    "outcome",
    "request_id",
    "seq",
)
_EVENT_TEMPLATE = "{" + ",".join(f'"{key}":%s' for key in _EVENT_KEYS) + "}"
if tuple(sorted(EVENT_FIELDS)) != _EVENT_KEYS:  # canonical_event spells out both orders
    raise RuntimeError("canonical_event is out of step with EVENT_FIELDS")


def canonical_json(value: dict[str, Any]) -> bytes:
    _refuse_floats(value)
    return _ENCODER.encode(value).encode("utf-8")


def canonical_time(value: dt.datetime) -> str:
    """A moment as sealed bytes and checkpoints write it: UTC, microseconds, `Z`."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def event_document(fields: dict[str, Any]) -> dict[str, Any]:
    """Exactly the sealed fields of an event (the plain client address is not one)."""
    return {name: fields.get(name) for name in EVENT_FIELDS}


def canonical_event(values: Sequence[Any]) -> bytes:
    """canonical_json(event_document(fields)) for the event whose EVENT_FIELDS are `values`,
    in that order: the same bytes (or the same error), fast enough to verify a million events.

    It fills a fixed template instead of building, walking and sorting a dict per event,
    for what the columns hold: `seq` an int, `details` any JSON value (encoded exactly as
    canonical_json does), every other field a str or None, each str written as the encoder
    writes it. Anything else (a tampered row, say) takes the general way.
    """
    (
        seq,
        occurred_at,
        actor,
        action,
        object_type,
        object_id,
        department,
        outcome,
        request_id,
        client_address_hash,
        details,
    ) = values  # the order of EVENT_FIELDS (tests/unit/test_canonical.py holds them together)
    if type(seq) is int:
        text = encode_basestring  # raises TypeError for anything but a str
        try:
            head = (
                text(action),
                text(actor),
                "null" if client_address_hash is None else text(client_address_hash),
                "null" if department is None else text(department),
            )
            tail = (
                "null" if object_id is None else text(object_id),
                "null" if object_type is None else text(object_type),
                text(occurred_at),
                text(outcome),
                "null" if request_id is None else text(request_id),
                int.__repr__(seq),
            )
        except TypeError:
            pass
        else:
            if details is None:
                details_json = "null"
            else:
                _refuse_floats(details)  # the only field left that could hold a float
                details_json = _ENCODER.encode(details)
            return (_EVENT_TEMPLATE % (*head, details_json, *tail)).encode("utf-8")
    return canonical_json(event_document(dict(zip(EVENT_FIELDS, values, strict=True))))


def chain_hash(previous: bytes, leaf: bytes) -> bytes:
    """chain(seq) = SHA-256(chain(seq - 1) || leaf(seq)); chain(-1) is 32 zero bytes."""
    return hashlib.sha256(previous + leaf).digest()


_NESTED = (float, dict, list, tuple)  # what _refuse_floats has to look into or refuse


def _refuse_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("audit records hold no floats; store numbers as integers or strings")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise TypeError("audit record keys must be ASCII strings")
            if isinstance(item, _NESTED):  # no call for each string and number
                _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, _NESTED):
                _refuse_floats(item)
