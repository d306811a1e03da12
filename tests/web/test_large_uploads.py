"""The web client takes files as large as the API does, and says the limit when one is larger."""

from __future__ import annotations

import dataclasses
import hashlib
import os

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.helpers import table_counts
from tests.web.support import csrf, document_ids, file_stream, page_of

MIB = 1024 * 1024
SCRIPT = {"X-Requested-With": "XMLHttpRequest"}


def post_file(client, path: str, page: str, content: bytes, name: str, headers=None):
    """A multipart form built in memory: the test client would spool a large body to an
    unclosed temporary file of its own."""
    boundary, body = encode_multipart(
        {"csrf": csrf(page), "datei": FileStorage(file_stream(content), filename=name)},
        boundary="eakte-test-grenze",
    )
    return client.post(
        path,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=headers or {},
    )


def upload(client, akte: dict, content: bytes, name: str, headers=None):
    page = page_of(client, f"/akten/{akte['id']}")
    return post_file(client, f"/akten/{akte['id']}/dokumente", page, content, name, headers)


@pytest.fixture
def anna(browser_for):
    return browser_for("anna")


@pytest.fixture
def akte(town):
    return town.case_file(title="Bauantrag Lindenstraße 4")


def test_a_file_over_one_mib_uploads_through_the_form_and_the_script(anna, akte, town) -> None:
    scanned = os.urandom(3 * MIB + 17)
    response = upload(anna, akte, scanned, "bauantrag-scan.pdf")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = page_of(anna, response.headers["Location"])
    (document_id,) = document_ids(page)
    assert "bauantrag-scan.pdf" in page and "3,0 MB" in page
    stored = town.anna.get(f"/documents/{document_id}/content")
    assert hashlib.sha256(stored.data).digest() == hashlib.sha256(scanned).digest()

    by_script = upload(anna, akte, os.urandom(2 * MIB), "lageplan.tif", SCRIPT)
    assert by_script.status_code == 200, by_script.get_data(as_text=True)
    assert by_script.get_json()["document"] in page_of(anna, f"/akten/{akte['id']}")

    second = os.urandom(int(1.5 * MIB))
    version = post_file(
        anna, f"/dokumente/{document_id}/versionen", page, second, "bauantrag-scan-2.pdf"
    )
    assert version.status_code == 302, version.get_data(as_text=True)
    assert "Version 2 wurde hochgeladen" in page_of(anna, version.headers["Location"])


def test_a_file_over_the_limit_is_refused_with_the_limit_and_nothing_is_written(
    anna, akte, ports
) -> None:
    ports.settings = dataclasses.replace(ports.settings, max_upload_bytes=int(1.5 * MIB))
    page = page_of(anna, f"/akten/{akte['id']}")
    assert "Höchstens 1,5 MB je Datei." in page
    assert f'data-max-bytes="{int(1.5 * MIB)}"' in page
    before = table_counts(ports)

    refused = upload(anna, akte, os.urandom(2 * MIB), "zu-gross.pdf")
    assert refused.status_code == 413
    assert refused.mimetype == "text/html"
    assert "Die Datei ist größer als erlaubt (höchstens 1,5 MB)." in refused.get_data(as_text=True)

    by_script = upload(anna, akte, os.urandom(2 * MIB), "zu-gross.pdf", SCRIPT)
    assert by_script.status_code == 413
    assert by_script.get_json() == {
        "ok": False,
        "error": "Die Datei ist größer als erlaubt (höchstens 1,5 MB).",
    }
    assert table_counts(ports) == before
    assert upload(anna, akte, os.urandom(MIB), "passt.pdf").status_code == 302


def test_a_new_version_over_the_limit_is_refused_with_the_limit(anna, akte, ports, town) -> None:
    page = page_of(anna, upload(anna, akte, b"Entwurf", "antrag.txt").headers["Location"])
    (document_id,) = document_ids(page)
    ports.settings = dataclasses.replace(ports.settings, max_upload_bytes=2 * MIB)
    path = f"/dokumente/{document_id}/versionen"
    refused = post_file(anna, path, page, os.urandom(3 * MIB), "antrag.txt")
    assert refused.status_code == 413
    assert "Die Datei ist größer als erlaubt (höchstens 2 MB)." in refused.get_data(as_text=True)
    assert len(town.anna.get(f"/documents/{document_id}/versions").get_json()["items"]) == 1
