"""Documents: multipart uploads, versions, and streamed, ranged, verified downloads."""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import quote

from flask import Response, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.datastructures import FileStorage

from eakte.api.idempotency import idempotent, in_case_file
from eakte.api.preconditions import content_etag, if_range_version
from eakte.api.requests import context
from eakte.api.schemas.common import ListQuery, page_of
from eakte.api.schemas.documents import (
    DocumentFormSchema,
    DocumentSchema,
    DocumentUploadSchema,
    UploadFileSchema,
    VersionSchema,
)
from eakte.models.permissions import Access
from eakte.services import documents, downloads
from eakte.services.documents import Upload
from eakte.services.downloads import Download

blp = Blueprint("documents", __name__, url_prefix="/api/v1", description="Dokumente")


def _upload(files: dict[str, FileStorage]) -> Upload:
    storage = files["file"]
    return Upload(filename=storage.filename, stream=storage.stream)


@blp.route("/case-files/<uuid:case_file_id>/documents")
class CaseFileDocuments(MethodView):
    @blp.arguments(ListQuery, location="query")
    @blp.response(200, page_of(DocumentSchema))
    def get(self, query: dict[str, Any], case_file_id: uuid.UUID) -> object:
        """Documents of a case file, oldest first (reader+)."""
        return documents.list_documents(
            context(), case_file_id, limit=query["limit"], cursor=query["cursor"]
        )

    @idempotent(in_case_file(Access.WRITE, "document.create"))
    # Parsed, not documented: OpenAPI 3 has one request body, which DocumentUploadSchema
    # describes whole (flask-smorest would add these fields as Swagger 2 `formData`).
    @blp.ARGUMENTS_PARSER.use_args(DocumentFormSchema, location="form")
    @blp.arguments(DocumentUploadSchema, location="files", error_status_code=400)
    @blp.response(201, DocumentSchema)
    def post(
        self, form: dict[str, Any], files: dict[str, FileStorage], case_file_id: uuid.UUID
    ) -> object:
        """File a document (multipart `file`, `title`, optional `process`): version 1 (clerk+)."""
        document = documents.add_document(
            context(),
            case_file_id,
            _upload(files),
            title=form.get("title"),
            process_id=form["process"],
        )
        return document, {"Location": url_for(".Document", document_id=document.id)}


@blp.route("/documents/<uuid:document_id>")
class Document(MethodView):
    @blp.response(200, DocumentSchema)
    def get(self, document_id: uuid.UUID) -> object:
        """One document (reader+)."""
        return documents.get_document(context(), document_id)


@blp.route("/documents/<uuid:document_id>/versions")
class DocumentVersions(MethodView):
    @blp.response(200, page_of(VersionSchema))
    def get(self, document_id: uuid.UUID) -> object:
        """All versions, oldest first, with size, media type, file name and SHA-256 (reader+)."""
        return {"items": documents.list_versions(context(), document_id), "next": None}

    @blp.arguments(UploadFileSchema, location="files", error_status_code=400)
    @blp.response(201, VersionSchema)
    def post(self, files: dict[str, FileStorage], document_id: uuid.UUID) -> object:
        """Add the next version (multipart `file`); earlier versions stay (clerk+)."""
        return documents.add_version(context(), document_id, _upload(files))


@blp.route("/documents/<uuid:document_id>/content")
class LatestContent(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    @blp.alt_response(206, description="One byte range (Range: bytes=…)")
    def get(self, document_id: uuid.UUID) -> Response:
        """The latest version's content, streamed; supports one Range (reader+)."""
        return _send(document_id, None)


@blp.route("/documents/<uuid:document_id>/versions/<int:number>/content")
class VersionContent(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    @blp.alt_response(206, description="One byte range (Range: bytes=…)")
    def get(self, document_id: uuid.UUID, number: int) -> Response:
        """One version's content, streamed; supports one Range (reader+)."""
        return _send(document_id, number)


def _send(document_id: uuid.UUID, number: int | None) -> Response:
    requested = request.range
    byte_range = None
    if requested is not None and requested.units == "bytes" and len(requested.ranges) == 1:
        byte_range = requested.ranges[0]  # several ranges: answered with the whole content
    if_range = request.headers.get("If-Range")
    version_held = None if if_range is None else if_range_version(if_range)
    if if_range is not None and version_held is None:
        byte_range = None  # If-Range names no version of ours: the whole content
    download = downloads.open_content(
        context(), document_id, number=number, byte_range=byte_range, if_range=version_held
    )
    return _content_response(download)


def _content_response(download: Download) -> Response:
    version = download.version
    digest = base64.b64encode(bytes.fromhex(version.sha256)).decode()
    response = Response(
        download.chunks,
        status=206 if download.partial else 200,
        mimetype=version.media_type,
        direct_passthrough=True,
    )
    response.headers["Content-Length"] = str(download.length)
    response.headers["Content-Disposition"] = _disposition(version.filename)
    response.headers["ETag"] = content_etag(version.id)
    response.headers["Repr-Digest"] = f"sha-256=:{digest}:"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cache-Control"] = "private, no-store"
    if download.partial:
        response.headers["Content-Range"] = f"bytes {download.first}-{download.last}/{version.size}"
    return response


def _disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact UTF-8 name; quotes and controls cannot leak."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
