"""The fast ways to the canonical bytes give exactly those of the general one (RFC 8785 subset):
the event encoder, and verification's reading of SQLite's stored times."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.dialects import sqlite

from eakte.evidence.canonical import (
    EVENT_FIELDS,
    canonical_event,
    canonical_json,
    canonical_time,
    event_document,
)
from eakte.services.audit_verification import _time_loader, sealed_time

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


@pytest.mark.parametrize(
    "stored",
    ["2026-11-25 22:50:17.123456", "2024-02-29 00:00:00.000000", "2026-02-30 12:00:00.000000"],
)
def test_sqlite_times_take_the_short_way_to_the_same_text(stored):
    # What SQLite stores for a UTCDateTime; the last one is no real moment.
    load_time = _time_loader(sqlite.dialect())
    try:
        expected = canonical_time(load_time(stored))
    except ValueError:
        with pytest.raises(ValueError):
            sealed_time(stored, load_time)
    else:
        assert sealed_time(stored, load_time) == expected
        assert expected == f"{stored[:10]}T{stored[11:]}Z"
