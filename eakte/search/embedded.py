"""The embedded search index: tantivy in a folder of the instance.

One adapter, one module (a little over 400 lines): schema, queries, snippets and
the folder swap all speak tantivy's API, which stays inside this file.

Layout: `<root>/current` is a symlink to the live `index-<stamp>` folder.
A rebuild fills a new folder and swaps the symlink atomically; readers (the
app processes) notice the new target at their next search and reopen. One
process writes (the worker; tantivy's own lock file refuses a second writer),
every process may read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import html
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import tantivy

from eakte.errors import SearchQueryError, SearchUnavailableError
from eakte.search.base import (
    MARK_END,
    MARK_START,
    MAX_HIGHLIGHTS,
    SNIPPET_CHARS,
    DocumentMetadata,
    IndexedDocument,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from eakte.search.query import ParsedQuery, Term

ANALYZER = "de"
TEXT_FIELDS = ("title", "case_title", "reference", "filename", "text")
BOOSTS = {"title": 3.0, "reference": 3.0, "case_title": 2.0, "filename": 2.0}
KEYWORD_FIELDS = ("case_file_id", "media_type", "department", "file_plan", "access_keys")
WRITER_HEAP_BYTES = 64 * 1024 * 1024
CURRENT = "current"
LOCK = ".lock"


def german_analyzer() -> tantivy.TextAnalyzer:
    """Lowercase, fold umlauts and ß to ASCII, then the Snowball German stemmer."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("german"))
        .build()
    )


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("document_id", stored=True, tokenizer_name="raw")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name=ANALYZER, index_option="position")
    for name in KEYWORD_FIELDS:
        builder.add_text_field(name, stored=True, tokenizer_name="raw")
    builder.add_unsigned_field("version", stored=True)
    builder.add_date_field("modified_at", stored=True, indexed=True, fast=True)
    return builder.build()


SCHEMA = build_schema()


