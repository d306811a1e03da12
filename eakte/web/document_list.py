"""The Akte page's documents, grouped by Vorgang; also served alone for the upload script.

After an upload the script fetches `/akten/<id>/dokumentliste` (the same fragment
the page includes) and puts it in place of the old list, so new rows appear at
once without a reload.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import render_template

from eakte.models import CaseFile, Document, Process
from eakte.models.permissions import Access
from eakte.models.vocabulary import CaseFileStatus
from eakte.services import access
from eakte.services import case_files as case_file_service
from eakte.services import documents as document_service
from eakte.services import processes as process_service
from eakte.web.blueprint import blp
from eakte.web.session import ctx, signed_in

MOST_DOCUMENTS = 500


@dataclass
class Group:
    """A Vorgang with its documents; `process` None: the documents without a Vorgang."""

    process: Process | None
    documents: list[Document] = field(default_factory=list)

    @property
    def key(self) -> str:
        return str(self.process.id) if self.process else "ohne"


def group_documents(processes: list[Process], documents: list[Document]) -> list[Group]:
    """Every Vorgang (also an empty one, to drop files on), then those without one if any."""
    groups = {p.id: Group(p) for p in processes}
    loose = Group(None)
    for document in documents:
        group = groups.get(document.process_id) if document.process_id else None
        (group or loose).documents.append(document)
    return [*groups.values(), *([loose] if loose.documents else [])]


def writable(record: CaseFile) -> bool:
    """Open and writable for this user; only to hide forms that would fail."""
    return (
        record.status == CaseFileStatus.OPEN.value
        and access.access_to_case_file(ctx(), record) >= Access.WRITE
    )


def listing(record: CaseFile) -> dict[str, Any]:
    """What akte_dokumente.html needs, for the page and for the fragment."""
    processes = process_service.list_processes(ctx(), record.id)
    documents = document_service.list_documents(
        ctx(), record.id, limit=MOST_DOCUMENTS, cursor=None
    ).items
    return {
        "akte": record,
        "processes": processes,
        "documents": documents,
        "groups": group_documents(processes, list(documents)),
        "writable": writable(record),
    }


@blp.get("/akten/<uuid:case_file_id>/dokumentliste")
@signed_in
def document_list(case_file_id: uuid.UUID) -> str:
    """The documents section alone (for the upload script)."""
    record = case_file_service.get_case_file(ctx(), case_file_id)
    return render_template("akte_dokumente.html", **listing(record))
