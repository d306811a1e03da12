"""The fast canonical encoder gives exactly the bytes of the general one (RFC 8785 subset)."""

from __future__ import annotations

import json

import pytest

from eakte.evidence.canonical import EVENT_FIELDS, canonical_event, canonical_json, event_document

BASE = {
    "seq": 7,
    "occurred_at": "2026-11-25T22:50:17.123456Z",
    "actor": "anna",
    "action": "case_file.read",
    "object_type": "case_file",
    "object_id": "0b9e2c3a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    "department": "32.1",
    "outcome": "allowed",
    "request_id": "r-1",
    "client_address_hash": "ab" * 32,
    "details": {"reference": "32.10-0001/2026", "count": 3, "nested": {"b": [1, "ä"], "a": None}},
}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"details": None},
        {"object_type": None, "object_id": None, "department": None, "request_id": None},
        {"actor": 'Jürgen "JJ" Öztürk\n\t\\', "action": "x\u2028y\U0001f600"},
        {"details": {"z": True, "a": False, "m": [], "k": {}}},
        {"seq": 0},
    ],
)
def test_fast_and_general_encoders_agree(change):
    fields = {**BASE, **change}
    fast = canonical_event([fields[name] for name in EVENT_FIELDS])
    assert fast == canonical_json(event_document(fields))
    assert json.loads(fast) == event_document(fields)


def test_floats_are_refused_by_both():
    fields = {**BASE, "details": {"ratio": 0.5}}
    with pytest.raises(TypeError):
        canonical_json(event_document(fields))
    with pytest.raises(TypeError):
        canonical_event([fields[name] for name in EVENT_FIELDS])
