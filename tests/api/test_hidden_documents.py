"""A document in a case file the caller may not read answers exactly like an unknown one."""

from __future__ import annotations

import uuid

from tests.api.support import add_version, upload
from tests.helpers import assert_problem, audit_events

ENDPOINTS = [
    ("get", "/documents/{id}"),
    ("get", "/documents/{id}/versions"),
    ("get", "/documents/{id}/content"),
    ("get", "/documents/{id}/versions/1/content"),
    ("post", "/documents/{id}/versions"),
]


def _answer(who, method: str, path: str, document_id: str) -> dict:
    posting = method == "post"
    response = (
        add_version(who, document_id, b"Neue Fassung")
        if posting
        else who.get(path.format(id=document_id))
    )
    body = assert_problem(response, 404, "not-found")
    body.pop("request_id")
    return body


def test_another_departments_document_is_indistinguishable_from_an_unknown_one(town, ports):
    case_file = town.case_file(title="Gaststättenerlaubnis Hirschwirt")
    document = upload(town.anna, case_file["id"], b"Bescheid").get_json()
    unknown = str(uuid.uuid4())
    for method, path in ENDPOINTS:
        hidden = _answer(town.ben, method, path, document["id"])
        missing = _answer(town.ben, method, path, unknown)
        assert hidden == {
            key: value.replace(unknown, document["id"]) if isinstance(value, str) else value
            for key, value in missing.items()
        }, path
        assert case_file["id"] not in str(hidden) and case_file["reference"] not in str(hidden)
    denied = [
        e
        for e in audit_events(ports, object_id=document["id"])
        if e.outcome == "denied" and e.actor == "ben"
    ]
    assert len(denied) == len(ENDPOINTS)  # the auditor still sees what was tried
    assert {e.department for e in denied} == {"32"}


def test_a_reader_who_may_not_write_still_gets_403_on_a_new_version(town):
    case_file = town.case_file()
    document = upload(town.anna, case_file["id"], b"Bescheid").get_json()
    assert_problem(add_version(town.carla, document["id"], b"x"), 403, "forbidden")
