"""The search port on an Elasticsearch cluster (8.x or 9.x), through the official client.

One adapter, one module (over 400 lines): mapping, queries, highlighting and the
alias swap all speak the one vendor's API, which stays inside this file.

Documents live in a versioned index (`<alias>-000001`, `-000002`, ...) that the
services only ever reach through an alias, so a full reindex is built in a fresh
index beside the live one and swapped in with one atomic alias update
(`rebuild()`), the way warehouse reindexes PyPI.  Every failure to reach the
cluster, and every refusal that retrying could cure (429, 5xx), leaves this
module as `SearchUnavailableError`; a query the cluster refuses is a
`SearchQueryError`.  Credentials go to the client only: they are never logged
and never part of a message.

Analysis.  Words are analysed by Elasticsearch's `german` language analyzer with
its stop words switched off, which the Elasticsearch reference spells out as the
custom chain: standard tokenizer, lowercase, german_normalization (ä→a, ß→ss, ...)
and the light_german stemmer.  The built-in name is used rather than that chain
because it is the same on a real cluster and also behaves right in osmem, the
emulator the contract tests run on (a custom chain with a stemmer filter makes
every query match every document there).  File names are split at dots and
underscores first (the standard tokenizer keeps `Lageplan_Sommer.pdf` in one
piece) and are folded but not stemmed.  The text field stores offsets, so the
highlighter never re-analyses long texts (and is not bound by
`index.highlight.max_analyzed_offset`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elasticsearch import ApiError, Elasticsearch, TransportError, helpers

from eakte.errors import SearchQueryError, SearchUnavailableError
from eakte.search.base import (
    MARK_END,
    MARK_START,
    MAX_HIGHLIGHTS,
    SNIPPET_CHARS,
    DocumentMetadata,
    IndexedDocument,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from eakte.search.query import Term

__all__ = ["ElasticsearchIndex", "ElasticsearchRebuild"]

log = logging.getLogger(__name__)

GERMAN = "eakte_german"
FILENAME = "eakte_filename"

SETTINGS: dict[str, Any] = {
    "analysis": {
        "analyzer": {
            GERMAN: {"type": "german", "stopwords": "_none_"},
            FILENAME: {
                "type": "custom",
                "tokenizer": "standard",
                "char_filter": ["eakte_filename_separators"],
                "filter": ["lowercase", "german_normalization"],
            },
        },
        "char_filter": {
            "eakte_filename_separators": {
                "type": "pattern_replace",
                "pattern": "[._]",
                "replacement": " ",
            }
        },
    }
}

_KEYWORD = {"type": "keyword"}
_GERMAN_TEXT = {"type": "text", "analyzer": GERMAN}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "document_id": _KEYWORD,
        "case_file_id": _KEYWORD,
        "department": _KEYWORD,
        "file_plan": _KEYWORD,
        "media_type": _KEYWORD,
        "access_keys": _KEYWORD,
        "reference": {**_GERMAN_TEXT, "fields": {"keyword": _KEYWORD}},
        "case_title": _GERMAN_TEXT,
        "title": _GERMAN_TEXT,
        "filename": {"type": "text", "analyzer": FILENAME},
        "text": {**_GERMAN_TEXT, "index_options": "offsets"},
        "modified_at": {"type": "date"},
        "version": {"type": "integer"},
    },
}

# Where a search word is looked for, with boosts: a word in the title or the
# reference says more about a document than the same word somewhere in its text.
SEARCH_FIELDS = ["title^3", "case_title^2", "reference^3", "filename^2", "text"]
_HIT_FIELDS = ["document_id", "case_file_id", "reference", "title", "filename", "media_type"]
_METADATA_FIELDS = (
    "document_id",
    "case_file_id",
    "reference",
    "case_title",
    "title",
    "filename",
    "media_type",
    "department",
    "file_plan",
    "version",
)
_REASON_CHARS = 200
_LISTED_FAILURES = 5


class ElasticsearchIndex:
    """`SearchIndex` on an Elasticsearch cluster, behind the alias `alias`.

    `hosts` are node URLs of one cluster (`https://es1:9200`, ...).  Nothing is
    sent before the first call; `check()` creates the first index and the alias
    when there is none.
    """

    def __init__(
        self,
        hosts: list[str],
        *,
        alias: str = "eakte-documents",
        username: str | None = None,
        password: str | None = None,
        api_key: str | None = None,
        request_timeout: float = 10.0,
    ) -> None:
        if not hosts:
            raise ValueError("at least one Elasticsearch URL is needed")
        if alias != alias.lower() or not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", alias):
            raise ValueError(f"{alias!r} is not a valid alias (lowercase letters, digits, . _ -)")
        if (username is None) != (password is None):
            raise ValueError("an Elasticsearch username needs a password and vice versa")
        if username is not None and api_key is not None:
            raise ValueError("use either a username and password or an API key, not both")
        self.alias = alias
        self._hosts = [_without_credentials(host) for host in hosts]
        self._client = Elasticsearch(
            hosts,
            basic_auth=(username, password or "") if username is not None else None,
            api_key=api_key,
            request_timeout=request_timeout,
            retry_on_timeout=True,
            max_retries=2,
        )

    def __repr__(self) -> str:
        return f"ElasticsearchIndex({self._hosts!r}, alias={self.alias!r})"

    def close(self) -> None:
        self._client.close()

    # -- SearchIndex --------------------------------------------------------

    def check(self) -> None:
        with self._translate("checking the search index", refused=SearchUnavailableError):
            if self._live_indices():
                return
            first = self._versioned(1)
            try:
                self._client.indices.create(
                    index=first, settings=SETTINGS, mappings=MAPPINGS, aliases={self.alias: {}}
                )
                log.info("created search index %s behind alias %s", first, self.alias)
            except ApiError as exc:
                # Another process created it a moment ago: creating index and alias
                # is one step, so the alias is there now.
                if _error_type(exc) != "resource_already_exists_exception":
                    raise
            if not self._live_indices():
                raise SearchUnavailableError(
                    f"the search index {first} exists, but the alias {self.alias} does not"
                    " point to it; add the alias or rebuild the index"
                )

    def index(self, documents: Sequence[IndexedDocument]) -> None:
        if not documents:
            return
        with self._translate("indexing documents"):
            _check_items(
                self._bulk(
                    _index_actions(self.alias, documents), refresh="wait_for", require_alias=True
                )
            )

    def update_metadata(self, metadata: Sequence[DocumentMetadata]) -> list[str]:
        if not metadata:
            return []
        actions = (
            {
                "_op_type": "update",
                "_index": self.alias,
                "_id": meta.document_id,
                "retry_on_conflict": 3,  # a concurrent write to the same document
                "doc": _fields(meta),
            }
            for meta in metadata
        )
        with self._translate("updating document metadata"):
            return _check_items(self._bulk(actions, refresh="wait_for", require_alias=True))

    def delete(self, document_ids: Sequence[str]) -> None:
        if not document_ids:
            return
        actions = (
            {"_op_type": "delete", "_index": self.alias, "_id": document_id}
            for document_id in document_ids
        )
        with self._translate("removing documents from the search index"):
            _check_items(self._bulk(actions, refresh="wait_for", require_alias=True))

    def search(self, query: SearchQuery) -> SearchResult:
        if not query.access_keys:
            return SearchResult(0, [])  # nothing may be seen: no need to ask the cluster
        with self._translate("searching", refused=SearchQueryError):
            response = self._client.search(
                index=self.alias,
                query=build_query(query),
                from_=query.offset,
                size=query.limit,
                track_total_hits=True,
                track_scores=True,
                sort=[{"_score": {"order": "desc"}}, {"document_id": {"order": "asc"}}],
                source=_HIT_FIELDS,  # type: ignore[arg-type]  # a field list is valid _source
                highlight={
                    "pre_tags": [MARK_START],
                    "post_tags": [MARK_END],
                    "encoder": "html",
                    "fragment_size": SNIPPET_CHARS,
                    "number_of_fragments": MAX_HIGHLIGHTS,
                    "fields": {"text": {}, "title": {}},
                },
            )
        hits = response["hits"]
        return SearchResult(hits["total"]["value"], [_hit(hit) for hit in hits["hits"]])

    def document_count(self) -> int:
        with self._translate("counting documents"):
            return int(self._client.count(index=self.alias)["count"])

    def rebuild(self) -> ElasticsearchRebuild:
        with self._translate("starting a new search index"):
            name = self._versioned(self._highest_version() + 1)
            # No refreshes while loading; swap() turns them on again.
            self._client.indices.create(
                index=name,
                settings={**SETTINGS, "refresh_interval": "-1"},
                mappings=MAPPINGS,
            )
        log.info("rebuilding search index %s in %s", self.alias, name)
        return ElasticsearchRebuild(self, name)

    # -- internals ------------------------------------------------------------

    def _versioned(self, number: int) -> str:
        return f"{self.alias}-{number:06d}"

    def _live_indices(self) -> list[str]:
        """The indices the alias points to (normally one); [] if there is no alias."""
        try:
            return sorted(self._client.indices.get_alias(name=self.alias).body)
        except ApiError as exc:
            if exc.meta.status == 404:
                return []
            raise

    def _highest_version(self) -> int:
        pattern = re.compile(rf"{re.escape(self.alias)}-(\d+)")
        names = self._client.indices.get_alias(index=f"{self.alias}-*", expand_wildcards="all").body
        numbers = [int(m.group(1)) for name in names if (m := pattern.fullmatch(name))]
        return max(numbers, default=0)

    def _bulk(self, actions: Iterable[dict[str, Any]], **params: Any) -> list[dict[str, Any]]:
        """Send the actions in chunks; return the items that did not succeed."""
        _, failed = helpers.bulk(self._client, actions, raise_on_error=False, **params)
        assert isinstance(failed, list)  # stats_only=False
        return failed

    @contextlib.contextmanager
    def _translate(self, action: str, refused: type[Exception] = RuntimeError) -> Iterator[None]:
        """Turn the client's errors into ours; `refused` is raised for a 400."""
        try:
            yield
        except ApiError as exc:
            status = exc.meta.status
            reason = _reason(exc)
            if status == 400:
                if refused is SearchQueryError:
                    raise SearchQueryError(
                        f"the search engine refused the search: {reason}"
                    ) from exc
                raise refused(
                    f"{action} failed: the search engine refused the request: {reason}"
                ) from exc
            if status == 404:
                raise SearchUnavailableError(
                    f"{action} failed: the search index {self.alias} does not exist ({reason})"
                ) from exc
            raise SearchUnavailableError(
                f"{action} failed: the search engine answered {status} ({reason})"
            ) from exc
        except TransportError as exc:
            raise SearchUnavailableError(
                f"{action} failed: the search engine cannot be reached ({type(exc).__name__})"
            ) from exc


