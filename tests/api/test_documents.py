"""Documents: encrypted versions, verified streamed downloads, ranges, rotation, shredding.

Runs against every object store backend (`store` fixture) and both databases.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import os
import uuid

import pytest

from eakte.models import DocumentVersion
from eakte.services import keys
from eakte.services.storage_checks import sweep_orphans, verify_storage
from tests.api.support import add_version, post_multipart, stored_version, upload
from tests.conftest import s3_settings
from tests.helpers import assert_problem, audit_events, table_counts

FIVE_MIB = 5 * 1024 * 1024


def raw_object(ports, document_id: str, number: int = 1) -> bytes:
    return b"".join(ports.blob_store.get(stored_version(ports, document_id, number).object_key))


def overwrite_object(ports, document_id: str, data: bytes, number: int = 1) -> None:
    key = stored_version(ports, document_id, number).object_key
    ports.blob_store.put(key, [data], length=len(data))


@pytest.fixture(params=["file", "s3"])
def storage_env(request):
    """Every test here runs on the file store and on a real S3 server (SeaweedFS)."""
    if request.param == "file":
        return {}
    return s3_settings(request.getfixturevalue("s3_server"), request.getfixturevalue("s3_bucket"))


@pytest.fixture
def case_file(town):
    return town.case_file()


@pytest.fixture
def five_mib(town, case_file):
    data = os.urandom(FIVE_MIB)
    response = upload(town.anna, case_file["id"], data, title="Bauzeichnung")
    assert response.status_code == 201, response.get_json()
    return data, response.get_json()


def test_upload_and_download_are_byte_identical_with_repr_digest(town, five_mib):
    data, document = five_mib
    assert document["latest_version"] == 1 and document["title"] == "Bauzeichnung"
    response = town.anna.get(f"/documents/{document['id']}/content")
    assert response.status_code == 200
    assert response.data == data
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert response.headers["Repr-Digest"] == f"sha-256=:{digest}:"
    assert response.headers["Content-Length"] == str(FIVE_MIB)
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Accept-Ranges"] == "bytes"
    assert 'filename="antrag.bin"' in response.headers["Content-Disposition"]


def test_the_stored_object_holds_no_run_of_the_plaintext(town, case_file, ports):
    sentence = b"Antrag auf Erteilung einer Baugenehmigung fuer das Grundstueck Lindenhof 4. "
    data = sentence * (FIVE_MIB // len(sentence))
    document = upload(town.anna, case_file["id"], data).get_json()
    stored = raw_object(ports, document["id"])
    assert len(stored) > len(data)
    windows = {data[i : i + 64] for i in range(len(sentence))}  # every 64-byte run there is
    assert not any(window in stored for window in windows)


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=1048570-2097160", 1048570, 2097160),
        ("bytes=-100", FIVE_MIB - 100, FIVE_MIB - 1),
        ("bytes=5000000-", 5000000, FIVE_MIB - 1),
    ],
)
def test_a_range_request_returns_exactly_those_bytes(town, five_mib, header, first, last):
    data, document = five_mib
    response = town.anna.get(f"/documents/{document['id']}/content", headers={"Range": header})
    assert response.status_code == 206
    assert response.data == data[first : last + 1]
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{FIVE_MIB}"


def test_an_unsatisfiable_range_is_416_with_the_size(town, five_mib):
    _, document = five_mib
    response = town.anna.get(
        f"/documents/{document['id']}/content", headers={"Range": f"bytes={FIVE_MIB}-"}
    )
    assert_problem(response, 416, "range-not-satisfiable")
    assert response.headers["Content-Range"] == f"bytes */{FIVE_MIB}"


def test_if_range_with_an_old_etag_sends_the_whole_content(town, five_mib):
    data, document = five_mib
    response = town.anna.get(
        f"/documents/{document['id']}/content",
        headers={"Range": "bytes=0-9", "If-Range": '"not-the-current-etag"'},
    )
    assert response.status_code == 200 and response.data == data


def test_if_range_with_the_current_etag_sends_the_range_and_an_older_one_all(town, five_mib):
    data, document = five_mib
    url = f"/documents/{document['id']}/content"
    etag = town.anna.get(url, headers={"Range": "bytes=0-0"}).headers["ETag"]
    response = town.anna.get(url, headers={"Range": "bytes=0-9", "If-Range": f" {etag} "})
    assert response.status_code == 206 and response.data == data[:10]
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    assert add_version(town.anna, document["id"], pdf, filename="antrag.pdf").status_code == 201
    response = town.anna.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert response.status_code == 200 and response.data == pdf


def test_a_new_version_leaves_the_first_one_downloadable(town, five_mib):
    data, document = five_mib
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    added = add_version(town.anna, document["id"], pdf, filename="antrag.pdf")
    assert added.status_code == 201
    assert added.get_json()["number"] == 2
    assert town.anna.get(f"/documents/{document['id']}/content").data == pdf
    assert town.anna.get(f"/documents/{document['id']}/versions/1/content").data == data
    assert town.anna.get(f"/documents/{document['id']}/versions/2/content").data == pdf
    versions = town.anna.get(f"/documents/{document['id']}/versions").get_json()["items"]
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["media_type"] == "application/pdf"  # detected, not taken from the name
    assert versions[1]["filename"] == "antrag.pdf"
    assert versions[1]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert versions[0]["size"] == FIVE_MIB and versions[0]["created_by"] == "anna"
    assert town.anna.get(f"/documents/{document['id']}").get_json()["latest_version"] == 2
    assert_problem(town.anna.get(f"/documents/{document['id']}/versions/3/content"), 404)


def test_flipping_one_stored_byte_makes_the_download_fail_cleanly(town, five_mib, ports):
    _, document = five_mib
    stored = bytearray(raw_object(ports, document["id"]))
    stored[len(stored) // 2] ^= 0x01
    overwrite_object(ports, document["id"], bytes(stored))
    response = town.anna.get(f"/documents/{document['id']}/content")
    body = assert_problem(response, 500, "integrity-failure")
    assert "integrity" in body["detail"]
    failures = audit_events(ports, action="integrity_failure")
    assert len(failures) == 1 and failures[0].outcome == "failed"
    assert failures[0].actor == "anna"


def test_a_stored_object_swapped_with_another_version_is_detected(town, case_file, ports):
    first = upload(town.anna, case_file["id"], b"Erster Bescheid" * 1000).get_json()
    second = upload(town.anna, case_file["id"], b"Zweiter Bescheid" * 1000).get_json()
    overwrite_object(ports, first["id"], raw_object(ports, second["id"]))
    assert_problem(town.anna.get(f"/documents/{first['id']}/content"), 500, "integrity-failure")


def test_everything_still_downloads_after_key_rotation(town, five_mib, ports, system):
    data, document = five_mib
    old_key = stored_version(ports, document["id"]).kek_id
    result = keys.rotate_keys(system)
    assert result.rewrapped == 1 and result.new_key_id != old_key
    assert stored_version(ports, document["id"]).kek_id == result.new_key_id
    keys.retire_key(system, old_key)  # nothing needs the old key any more
    assert old_key not in ports.keyring.key_ids()
    assert town.anna.get(f"/documents/{document['id']}/content").data == data


def test_another_department_gets_404_on_document_versions_and_content(town, five_mib):
    _, document = five_mib
    for path in ("", "/versions", "/content", "/versions/1/content"):
        assert_problem(town.ben.get(f"/documents/{document['id']}{path}"), 404, "not-found")
    response = add_version(town.ben, document["id"], b"Unterschoben")
    assert_problem(response, 404, "not-found")


def test_a_reader_downloads_but_cannot_upload(town, case_file, five_mib, ports):
    data, document = five_mib
    assert town.carla.get(f"/documents/{document['id']}/content").data == data
    before = table_counts(ports)
    assert_problem(upload(town.carla, case_file["id"], b"Neu"), 403, "forbidden")
    assert_problem(add_version(town.carla, document["id"], b"Neu"), 403, "forbidden")
    assert table_counts(ports) == before


def test_every_read_of_content_is_an_audit_event(town, five_mib, ports):
    _, document = five_mib
    town.anna.get(f"/documents/{document['id']}/content")
    town.carla.get(f"/documents/{document['id']}/content", headers={"Range": "bytes=0-9"})
    town.ben.get(f"/documents/{document['id']}/content")
    events = audit_events(ports, action="document.download")
    assert [(e.actor, e.outcome) for e in events] == [
        ("anna", "allowed"),
        ("carla", "allowed"),
        ("ben", "denied"),
    ]
    assert events[1].details["range"] == "0-9"


def test_a_closed_case_file_takes_no_new_documents_or_versions(town, case_file, five_mib, ports):
    _, document = five_mib
    assert town.anna.post(f"/case-files/{case_file['id']}/close").status_code == 200
    before = table_counts(ports)
    assert_problem(upload(town.anna, case_file["id"], b"Nachtrag"), 409, "case-file-closed")
    assert_problem(add_version(town.anna, document["id"], b"Nachtrag"), 409, "case-file-closed")
    assert table_counts(ports) == before


def test_missing_or_empty_file_is_refused_and_nothing_is_written(town, case_file, ports):
    before = table_counts(ports)
    missing = post_multipart(town.anna, f"/case-files/{case_file['id']}/documents", {"title": "x"})
    body = assert_problem(missing, 400, "bad-request")
    assert "file" in body["detail"]
    assert_problem(upload(town.anna, case_file["id"], b""), 422, "invalid-input")
    assert table_counts(ports) == before


def test_an_upload_over_the_limit_is_413_and_nothing_is_written(town, case_file, ports):
    ports.settings = dataclasses.replace(ports.settings, max_upload_bytes=64 * 1024)
    before = table_counts(ports)
    assert_problem(upload(town.anna, case_file["id"], os.urandom(100 * 1024)), 413)
    assert table_counts(ports) == before
    assert upload(town.anna, case_file["id"], os.urandom(60 * 1024)).status_code == 201


def test_a_process_from_another_case_file_is_refused(town, case_file):
    other = town.case_file()
    process = town.anna.post(
        f"/case-files/{other['id']}/processes", {"title": "Anhörung"}
    ).get_json()
    response = upload(town.anna, case_file["id"], b"Inhalt", process=process["id"])
    assert_problem(response, 422, "invalid-input")
    own = town.anna.post(
        f"/case-files/{case_file['id']}/processes", {"title": "Anhörung"}
    ).get_json()
    document = upload(town.anna, case_file["id"], b"Inhalt", process=own["id"]).get_json()
    assert document["process"] == own["id"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("Bescheid\x1b[31m\x07.pdf", "Bescheid[31m.pdf"),
        ("...", "dokument"),
        ("Übersicht Straßenplan.pdf", "Übersicht Straßenplan.pdf"),
    ],
)
def test_file_names_are_sanitised(town, case_file, sent, kept):
    document = upload(town.anna, case_file["id"], b"Inhalt", filename=sent).get_json()
    versions = town.anna.get(f"/documents/{document['id']}/versions").get_json()["items"]
    assert versions[0]["filename"] == kept
    disposition = town.anna.get(f"/documents/{document['id']}/content").headers[
        "Content-Disposition"
    ]
    assert "\r" not in disposition and "\n" not in disposition
    assert document["title"] == kept  # the title defaults to the file name


def test_a_shredded_version_is_gone_for_good(town, five_mib, ports, system):
    _, document = five_mib
    version = stored_version(ports, document["id"])
    keys.shred_version(system, version.id, reason="test")
    assert_problem(town.anna.get(f"/documents/{document['id']}/content"), 410, "gone")
    listed = town.anna.get(f"/documents/{document['id']}/versions").get_json()["items"]
    assert listed[0]["destroyed"] is True
    with ports.session_factory() as session:
        assert session.get(DocumentVersion, version.id).wrapped_key is None


def test_verify_storage_finds_an_altered_object(town, five_mib, ports, system):
    _, document = five_mib
    assert verify_storage(system).failures == []
    stored = bytearray(raw_object(ports, document["id"]))
    stored[-1] ^= 0xFF
    overwrite_object(ports, document["id"], bytes(stored))
    report = verify_storage(system)
    assert report.checked == 1
    assert [version_id for version_id, _ in report.failures] == [
        str(stored_version(ports, document["id"]).id)
    ]


def test_sweep_removes_old_orphans_and_keeps_every_referenced_object(
    town, five_mib, ports, system, clock
):
    data, document = five_mib
    orphan = f"v1/{uuid.uuid4()}"
    ports.blob_store.put(orphan, [b"left over from a crashed upload"], length=31)
    assert sweep_orphans(system) == []  # too young: it may belong to an upload in flight
    clock.advance(hours=25)
    assert sweep_orphans(system) == [orphan]
    clock.advance(hours=25)
    assert sweep_orphans(system) == []
    assert town.anna.get(f"/documents/{document['id']}/content").data == data


def test_a_failure_after_the_object_is_written_leaves_no_row_and_no_object(
    town, case_file, ports, monkeypatch
):
    from eakte.services import documents

    def broken_row(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(documents, "_version_row", broken_row)
    before = table_counts(ports)
    response = upload(town.anna, case_file["id"], b"Inhalt" * 100)
    assert response.status_code == 500
    assert table_counts(ports) == before
    tomorrow = ports.clock() + dt.timedelta(days=1)
    assert list(ports.blob_store.keys_older_than("v1", tomorrow)) == []


def test_the_openapi_document_describes_the_document_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    upload_body = paths["/api/v1/case-files/{case_file_id}/documents"]["post"]["requestBody"]
    ref = upload_body["content"]["multipart/form-data"]["schema"]["$ref"]
    parts = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]
    assert {"file", "title", "process"} <= set(parts)
    assert parts["file"]["format"] == "binary"
    for path in (
        "/api/v1/documents/{document_id}",
        "/api/v1/documents/{document_id}/versions",
        "/api/v1/documents/{document_id}/content",
        "/api/v1/documents/{document_id}/versions/{number}/content",
    ):
        assert "get" in paths[path], path
