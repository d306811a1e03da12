"""/api/v1/search: full-text search over the documents the caller may read."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from eakte.api.problems import MEDIA_TYPE
from eakte.api.requests import context
from eakte.api.schemas.common import ProblemSchema
from eakte.api.schemas.search import SearchPageSchema, SearchQuerySchema
from eakte.search.base import SearchFilters
from eakte.services import search

blp = Blueprint("search", __name__, url_prefix="/api/v1/search", description="Suche")


@blp.route("")
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, SearchPageSchema)
@blp.alt_response(
    400,
    schema=ProblemSchema,
    content_type=MEDIA_TYPE,
    description="`q` is empty, too long or cannot be parsed (type `…:invalid-query`)",
)
def run_search(query: dict[str, Any]) -> object:
    """Documents matching `q`, best first; counts and snippets cover only readable documents."""
    ctx = context()
    since, until = search.day_range(query.get("since"), query.get("until"), ctx)
    filters = SearchFilters(
        department=query.get("department"),
        case_file_id=str(query["case_file"]) if query.get("case_file") else None,
        file_plan=query.get("file_plan"),
        media_type=query.get("media_type"),
        modified_from=since,
        modified_until=until,
    )
    return search.search(ctx, query["q"], filters, limit=query["limit"], cursor=query["cursor"])