class ElasticsearchRebuild:
    """A new index filled beside the live one; `swap()` moves the alias to it."""

    def __init__(self, owner: ElasticsearchIndex, name: str) -> None:
        self._owner = owner
        self._client = owner._client
        self.name = name
        self._done = False

    def index(self, documents: Sequence[IndexedDocument]) -> None:
        self._still_open()
        if not documents:
            return
        with self._owner._translate("indexing documents into the new search index"):
            _check_items(self._owner._bulk(_index_actions(self.name, documents)))

    def swap(self) -> None:
        self._still_open()
        alias = self._owner.alias
        with self._owner._translate("switching to the new search index"):
            self._client.indices.put_settings(
                index=self.name, settings={"index": {"refresh_interval": None}}
            )
            self._client.indices.refresh(index=self.name)
            old = [name for name in self._owner._live_indices() if name != self.name]
            actions: list[dict[str, Any]] = [
                {"remove": {"index": name, "alias": alias}} for name in old
            ]
            actions.append({"add": {"index": self.name, "alias": alias}})
            self._client.indices.update_aliases(actions=actions)
        self._done = True
        log.info("search alias %s now points to %s", alias, self.name)
        for name in old:
            try:
                self._client.indices.delete(index=name)
            except (ApiError, TransportError) as exc:
                # The swap has happened; an old index left behind only takes space.
                log.warning(
                    "could not delete the old search index %s: %s", name, type(exc).__name__
                )

    def abort(self) -> None:
        if self._done:
            return
        with self._owner._translate("dropping the new search index"):
            if self.name in self._owner._live_indices():
                # A swap whose answer was lost has made it live: keep it.
                log.warning("not dropping %s: the alias already points to it", self.name)
            else:
                self._client.indices.delete(index=self.name, ignore_unavailable=True)
        self._done = True

    def _still_open(self) -> None:
        if self._done:
            raise RuntimeError(f"the rebuild into {self.name} is already finished")


