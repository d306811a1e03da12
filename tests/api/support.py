"""What the API tests share (web, integration and hostile tests use it too): uploads,
search and its outbox, closed files, response headers."""

from __future__ import annotations

import contextlib
import io
import uuid

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from eakte.models import DocumentVersion
from tests.helpers import years_ago


def post_multipart(who, path: str, fields: dict):
    """Encode the body in memory: werkzeug's test client leaks its temp file for big bodies."""
    boundary, body = encode_multipart(MultiDict(fields))
    return who.client.post(
        "/api/v1" + path,
        data=body,
        headers={"Authorization": f"Bearer {who.token}"},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def upload(who, case_file_id, data: bytes, filename="antrag.bin", **form):
    fields = {"file": FileStorage(io.BytesIO(data), filename), **form}
    return post_multipart(who, f"/case-files/{case_file_id}/documents", fields)


def add_version(who, document_id, data: bytes, filename="antrag-v2.bin"):
    fields = {"file": FileStorage(io.BytesIO(data), filename)}
    return post_multipart(who, f"/documents/{document_id}/versions", fields)


def stored_version(ports, document_id: str, number: int = 1) -> DocumentVersion:
    with ports.session_factory() as session:
        return session.scalars(
            sa.select(DocumentVersion).where(
                DocumentVersion.document_id == uuid.UUID(document_id),
                DocumentVersion.number == number,
            )
        ).one()


LETTER = (
    "Sehr geehrte Frau Sommer,\n"
    "Ihre Bauanträge für das Grundstück in der Lindenstraße wurden geprüft. "
    "Die Genehmigungen werden Ihnen gesondert zugestellt.\n"
)


def upload_text(who, case_file_id, text: str, filename="bescheid.txt", **form):
    fields = {"file": FileStorage(io.BytesIO(text.encode()), filename), **form}
    response = post_multipart(who, f"/case-files/{case_file_id}/documents", fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def drain(ports) -> int:
    """What the worker does each tick, until the outbox is empty."""
    from eakte.services.indexing import drain as drain_batch

    settled = 0
    while (count := drain_batch(ports)) > 0:
        settled += count
    return settled


def search(who, q: str, **params):
    return who.get("/search", query_string={"q": q, **params})


def found(who, q: str, **params) -> list[str]:
    response = search(who, q, **params)
    assert response.status_code == 200, response.get_json()
    return [hit["document"] for hit in response.get_json()["items"]]


def closed_file(
    town,
    title: str = "Wohngeldantrag Familie Sommer",
    who=None,
    *,
    long_ago: bool = True,
    confidential: bool = False,
):
    """A closed Wohngeld file of department 50 (file plan 50.30: 6 years, then destroy),
    made and closed 12 years ago (due today) unless `long_ago` is False."""
    who = who or town.ben
    with years_ago(town.client) if long_ago else contextlib.nullcontext():
        case_file = town.case_file(
            who, title=title, file_plan="50.30", department="50", confidential=confidential
        )
        fields = {
            "file": FileStorage(io.BytesIO("Die Wohngeldanträge liegen vor.".encode()), "a.txt")
        }
        response = post_multipart(who, f"/case-files/{case_file['id']}/documents", fields)
        assert response.status_code == 201
        closed = who.post(f"/case-files/{case_file['id']}/close").get_json()
    return closed, response.get_json()


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    parts = [part.strip().split(None, 1) for part in policy.split(";") if part.strip()]
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_not_framable(response) -> None:
    assert directives(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def activity(town) -> dict:
    """Some ordinary work, allowed and denied, to fill the log."""
    case_file = town.case_file()
    town.anna.post(f"/case-files/{case_file['id']}/processes", {"title": "Anhörung"})
    town.ben.get(f"/case-files/{case_file['id']}")  # denied
    town.carla.get("/case-files")
    return case_file
