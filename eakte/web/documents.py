"""Dokumente: hochladen, neue Version, Versionen, Vorschau, Download."""

from __future__ import annotations

import uuid
from typing import Any, BinaryIO, cast
from urllib.parse import quote

from flask import Response, jsonify, redirect, render_template, request, url_for

from eakte.errors import EakteError, InvalidInputError
from eakte.models import DocumentVersion
from eakte.models.permissions import Access
from eakte.models.records import TITLE_MAX
from eakte.models.vocabulary import CaseFileStatus
from eakte.services import documents as document_service
from eakte.services import downloads, previews
from eakte.services import processes as process_service
from eakte.services.documents import Upload
from eakte.web import notices, session
from eakte.web.blueprint import blp
from eakte.web.case_files import (
    can,
    error_text,
    field_errors,
    render_case_file,
    require_int,
)
from eakte.web.error_pages import status_of
from eakte.web.session import ctx, signed_in

# Shown inline (in the page or a frame); everything else is only ever offered as a
# download, so that uploaded HTML or SVG never runs in our origin.
PREVIEW_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
# The content response gets its own, stricter policy than the pages.
CONTENT_POLICY = (
    "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
NO_FILE = "Bitte wählen Sie mindestens eine Datei aus."
NO_PREVIEW = "Keine Vorschau für dieses Format – bitte herunterladen."


def _json_error(error: EakteError | None, text: str | None = None) -> tuple[Response, int]:
    """The upload script's answer: the German text it shows next to the file."""
    if error is None:
        return jsonify(ok=False, error=text), 422
    return jsonify(ok=False, error=text or error_text(error)), status_of(error)


@blp.post("/akten/<uuid:case_file_id>/dokumente")
@signed_in
def upload(case_file_id: uuid.UUID) -> Any:
    """One or many files; the script sends one file per request to show its progress."""
    files = [f for f in request.files.getlist("datei") if f and f.filename]
    title = request.form.get("titel", "").strip()
    process = request.form.get("vorgang", "").strip()
    form = {"titel": title, "vorgang": process}
    errors: dict[str, str] = {}
    process_id = None
    if process:
        try:
            process_id = uuid.UUID(process)
        except ValueError:
            errors["vorgang"] = "Dieser Vorgang gehört nicht zu dieser Akte."
    if not files:
        errors["datei"] = NO_FILE
    if len(title) > TITLE_MAX:
        errors["titel"] = f"Der Titel darf höchstens {TITLE_MAX} Zeichen lang sein."
    if errors:
        if session.wants_json():
            return _json_error(None, next(iter(errors.values())))
        return render_case_file(case_file_id, errors=errors, form=form, status=422)
    stored: list[uuid.UUID] = []
    for file in files:
        try:
            document = document_service.add_document(
                ctx(),
                case_file_id,
                Upload(filename=file.filename, stream=cast(BinaryIO, file.stream)),
                title=(title or None) if len(files) == 1 else None,
                process_id=process_id,
            )
        except InvalidInputError as error:
            if session.wants_json():
                return _json_error(error, next(iter(_upload_errors(error).values())))
            errors = _upload_errors(error)
            if stored:
                errors["datei"] = (
                    f"{len(stored)} Datei(en) wurden hochgeladen, „{file.filename}“ nicht: "
                    + errors.get("datei", next(iter(errors.values())))
                )
            return render_case_file(case_file_id, errors=errors, form=form, status=422)
        except EakteError as error:
            if session.wants_json():
                return _json_error(error)
            raise
        stored.append(document.id)
    if session.wants_json():
        return jsonify(ok=True, document=str(stored[0]), documents=[str(d) for d in stored])
    group = f"vorgang-{process_id}" if process_id else "dokumente"
    return redirect(
        url_for("web.case_file", case_file_id=case_file_id, hochgeladen=len(stored), _anchor=group)
    )


def _upload_errors(error: InvalidInputError) -> dict[str, str]:
    return field_errors(error, {"file": "datei", "process": "vorgang"})


@blp.post("/dokumente/<uuid:document_id>/versionen")
@signed_in
def new_version(document_id: uuid.UUID) -> Any:
    file = request.files.get("datei")
    back = session.safe_next(
        request.form.get("weiter"), url_for("web.document", document_id=document_id)
    )
    try:
        if not file or not file.filename:
            raise InvalidInputError("no file", errors={"file": [NO_FILE]})
        version = document_service.add_version(
            ctx(), document_id, Upload(filename=file.filename, stream=cast(BinaryIO, file.stream))
        )
    except InvalidInputError as error:
        text = NO_FILE if not file or not file.filename else error_text(error)
        if session.wants_json():
            return _json_error(error, text)
        return _render_document(document_id, version_error=text, status=422)
    except EakteError as error:
        if session.wants_json():
            return _json_error(error)
        raise
    if session.wants_json():
        return jsonify(ok=True, document=str(document_id), version=version.number)
    path, hash_mark, anchor = back.partition("#")
    separator = "&" if "?" in path else "?"
    return redirect(f"{path}{separator}neue_version={version.number}{hash_mark}{anchor}")


@blp.get("/dokumente/<uuid:document_id>")
@signed_in
def document(document_id: uuid.UUID) -> Any:
    return _render_document(document_id)


def _render_document(
    document_id: uuid.UUID, *, version_error: str | None = None, status: int = 200
) -> Any:
    record = document_service.get_document(ctx(), document_id)
    versions = document_service.list_versions(ctx(), document_id)
    latest = versions[-1] if versions else None
    akte = record.case_file
    process = next(
        (p for p in process_service.list_processes(ctx(), akte.id) if p.id == record.process_id),
        None,
    )
    if request.args.get("neue_version", type=int):
        notices.show(f"Version {request.args.get('neue_version', type=int)} wurde hochgeladen.")
    page = render_template(
        "dokument.html",
        dokument=record,
        akte=akte,
        process=process,
        versions=list(reversed(versions)),
        latest=latest,
        preview=_preview_kind(latest),
        no_preview=NO_PREVIEW,
        writable=akte.status == CaseFileStatus.OPEN.value and can(akte, Access.WRITE),
        version_error=version_error,
    )
    return page, status


def _preview_kind(latest: DocumentVersion | None) -> str | None:
    """How the page shows the newest version: "pdf", "bild", "umgewandelt" (an office
    document as PDF), "keine" (no preview for this format) or None (destroyed, none)."""
    if latest is None or latest.wrapped_key is None:
        return None
    if latest.media_type == "application/pdf":
        return "pdf"
    if latest.media_type in PREVIEW_TYPES:
        return "bild"
    return "umgewandelt" if previews.converts_to_pdf(ctx(), latest) else "keine"


@blp.get("/dokumente/<uuid:document_id>/vorschau")
@signed_in
def document_preview(document_id: uuid.UUID) -> Response:
    """A DOCX or ODT version as PDF, for the Dokument page's frame (read like a download)."""
    number = require_int(request.args.get("version"))
    preview = previews.preview_as_pdf(ctx(), document_id, number=number)
    if preview is None or preview.pdf is None:
        response = Response(NO_PREVIEW, status=422, mimetype="text/plain")
    else:
        response = Response(preview.pdf, mimetype="application/pdf")
        response.headers["Content-Disposition"] = _disposition(
            "inline", preview.version.filename.rsplit(".", 1)[0] + ".pdf"
        )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = CONTENT_POLICY
    return response


@blp.get("/dokumente/<uuid:document_id>/inhalt")
@signed_in
def document_content(document_id: uuid.UUID) -> Response:
    number = require_int(request.args.get("version"))
    download = downloads.open_content(ctx(), document_id, number=number)
    version = download.version
    inline = request.args.get("inline") == "1" and version.media_type in PREVIEW_TYPES
    response = Response(download.chunks, mimetype=version.media_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(download.length)
    response.headers["Content-Disposition"] = _disposition(
        "inline" if inline else "attachment", version.filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = CONTENT_POLICY
    return response


def _disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback plus the exact UTF-8 name; quotes and controls cannot leak."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