def build_query(query: SearchQuery) -> dict[str, Any]:
    """The bool query: the caller's access keys and filters, then the parsed words."""
    parsed = query.parsed
    return {
        "bool": {
            "filter": [
                {"terms": {"access_keys": sorted(query.access_keys)}},
                *_filters(query.filters),
            ],
            "must": [
                {"bool": {"should": [_term(term) for term in group], "minimum_should_match": 1}}
                for group in parsed.required
            ],
            "must_not": [_term(term) for term in parsed.excluded]
            + ([{"terms": {"document_id": sorted(query.withdrawn)}}] if query.withdrawn else []),
        }
    }


def _term(term: Term) -> dict[str, Any]:
    # A phrase of one word is a plain word match, so words and phrases share one form.
    return {"multi_match": {"query": term.text, "type": "phrase", "fields": SEARCH_FIELDS}}


def _filters(filters: SearchFilters) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = [
        {"term": {name: value}}
        for name, value in (
            ("department", filters.department),
            ("case_file_id", filters.case_file_id),
            ("file_plan", filters.file_plan),
            ("media_type", filters.media_type),
        )
        if value is not None
    ]
    window: dict[str, str] = {}
    if filters.modified_from is not None:
        window["gte"] = _date(filters.modified_from)
    if filters.modified_until is not None:
        window["lt"] = _date(filters.modified_until)
    if window:
        clauses.append({"range": {"modified_at": window}})
    return clauses


