"""Akten: Meine Akten; anlegen, ansehen, Dokumente hochladen, abschließen, Freigaben."""

from __future__ import annotations

from flask import render_template, request

from eakte.models.vocabulary import CaseFileStatus
from eakte.services import case_files as case_file_service
from eakte.web.blueprint import blp
from eakte.web.session import ctx, signed_in

STATUS_LABELS = {CaseFileStatus.OPEN: "offen", CaseFileStatus.CLOSED: "zdA"}


@blp.get("/akten")
@signed_in
def case_files() -> str:
    """Meine Akten: the case files of the user's departments and grants."""
    status = request.args.get("status")
    chosen = CaseFileStatus(status) if status in STATUS_LABELS else None
    page = case_file_service.list_case_files(
        ctx(), status=chosen, limit=50, cursor=request.args.get("weiter") or None
    )
    return render_template("akten.html", page=page, status=status or "", labels=STATUS_LABELS)
