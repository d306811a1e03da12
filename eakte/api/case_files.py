"""/api/v1/case-files: Akten, their Vorgänge and grants."""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from eakte import models
from eakte.api.idempotency import idempotent, in_case_file, in_department
from eakte.api.preconditions import if_match, strong_etag
from eakte.api.requests import context
from eakte.api.retention import zip_download
from eakte.api.schemas.common import page_of
from eakte.api.schemas.records import (
    CaseFileCreateSchema,
    CaseFilePatchSchema,
    CaseFileQuery,
    CaseFileSchema,
    GrantCreateSchema,
    GrantSchema,
    ProcessCreateSchema,
    ProcessSchema,
)
from eakte.api.schemas.retention import ExportQuery
from eakte.models.permissions import Access
from eakte.models.vocabulary import CaseFileStatus, GrantPermission
from eakte.services import archive_export, case_files, grants, processes

blp = Blueprint("case_files", __name__, url_prefix="/api/v1/case-files", description="Akten")


def _etag(case_file: models.CaseFile) -> dict[str, str]:
    return {"ETag": strong_etag(case_file.version)}


@blp.route("")
class CaseFiles(MethodView):
    @blp.arguments(CaseFileQuery, location="query")
    @blp.response(200, page_of(CaseFileSchema))
    def get(self, query: dict[str, Any]) -> object:
        """Case files the caller may read, newest first; filter by department, status, file_plan."""
        return case_files.list_case_files(
            context(),
            department=query.get("department"),
            status=CaseFileStatus(query["status"]) if query.get("status") else None,
            file_plan=query.get("file_plan"),
            text=query.get("q"),
            sort=query["sort"],
            limit=query["limit"],
            cursor=query["cursor"],
        )

    @idempotent(in_department("case_file.create", "case_file"))
    @blp.arguments(CaseFileCreateSchema)
    @blp.response(201, CaseFileSchema)
    def post(self, body: dict[str, Any]) -> object:
        """Create a case file; it gets the next Aktenzeichen of its file plan node (clerk+)."""
        case_file = case_files.create_case_file(context(), **body)
        return case_file, {
            "Location": url_for(".CaseFile", case_file_id=case_file.id),
            **_etag(case_file),
        }


@blp.route("/<uuid:case_file_id>")
class CaseFile(MethodView):
    @blp.response(200, CaseFileSchema)
    def get(self, case_file_id: uuid.UUID) -> object:
        """One case file (reader+)."""
        case_file = case_files.get_case_file(context(), case_file_id)
        return case_file, _etag(case_file)

    @blp.arguments(CaseFilePatchSchema)
    @blp.response(200, CaseFileSchema)
    def patch(self, body: dict[str, Any], case_file_id: uuid.UUID) -> object:
        """Change title (clerk+) or confidentiality (lead); needs If-Match."""
        case_file = case_files.update_case_file(
            context(), case_file_id, if_match=if_match(), **body
        )
        return case_file, _etag(case_file)


@blp.route("/<uuid:case_file_id>/close")
class CloseCaseFile(MethodView):
    @blp.response(200, CaseFileSchema)
    def post(self, case_file_id: uuid.UUID) -> object:
        """zdA-Verfügung: close the case file; sets retain_until (clerk+)."""
        case_file = case_files.close_case_file(context(), case_file_id)
        return case_file, _etag(case_file)


@blp.route("/<uuid:case_file_id>/reopen")
class ReopenCaseFile(MethodView):
    @blp.response(200, CaseFileSchema)
    def post(self, case_file_id: uuid.UUID) -> object:
        """Reopen a closed case file; its retention date is cleared (clerk+)."""
        case_file = case_files.reopen_case_file(context(), case_file_id)
        return case_file, _etag(case_file)


@blp.route("/<uuid:case_file_id>/export")
@blp.arguments(ExportQuery, location="query")
@blp.response(200, content_type="application/zip")
def export_case_file(query: dict[str, Any], case_file_id: uuid.UUID) -> object:
    """The case file as an xdomea 0503 package, streamed: for a lead of the owning department,
    or a records manager once the file is in an approved archive handover."""
    return zip_download(*archive_export.export_case_file(context(), case_file_id))


@blp.route("/<uuid:case_file_id>/processes")
class Processes(MethodView):
    @blp.response(200, page_of(ProcessSchema))
    def get(self, case_file_id: uuid.UUID) -> object:
        """The case file's Vorgänge (reader+)."""
        return {"items": processes.list_processes(context(), case_file_id), "next": None}

    @idempotent(in_case_file(Access.WRITE, "process.create"))
    @blp.arguments(ProcessCreateSchema)
    @blp.response(201, ProcessSchema)
    def post(self, body: dict[str, Any], case_file_id: uuid.UUID) -> object:
        """Open a Vorgang in the case file (clerk+)."""
        return processes.create_process(context(), case_file_id, title=body["title"])


@blp.route("/<uuid:case_file_id>/grants")
class Grants(MethodView):
    @blp.response(200, page_of(GrantSchema))
    def get(self, case_file_id: uuid.UUID) -> object:
        """Who else may use this case file (lead)."""
        return {"items": grants.list_grants(context(), case_file_id), "next": None}

    @idempotent(in_case_file(Access.MANAGE, "grant.create"))
    @blp.arguments(GrantCreateSchema)
    @blp.response(201, GrantSchema)
    @blp.alt_response(200, schema=GrantSchema, description="An existing grant was replaced")
    def post(self, body: dict[str, Any], case_file_id: uuid.UUID) -> object:
        """Open the case file to a department or a named principal, maybe until a time (lead)."""
        grant, created = grants.create_grant(
            context(),
            case_file_id,
            department=body.get("department"),
            principal=body.get("principal"),
            permission=GrantPermission(body["permission"]),
            expires_at=body["expires_at"],
        )
        return grant, 201 if created else 200


@blp.route("/<uuid:case_file_id>/grants/<uuid:grant_id>")
class Grant(MethodView):
    @blp.response(204)
    def delete(self, case_file_id: uuid.UUID, grant_id: uuid.UUID) -> None:
        """Withdraw a grant (lead)."""
        grants.delete_grant(context(), case_file_id, grant_id)