class _Folder:
    """One tantivy index folder, opened with our analyzer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.index = tantivy.Index(SCHEMA, path=str(path))
        self.index.register_tokenizer(ANALYZER, german_analyzer())
        self._writer: Any = None

    @property
    def writer(self) -> Any:
        if self._writer is None:
            try:
                self._writer = self.index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
            except ValueError as error:  # LockBusy: another process writes this index
                raise SearchUnavailableError(
                    "the search index is being written by another process"
                ) from error
        return self._writer

    def commit(self) -> None:
        self.writer.commit()
        self.index.reload()

    def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.wait_merging_threads()
            self._writer = None


class EmbeddedIndex:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.RLock()
        self._live: _Folder | None = None

    # -- the live folder ---------------------------------------------------

    def _current_target(self) -> str | None:
        try:
            return os.readlink(self.root / CURRENT)
        except FileNotFoundError:
            return None

    def _folder(self) -> _Folder:
        """The live folder, reopened when a rebuild has swapped it."""
        with self._lock:
            target = self._current_target()
            if target is None:
                target = self._create_first()
            if self._live is None or self._live.path.name != target:
                if self._live is not None:
                    self._live.close()
                try:
                    self._live = _Folder(self.root / target)
                except (OSError, ValueError) as error:
                    raise SearchUnavailableError("the search index cannot be opened") from error
            return self._live

    def _create_first(self) -> str:
        with self._exclusive():
            target = self._current_target()
            if target is None:
                target = _new_folder_name()
                _Folder(self.root / target)
                _point_current(self.root, target)
            return target

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise folder creation and swaps between processes."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            handle = open(self.root / LOCK, "a+")  # noqa: SIM115 - held for the block
        except OSError as error:
            raise SearchUnavailableError("the search folder is not writable") from error
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    # -- SearchIndex --------------------------------------------------------

    def check(self) -> None:
        self._folder().index.searcher()

    def index(self, documents: Sequence[IndexedDocument]) -> None:
        if not documents:
            return
        with self._lock:
            folder = self._folder()
            _write(folder, documents)
            folder.commit()

    def update_metadata(self, metadata: Sequence[DocumentMetadata]) -> list[str]:
        with self._lock:
            folder = self._folder()
            folder.index.reload()
            searcher = folder.index.searcher()
            missing: list[str] = []
            updated: list[IndexedDocument] = []
            for item in metadata:
                stored = _stored(searcher, item.document_id)
                if stored is None:
                    missing.append(item.document_id)
                else:
                    updated.append(IndexedDocument(item, _first(stored, "text")))
            if updated:
                _write(folder, updated)
                folder.commit()
            return missing

    def delete(self, document_ids: Sequence[str]) -> None:
        if not document_ids:
            return
        with self._lock:
            folder = self._folder()
            for document_id in document_ids:
                folder.writer.delete_documents_by_term("document_id", document_id)
            folder.commit()

    def document_count(self) -> int:
        folder = self._folder()
        folder.index.reload()
        return folder.index.searcher().num_docs

    def search(self, query: SearchQuery) -> SearchResult:
        if not query.access_keys:
            return SearchResult(0, [])
        folder = self._folder()
        index = folder.index
        index.reload()  # pick up the worker's latest commit
        matcher = _parse(index, query.parsed)
        snippet_query = _parse(index, ParsedQuery(query.parsed.required))
        searcher = index.searcher()
        result = searcher.search(
            tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, matcher)]
                + [(tantivy.Occur.Must, clause) for clause in _filters(query)]
                + [(tantivy.Occur.MustNot, clause) for clause in _left_out(query)]
            ),
            limit=query.limit,
            offset=query.offset,
            count=True,
        )
        snippets = {
            name: _snippet_generator(searcher, snippet_query, name)
            for name in ("text", "title", "filename")
        }
        hits = []
        for score, address in result.hits:
            stored = searcher.doc(address)
            hits.append(
                SearchHit(
                    document_id=_first(stored, "document_id"),
                    case_file_id=_first(stored, "case_file_id"),
                    reference=_first(stored, "reference"),
                    title=_first(stored, "title"),
                    filename=_first(stored, "filename"),
                    media_type=_first(stored, "media_type"),
                    score=float(score),
                    highlights=_highlights(snippets, stored),
                )
            )
        # tantivy's type stub lacks SearchResult.count (set because count=True above).
        return SearchResult(int(result.count or 0), hits)  # type: ignore[attr-defined]

    def rebuild(self) -> EmbeddedRebuild:
        return EmbeddedRebuild(self)

    def close(self) -> None:
        with self._lock:
            if self._live is not None:
                self._live.close()
                self._live = None


class EmbeddedRebuild:
    """A new folder beside the live one; `swap` repoints `current` at it."""

    def __init__(self, owner: EmbeddedIndex) -> None:
        self._owner = owner
        owner.root.mkdir(parents=True, exist_ok=True)
        self._folder = _Folder(owner.root / _new_folder_name())

    def index(self, documents: Sequence[IndexedDocument]) -> None:
        _write(self._folder, documents)

    def swap(self) -> None:
        self._folder.commit()
        self._folder.close()
        with self._owner._exclusive():
            previous = self._owner._current_target()
            _point_current(self._owner.root, self._folder.path.name)
            # Keep the previous folder: a reader may still be searching it right now.
            keep = {self._folder.path.name, previous}
            for path in self._owner.root.glob("index-*"):
                if path.name not in keep:
                    shutil.rmtree(path, ignore_errors=True)

    def abort(self) -> None:
        self._folder.close()
        shutil.rmtree(self._folder.path, ignore_errors=True)


def _new_folder_name() -> str:
    return f"index-{time.time_ns():x}"


def _point_current(root: Path, target: str) -> None:
    temporary = root / f".{CURRENT}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    temporary.symlink_to(target)
    os.replace(temporary, root / CURRENT)  # rename is atomic: readers see old or new


def _write(folder: _Folder, documents: Sequence[IndexedDocument]) -> None:
    writer = folder.writer
    for document in documents:
        writer.delete_documents_by_term("document_id", document.document_id)
        writer.add_document(_tantivy_document(document))


def _tantivy_document(document: IndexedDocument) -> tantivy.Document:
    meta = document.metadata
    fields: dict[str, Any] = {
        "document_id": meta.document_id,
        "case_file_id": meta.case_file_id,
        "reference": meta.reference,
        "case_title": meta.case_title,
        "title": meta.title,
        "filename": meta.filename,
        "media_type": meta.media_type,
        "department": meta.department,
        "file_plan": meta.file_plan,
        "version": meta.version,
        "modified_at": meta.modified_at.astimezone(dt.UTC).replace(tzinfo=None),
        "text": document.text,
    }
    result = tantivy.Document(**fields)
    for key in meta.access_keys:
        result.add_text("access_keys", key)
    return result


def _stored(searcher: Any, document_id: str) -> Any:
    found = searcher.search(
        tantivy.Query.term_query(SCHEMA, "document_id", document_id), limit=1, count=False
    )
    return searcher.doc(found.hits[0][1]) if found.hits else None


def _first(stored: Any, name: str) -> Any:
    values = stored.get_all(name)
    return values[0] if values else ""


def _parse(index: tantivy.Index, parsed: ParsedQuery) -> tantivy.Query:
    """Our parsed query as tantivy syntax: every term quoted, so nothing is syntax."""
    clauses = []
    for group in parsed.required:
        alternatives = " OR ".join(_quoted(term) for term in group)
        clauses.append(f"+({alternatives})")
    clauses.extend(f"-{_quoted(term)}" for term in parsed.excluded)
    try:
        return index.parse_query(" ".join(clauses), list(TEXT_FIELDS), field_boosts=BOOSTS)
    except ValueError as error:
        raise SearchQueryError(f"the search text cannot be used: {error}") from error


def _quoted(term: Term) -> str:
    return '"' + term.text.replace('"', " ").replace("\\", " ") + '"'


def _filters(query: SearchQuery) -> list[tantivy.Query]:
    filters = query.filters
    clauses = [tantivy.Query.term_set_query(SCHEMA, "access_keys", sorted(query.access_keys))]
    for name, value in (
        ("department", filters.department),
        ("case_file_id", filters.case_file_id),
        ("file_plan", filters.file_plan),
        ("media_type", filters.media_type),
    ):
        if value is not None:
            clauses.append(tantivy.Query.term_query(SCHEMA, name, value))
    if filters.modified_from is not None or filters.modified_until is not None:
        clauses.append(
            tantivy.Query.range_query(
                SCHEMA,
                "modified_at",
                tantivy.FieldType.Date,
                _naive_utc(filters.modified_from),
                _naive_utc(filters.modified_until),
                include_lower=True,
                include_upper=filters.modified_until is None,
            )
        )
    return clauses


def _left_out(query: SearchQuery) -> list[tantivy.Query]:
    if not query.withdrawn:
        return []
    return [tantivy.Query.term_set_query(SCHEMA, "document_id", sorted(query.withdrawn))]


def _naive_utc(moment: dt.datetime | None) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(dt.UTC).replace(tzinfo=None)


def _snippet_generator(searcher: Any, query: tantivy.Query, field: str) -> Any:
    generator = tantivy.SnippetGenerator.create(searcher, query, SCHEMA, field)
    generator.set_max_num_chars(SNIPPET_CHARS)
    return generator


def _highlights(snippets: dict[str, Any], stored: Any) -> list[str]:
    marked = []
    for generator in snippets.values():
        snippet = generator.snippet_from_doc(stored)
        ranges = snippet.highlighted()
        if ranges:
            marked.append(_mark(snippet.fragment(), ranges))
    return marked[:MAX_HIGHLIGHTS]


def _mark(fragment: str, ranges: Sequence[Any]) -> str:
    """Escape the fragment and wrap each highlighted range (byte offsets) in <mark>."""
    raw = fragment.encode()
    parts: list[str] = []
    position = 0
    for span in sorted(ranges, key=lambda r: r.start):
        if span.start < position:
            continue
        parts.append(html.escape(raw[position : span.start].decode(errors="ignore")))
        word = raw[span.start : span.end].decode(errors="ignore")
        parts.append(MARK_START + html.escape(word) + MARK_END)
        position = span.end
    parts.append(html.escape(raw[position:].decode(errors="ignore")))
    return " ".join("".join(parts).split())