def _date(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def _fields(meta: DocumentMetadata) -> dict[str, Any]:
    fields: dict[str, Any] = {name: getattr(meta, name) for name in _METADATA_FIELDS}
    fields["modified_at"] = _date(meta.modified_at)
    fields["access_keys"] = list(meta.access_keys)
    return fields


def _index_actions(index: str, documents: Sequence[IndexedDocument]) -> Iterator[dict[str, Any]]:
    for document in documents:
        source = {**_fields(document.metadata), "text": document.text}
        yield {"_op_type": "index", "_index": index, "_id": document.document_id, "_source": source}


def _hit(hit: dict[str, Any]) -> SearchHit:
    source = hit.get("_source", {})
    highlight = hit.get("highlight", {})
    fragments = highlight.get("text") or highlight.get("title") or []
    score = hit.get("_score")
    if score is None and hit.get("sort"):
        score = hit["sort"][0]
    return SearchHit(
        document_id=source.get("document_id", hit["_id"]),
        case_file_id=source.get("case_file_id", ""),
        reference=source.get("reference", ""),
        title=source.get("title", ""),
        filename=source.get("filename", ""),
        media_type=source.get("media_type", ""),
        score=float(score or 0.0),
        highlights=list(fragments[:MAX_HIGHLIGHTS]),
    )


def _check_items(failed: list[dict[str, Any]]) -> list[str]:
    """Raise for bulk items that failed; return the ids of updates of missing documents.

    A delete of a missing document is fine.  Messages carry ids, statuses and
    error types, never document content.
    """
    missing: list[str] = []
    unavailable: list[str] = []
    refused: list[str] = []
    for item in failed:
        operation, result = next(iter(item.items()))
        status = int(result.get("status", 500))
        error = result.get("error")
        error_type = error.get("type", "") if isinstance(error, dict) else ""
        if status == 404 and operation == "delete" and not error:
            continue
        if status == 404 and operation == "update" and error_type == "document_missing_exception":
            missing.append(str(result.get("_id")))
            continue
        line = f"{result.get('_id')}: {status} {error_type}"
        if status == 429 or status >= 500 or error_type == "index_not_found_exception":
            unavailable.append(line)
        else:
            reason = _clean(error.get("reason") if isinstance(error, dict) else "")
            refused.append(f"{line} ({reason})")
    if unavailable:
        raise SearchUnavailableError(
            f"the search engine did not take {len(unavailable)} of the documents: "
            + "; ".join(unavailable[:_LISTED_FAILURES])
        )
    if refused:
        raise RuntimeError(
            f"the search engine refused {len(refused)} of the documents: "
            + "; ".join(refused[:_LISTED_FAILURES])
        )
    return missing


def _error_type(exc: ApiError) -> str:
    body = exc.body
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("type", "") if isinstance(error, dict) else ""


def _reason(exc: ApiError) -> str:
    """The most specific reason the cluster gave, without stack traces or field values."""
    body = exc.body
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        # "all shards failed" says nothing; the root cause says why
        causes = error.get("root_cause") or []
        cause = causes[0] if causes and isinstance(causes[0], dict) else error
        return _clean(cause.get("reason") or error.get("reason") or cause.get("type") or "")
    if isinstance(error, str):
        return _clean(error)
    return f"status {exc.meta.status}"


def _clean(reason: object) -> str:
    text = " ".join(str(reason or "").split())
    # mapper errors quote the value that failed ("Preview of field's value: ..."): drop it
    text = text.split("Preview of field's value")[0].rstrip(" .")
    return text if len(text) <= _REASON_CHARS else text[: _REASON_CHARS - 1] + "…"


def _without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=host))
