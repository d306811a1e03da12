"""The search port: what the services need from a full-text index, nothing more.

Two adapters implement it (`embedded.py`: tantivy in the instance folder,
`elasticsearch.py`: a cluster behind an alias) and pass one contract suite
(`tests/contract/test_search_indexes.py`). The services build every
`IndexedDocument` from the database and every `SearchQuery` from the caller's
rights, so an adapter never decides who may see what: it only applies
`access_keys` (and leaves out `withdrawn` ids) inside the engine, before
counting and paging.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from eakte.search.extract import Extraction
from eakte.search.query import ParsedQuery

# Snippets mark matched words with <mark>…</mark>; everything else is HTML-escaped.
MARK_START = "<mark>"
MARK_END = "</mark>"
SNIPPET_CHARS = 200
MAX_HIGHLIGHTS = 3


@dataclass(frozen=True)
class DocumentMetadata:
    """Everything indexed about a document except its text.

    `access_keys` are opaque strings ("dept:<uuid>", "grant:<uuid>"): a
    document is visible to a query if the two share at least one key.
    """

    document_id: str
    case_file_id: str
    reference: str
    case_title: str
    title: str
    filename: str
    media_type: str
    department: str
    file_plan: str
    version: int
    modified_at: dt.datetime
    access_keys: tuple[str, ...]


@dataclass(frozen=True)
class IndexedDocument:
    metadata: DocumentMetadata
    text: str = ""

    @property
    def document_id(self) -> str:
        return self.metadata.document_id


@dataclass(frozen=True)
class SearchFilters:
    department: str | None = None
    case_file_id: str | None = None
    file_plan: str | None = None
    media_type: str | None = None
    modified_from: dt.datetime | None = None  # inclusive
    modified_until: dt.datetime | None = None  # exclusive


@dataclass(frozen=True)
class SearchQuery:
    parsed: ParsedQuery
    access_keys: frozenset[str]
    filters: SearchFilters = field(default_factory=SearchFilters)
    offset: int = 0
    limit: int = 50
    # Document ids left out before counting and paging: destroyed documents the
    # index may still hold until the worker has removed them.
    withdrawn: frozenset[str] = frozenset()

    def page(self, offset: int, limit: int) -> SearchQuery:
        return replace(self, offset=offset, limit=limit)


@dataclass(frozen=True)
class SearchHit:
    document_id: str
    case_file_id: str
    reference: str
    title: str
    filename: str
    media_type: str
    score: float
    highlights: list[str]


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[SearchHit]


class SearchIndex(Protocol):
    """A full-text index of documents, keyed by document id.

    Writes are idempotent (index = upsert, delete of a missing id is fine) so
    the outbox may deliver an update twice. Every method raises
    `SearchUnavailableError` when the engine cannot be reached, and `search`
    raises `SearchQueryError` for a query the engine refuses.
    """

    def check(self) -> None:
        """Raise SearchUnavailableError unless the index can serve queries now."""

    def index(self, documents: Sequence[IndexedDocument]) -> None:
        """Add or replace these documents; visible to searches when this returns."""

    def update_metadata(self, metadata: Sequence[DocumentMetadata]) -> list[str]:
        """Replace everything but the text; return the ids that are not in the index."""

    def delete(self, document_ids: Sequence[str]) -> None:
        """Remove these documents; unknown ids are ignored."""

    def search(self, query: SearchQuery) -> SearchResult:
        """Hits the access keys allow and `withdrawn` does not name, best first, with
        `total` counted the same way."""

    def document_count(self) -> int:
        """How many documents the live index holds (for progress and health)."""

    def rebuild(self) -> Rebuild:
        """Start a new, empty index beside the live one (see Rebuild)."""

    def close(self) -> None:
        """Let go of writers and connections (the next call opens them again)."""


class Rebuild(Protocol):
    """A new index filled while the live one keeps serving; `swap` makes it live.

    Writes to the live index meanwhile are not copied over: the caller pauses
    the outbox during a rebuild, so those changes wait and follow the swap.
    """

    def index(self, documents: Sequence[IndexedDocument]) -> None: ...

    def swap(self) -> None:
        """Make the new index live atomically and drop the old one."""

    def abort(self) -> None:
        """Throw the new index away; the live one is untouched."""


class Extractor(Protocol):
    """Turns a document's bytes into searchable text, within time and memory limits."""

    def extract(self, content: bytes, media_type: str, filename: str) -> Extraction: ...
