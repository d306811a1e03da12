"""Whether anything of a document may still be served: by search, and into the index.

A document is withdrawn once it is destroyed: its case file was disposed of
(destroyed, or handed over to the archive), or its latest version was
crypto-shredded. Search and indexing both ask `servable_documents`, so a
further state (a cancelled document, say) is one more clause here and nowhere
else.

The index learns of a withdrawal only when the worker drains the outbox. Until
then `withdrawn_but_indexed` names the documents the index may still hold, and
search leaves them out inside the engine (so totals stay honest) and again per
page (so nothing of them is served whatever state the index is in).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, not_, or_, select
from sqlalchemy.orm import Session

from eakte.models import CaseFile, Document, DocumentVersion, SearchOutbox
from eakte.models.vocabulary import CaseFileStatus, OutboxKind

# A search sends at most this many ids for the engine to leave out (Elasticsearch
# takes 65,536 terms). Beyond it — a huge destruction while no worker runs — totals
# may count withdrawn documents until the worker catches up; their hits are still
# dropped page by page.
MAX_WITHDRAWN_IN_QUERY = 10_000


def servable_documents() -> ColumnElement[bool]:
    """SQL condition on `Document`: not destroyed, so its text may be found and shown.

    Correlated to `Document` only, so a query may join `CaseFile` beside it."""
    case_file_kept = (
        select(CaseFile.id)
        .where(
            CaseFile.id == Document.case_file_id,
            CaseFile.status != CaseFileStatus.DISPOSED.value,
        )
        .correlate(Document)
        .exists()
    )
    latest_readable = (
        select(DocumentVersion.id)
        .where(
            DocumentVersion.document_id == Document.id,
            DocumentVersion.number == Document.latest_version,
            DocumentVersion.wrapped_key.is_not(None),
        )
        .correlate(Document)
        .exists()
    )
    return and_(case_file_kept, latest_readable)


def withdrawn_but_indexed(session: Session) -> frozenset[str]:
    """Withdrawn documents whose removal from the index is still queued in the outbox.

    Every withdrawal enqueues its document or case file in the same transaction, and
    the worker deletes the outbox row only after the index has let go of it.
    """
    pending_documents = select(SearchOutbox.target_id).where(
        SearchOutbox.kind == OutboxKind.DOCUMENT.value
    )
    pending_case_files = select(SearchOutbox.target_id).where(
        SearchOutbox.kind == OutboxKind.CASE_FILE.value
    )
    ids = session.scalars(
        select(Document.id)
        .where(
            or_(
                Document.id.in_(pending_documents),
                Document.case_file_id.in_(pending_case_files),
            ),
            not_(servable_documents()),
        )
        .order_by(Document.id)
        .limit(MAX_WITHDRAWN_IN_QUERY)
    )
    return frozenset(str(document_id) for document_id in ids)
