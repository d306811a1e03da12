"""Full-text search within the caller's rights.

The caller's access keys go into the engine's filter, so totals, pages and
snippets only ever count documents the caller may read; destroyed documents
the index may still hold are left out there too (`servable`), so totals stay
honest while the worker has not yet purged them. The hits of a page are
checked against the database once more — still readable, still servable —
whatever state the index is in; a hit that fails is dropped.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from eakte.errors import InvalidInputError
from eakte.models import CaseFile, Document
from eakte.search.base import SearchFilters, SearchHit, SearchQuery
from eakte.search.query import parse_query
from eakte.services import access, audit, servable
from eakte.services.context import Context
from eakte.services.pagination import MAX_LIMIT

# Deep paging is what exports are for; engines cap it too (Elasticsearch: 10 000).
MAX_RESULT_WINDOW = 10_000
QUERY_IN_AUDIT = 200


@dataclass(frozen=True)
class SearchPage:
    total: int
    items: list[SearchHit]
    next: str | None


def search(
    ctx: Context,
    text: str,
    filters: SearchFilters,
    *,
    limit: int,
    cursor: str | None,
) -> SearchPage:
    action = "search"
    access.require_authenticated(ctx, action)
    parsed = parse_query(text)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInputError(f"limit must be between 1 and {MAX_LIMIT}")
    fingerprint = _fingerprint(text, filters)
    offset = _offset_of(cursor, fingerprint)
    if offset + limit > MAX_RESULT_WINDOW:
        raise InvalidInputError(
            f"only the first {MAX_RESULT_WINDOW} hits can be paged through; narrow the search"
        )
    query = SearchQuery(
        parsed,
        access.search_keys(ctx),
        filters,
        offset,
        limit,
        withdrawn=servable.withdrawn_but_indexed(ctx.session),
    )
    result = ctx.ports.search_index.search(query)
    hits = _still_servable(ctx, result.hits)
    more = offset + limit < min(result.total, MAX_RESULT_WINDOW)
    audit.record(
        ctx,
        action,
        object_type="search",
        department=filters.department,
        details={
            "query": text[:QUERY_IN_AUDIT],
            "total": result.total,
            "returned": len(hits),
            "offset": offset,
        },
    )
    ctx.commit()
    return SearchPage(result.total, hits, _cursor(offset + limit, fingerprint) if more else None)


def _still_servable(ctx: Context, hits: list[SearchHit]) -> list[SearchHit]:
    """The hits whose document the caller may still read and that are not destroyed."""
    ids = {uuid.UUID(hit.document_id) for hit in hits}
    if not ids:
        return hits
    kept = {
        str(document_id)
        for document_id in ctx.session.scalars(
            select(Document.id)
            .join(CaseFile, CaseFile.id == Document.case_file_id)
            .where(
                Document.id.in_(ids),
                access.readable_case_files(ctx),
                servable.servable_documents(),
            )
        )
    }
    return [hit for hit in hits if hit.document_id in kept]


def _fingerprint(text: str, filters: SearchFilters) -> str:
    """Binds a cursor to its search: a cursor from another search is refused."""
    data = json.dumps([text, [str(v) for v in vars(filters).values()]], ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _cursor(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset_of(cursor: str | None, fingerprint: str) -> int:
    if cursor is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, bound = int(data["o"]), data["f"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidInputError("the cursor is not valid") from None
    if bound != fingerprint or offset < 0:
        raise InvalidInputError("the cursor belongs to a different search")
    return offset


def day_range(
    since: dt.date | None, until: dt.date | None, ctx: Context
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Calendar days at the municipality (inclusive) as UTC instants (until exclusive)."""
    return (
        ctx.start_of_day(since) if since else None,
        ctx.start_of_day(until + dt.timedelta(days=1)) if until else None,
    )
