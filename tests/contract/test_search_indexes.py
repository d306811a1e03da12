"""One contract, every SearchIndex: the embedded index (tantivy) and Elasticsearch.

No Elasticsearch server can be installed here, so the Elasticsearch adapter is
tested against osmem-server, an in-memory emulator of the OpenSearch API, with
the client's compatibility headers adjusted in the test setup (the `es_compat`
fixture; the product code is untouched).  Where osmem differs from a real
cluster, the tests assert less rather than something only the emulator does:
highlights must mark the matched word (not "only that word"), and phrases are
made of content words (osmem drops German stop words from phrase queries).
See tests/searchserver.py.

Each test asserts what a clerk would notice: what is found, what is not, what
is marked, and that nobody sees a document their access keys do not allow.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import replace

import pytest

from eakte.errors import SearchQueryError, SearchUnavailableError
from eakte.search.base import (
    MARK_END,
    MARK_START,
    MAX_HIGHLIGHTS,
    DocumentMetadata,
    IndexedDocument,
    SearchFilters,
    SearchIndex,
    SearchQuery,
    SearchResult,
)
from eakte.search.elastic import ElasticsearchIndex
from eakte.search.embedded import EmbeddedIndex
from eakte.search.query import parse_query
from tests.searchserver import closed_port_url

KEYS = frozenset({"dept:A"})
JANUARY = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["embedded", "elasticsearch"])
def search_index(request, tmp_path):
    if request.param == "embedded":
        index = EmbeddedIndex(tmp_path / "search")
        index.check()
        yield index
        index.close()
        return
    request.getfixturevalue("es_compat")
    clone = request.getfixturevalue("search_server").clone()
    index = ElasticsearchIndex([clone.url], alias=f"eakte-test-{uuid.uuid4().hex[:12]}")
    index.check()
    yield index
    index.close()
    clone.close()


def doc(document_id: str | None = None, text: str = "", **metadata) -> IndexedDocument:
    """A document in department A with plain defaults; keyword arguments override metadata."""
    fields = {
        "document_id": document_id or str(uuid.uuid4()),
        "case_file_id": "case-1",
        "reference": "32.10-0001/2026",
        "case_title": "Gewerbeanmeldung",
        "title": "Schreiben",
        "filename": "schreiben.pdf",
        "media_type": "application/pdf",
        "department": "dept-32",
        "file_plan": "32.10",
        "version": 1,
        "modified_at": JANUARY,
        "access_keys": ("dept:A",),
    }
    fields.update(metadata)
    return IndexedDocument(DocumentMetadata(**fields), text)


def find(
    index: SearchIndex,
    text: str,
    keys: frozenset[str] | set[str] = KEYS,
    filters: SearchFilters | None = None,
    offset: int = 0,
    limit: int = 50,
) -> SearchResult:
    query = SearchQuery(
        parse_query(text), frozenset(keys), filters or SearchFilters(), offset, limit
    )
    return index.search(query)


def ids(result: SearchResult) -> set[str]:
    return {hit.document_id for hit in result.hits}


# -- lifecycle -----------------------------------------------------------------


def test_check_is_idempotent_and_a_new_index_is_empty(search_index):
    search_index.check()
    search_index.check()
    assert search_index.document_count() == 0
    assert find(search_index, "Bauantrag") == SearchResult(0, [])


def test_document_count_counts_what_was_indexed(search_index):
    search_index.index([doc(text="eins"), doc(text="zwei"), doc(text="drei")])
    assert search_index.document_count() == 3


def test_indexing_nothing_is_fine(search_index):
    search_index.index([])
    assert search_index.update_metadata([]) == []
    search_index.delete([])
    assert search_index.document_count() == 0


# -- German words ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("Genehmigung", "Die Genehmigungen liegen der Stadt vor."),
        ("Genehmigungen", "Eine Genehmigung wurde erteilt."),
        ("Bauanträge", "Der Bauantrag wurde eingereicht."),
        ("Bauantrag", "Alle Bauanträge sind vollständig."),
        ("Strasse", "Sperrung der Straße am Markt"),
        ("Straße", "Sperrung der Strasse am Markt"),
        ("Häuser", "Das Haus steht unter Denkmalschutz."),
    ],
)
def test_german_inflections_and_spellings_find_each_other(search_index, typed, written):
    wanted = doc("wanted", text=written)
    search_index.index([wanted, doc("other", text="Ein ganz anderes Thema: Wohngeld.")])
    assert ids(find(search_index, typed)) == {"wanted"}


def test_search_words_are_case_insensitive(search_index):
    search_index.index([doc("a", text="GEWERBEANMELDUNG der Bäckerei")])
    assert ids(find(search_index, "gewerbeanmeldung")) == {"a"}


# -- the query language -----------------------------------------------------------------


def test_two_words_find_only_documents_with_both(search_index):
    search_index.index(
        [
            doc("both", text="Bauantrag mit Genehmigung"),
            doc("first", text="Bauantrag ohne Bescheid"),
            doc("second", text="Genehmigung einer Gaststätte"),
        ]
    )
    result = find(search_index, "Bauantrag Genehmigung")
    assert ids(result) == {"both"}
    assert result.total == 1


def test_or_finds_documents_with_either_word(search_index):
    search_index.index(
        [
            doc("antrag", text="Bauantrag Sommer"),
            doc("gesuch", text="Baugesuch Winter"),
            doc("neither", text="Wohngeld Herbst"),
        ]
    )
    assert ids(find(search_index, "Bauantrag OR Baugesuch")) == {"antrag", "gesuch"}


def test_or_groups_combine_with_and(search_index):
    search_index.index(
        [
            doc("a", text="Bauantrag Sommer"),
            doc("b", text="Baugesuch Sommer"),
            doc("c", text="Baugesuch Winter"),
        ]
    )
    assert ids(find(search_index, "Bauantrag OR Baugesuch Sommer")) == {"a", "b"}


def test_an_excluded_word_removes_documents(search_index):
    search_index.index(
        [
            doc("keep", text="Bauantrag für einen Neubau"),
            doc("drop", text="Bauantrag für den Abriss"),
        ]
    )
    assert ids(find(search_index, "Bauantrag -Abriss")) == {"keep"}
    assert ids(find(search_index, "Bauantrag -Abrisse")) == {"keep"}  # inflected too


def test_a_phrase_matches_only_adjacent_words_in_order(search_index):
    search_index.index(
        [
            doc("phrase", text="Bauantrag Müller genehmigt"),
            doc("reversed", text="Müller Bauantrag eingereicht"),
            doc("apart", text="Bauantrag von Frau Müller"),
        ]
    )
    assert ids(find(search_index, '"Bauantrag Müller"')) == {"phrase"}
    assert ids(find(search_index, "Bauantrag Müller")) == {"phrase", "reversed", "apart"}


def test_an_excluded_phrase_removes_only_that_phrase(search_index):
    search_index.index(
        [
            doc("phrase", text="Bauantrag Müller genehmigt"),
            doc("apart", text="Bauantrag von Frau Müller"),
        ]
    )
    assert ids(find(search_index, 'Bauantrag -"Bauantrag Müller"')) == {"apart"}


# -- fields other than the text -------------------------------------------------------------


def test_the_title_is_searchable(search_index):
    search_index.index([doc("a", title="Lageplan Sommerweg"), doc("b", title="Bescheid")])
    assert ids(find(search_index, "Sommerweg")) == {"a"}


def test_the_case_file_title_is_searchable(search_index):
    search_index.index(
        [doc("a", case_title="Gewerbeanmeldung Bäckerei Sommer"), doc("b", case_title="Wohngeld")]
    )
    assert ids(find(search_index, "Bäckerei")) == {"a"}


def test_the_full_reference_finds_its_documents(search_index):
    search_index.index(
        [
            doc("a", reference="32.10-0007/2026"),
            doc("b", reference="32.10-0008/2026"),
            doc("c", reference="32.10-0007/2025"),
        ]
    )
    assert ids(find(search_index, '"32.10-0007/2026"')) == {"a"}
    assert ids(find(search_index, "32.10-0007/2026")) == {"a"}


def test_the_words_of_a_filename_are_searchable(search_index):
    search_index.index(
        [doc("a", filename="Lageplan_Sommerweg.pdf"), doc("b", filename="Bescheid.pdf")]
    )
    assert ids(find(search_index, "Lageplan")) == {"a"}
    assert ids(find(search_index, "Sommerweg")) == {"a"}


# -- highlights --------------------------------------------------------------------------


def test_highlights_mark_the_inflected_word_that_matched(search_index):
    search_index.index([doc("a", text="Die Genehmigungen für den Neubau liegen vor.")])
    [hit] = find(search_index, "Genehmigung").hits
    assert 1 <= len(hit.highlights) <= MAX_HIGHLIGHTS
    assert any(f"{MARK_START}Genehmigungen{MARK_END}" in h for h in hit.highlights)


def test_highlights_escape_html_from_the_text(search_index):
    text = 'Genehmigungen <script>alert("x")</script> & Co <b>fett</b>'
    search_index.index([doc("a", text=text)])
    [hit] = find(search_index, "Genehmigung").hits
    joined = " ".join(hit.highlights)
    assert f"{MARK_START}Genehmigungen{MARK_END}" in joined
    assert "<script>" not in joined and "<b>" not in joined
    assert "&lt;script&gt;" in joined
    assert "&amp;" in joined
    assert joined.replace(MARK_START, "").replace(MARK_END, "").count("<") == 0


def test_a_hit_carries_the_document_metadata(search_index):
    search_index.index(
        [
            doc(
                "a",
                text="Baugenehmigung",
                case_file_id="case-7",
                reference="32.10-0007/2026",
                title="Bescheid",
                filename="bescheid.pdf",
                media_type="application/pdf",
            )
        ]
    )
    [hit] = find(search_index, "Baugenehmigung").hits
    assert (hit.document_id, hit.case_file_id, hit.reference) == ("a", "case-7", "32.10-0007/2026")
    assert (hit.title, hit.filename) == ("Bescheid", "bescheid.pdf")
    assert hit.media_type == "application/pdf"
    assert hit.score > 0


# -- security trimming -------------------------------------------------------------------


def test_a_document_is_invisible_without_a_shared_access_key(search_index):
    search_index.index([doc("secret", text="Personalakte Gehalt", access_keys=("dept:A",))])
    hidden = find(search_index, "Personalakte", keys={"dept:B"})
    assert hidden.total == 0 and hidden.hits == []
    visible = find(search_index, "Personalakte", keys={"dept:B", "dept:A"})
    assert ids(visible) == {"secret"} and visible.total == 1


def test_any_one_shared_key_makes_a_document_visible(search_index):
    search_index.index([doc("granted", text="Widerspruch", access_keys=("dept:A", "grant:g1"))])
    assert ids(find(search_index, "Widerspruch", keys={"grant:g1"})) == {"granted"}


def test_no_access_keys_see_nothing(search_index):
    search_index.index([doc("a", text="Widerspruch")])
    result = find(search_index, "Widerspruch", keys=set())
    assert result.total == 0 and result.hits == []


def test_the_total_counts_only_visible_documents(search_index):
    search_index.index(
        [doc(text="Widerspruch", access_keys=("dept:A",)) for _ in range(3)]
        + [doc(text="Widerspruch", access_keys=("dept:B",)) for _ in range(4)]
    )
    result = find(search_index, "Widerspruch", keys={"dept:A"}, limit=2)
    assert result.total == 3 and len(result.hits) == 2


def test_withdrawn_documents_are_left_out_before_counting_and_paging(search_index):
    """Destroyed documents the index still holds: not counted, not paged, not highlighted."""
    kept = [doc(f"kept-{n}", text="Widerspruch Sommer") for n in range(3)]
    gone = [doc(f"gone-{n}", text="Widerspruch Winter") for n in range(3)]
    search_index.index(kept + gone)
    withdrawn = frozenset(d.document_id for d in gone) | {"not-in-the-index"}
    query = SearchQuery(parse_query("Widerspruch"), KEYS, limit=2, withdrawn=withdrawn)
    first = search_index.search(query)
    rest = search_index.search(query.page(2, 2))
    assert first.total == rest.total == 3
    assert ids(first) | ids(rest) == {d.document_id for d in kept}
    assert not any("Winter" in h for hit in first.hits + rest.hits for h in hit.highlights)
    assert find(search_index, "Widerspruch").total == 6  # nothing was removed from the index


# -- filters -----------------------------------------------------------------------------


@pytest.fixture
def two_departments(search_index) -> SearchIndex:
    search_index.index(
        [
            doc(
                "early",
                text="Antrag",
                department="dept-32",
                case_file_id="case-1",
                file_plan="32.10",
                media_type="application/pdf",
                modified_at=dt.datetime(2026, 1, 10, 8, 0, tzinfo=dt.UTC),
            ),
            doc(
                "late",
                text="Antrag",
                department="dept-50",
                case_file_id="case-2",
                file_plan="50.30",
                media_type="text/plain",
                modified_at=dt.datetime(2026, 1, 20, 8, 0, tzinfo=dt.UTC),
            ),
        ]
    )
    return search_index


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (SearchFilters(), {"early", "late"}),
        (SearchFilters(department="dept-50"), {"late"}),
        (SearchFilters(case_file_id="case-1"), {"early"}),
        (SearchFilters(file_plan="50.30"), {"late"}),
        (SearchFilters(media_type="application/pdf"), {"early"}),
        (SearchFilters(modified_from=dt.datetime(2026, 1, 20, 8, 0, tzinfo=dt.UTC)), {"late"}),
        (SearchFilters(modified_until=dt.datetime(2026, 1, 20, 8, 0, tzinfo=dt.UTC)), {"early"}),
        (
            SearchFilters(
                modified_from=dt.datetime(2026, 1, 10, 8, 0, tzinfo=dt.UTC),
                modified_until=dt.datetime(2026, 1, 10, 8, 1, tzinfo=dt.UTC),
            ),
            {"early"},
        ),
        (SearchFilters(department="dept-32", file_plan="50.30"), set()),
        (SearchFilters(department="dept-99"), set()),
    ],
)
def test_each_filter_narrows_the_results(two_departments, filters, expected):
    result = find(two_departments, "Antrag", filters=filters)
    assert ids(result) == expected
    assert result.total == len(expected)


# -- paging ------------------------------------------------------------------------------


def test_pages_concatenate_to_the_full_result(search_index):
    search_index.index(
        [doc(f"d{n}", text="Antrag " + "Antrag " * (n % 3) + f"Nummer{n}") for n in range(7)]
    )
    full = find(search_index, "Antrag")
    assert full.total == 7
    pages = [find(search_index, "Antrag", offset=offset, limit=3) for offset in (0, 3, 6, 9)]
    assert [page.total for page in pages] == [7, 7, 7, 7]
    assert [len(page.hits) for page in pages] == [3, 3, 1, 0]
    paged = [hit.document_id for page in pages for hit in page.hits]
    assert paged == [hit.document_id for hit in full.hits]
    assert len(set(paged)) == 7


def test_hits_come_best_first(search_index):
    search_index.index([doc(f"d{n}", text="Antrag " * (n + 1) + "Ende") for n in range(4)])
    scores = [hit.score for hit in find(search_index, "Antrag").hits]
    assert scores == sorted(scores, reverse=True)


# -- writes ------------------------------------------------------------------------------


def test_indexing_the_same_id_again_replaces_the_document(search_index):
    search_index.index([doc("a", text="Altbau")])
    search_index.index([doc("a", text="Neubau")])
    search_index.index([doc("a", text="Neubau")])  # the outbox may deliver twice
    assert search_index.document_count() == 1
    assert find(search_index, "Altbau").total == 0
    assert ids(find(search_index, "Neubau")) == {"a"}


def test_update_metadata_changes_keys_and_title_and_keeps_the_text(search_index):
    original = doc("a", text="Kanalsanierung", title="Entwurf", access_keys=("dept:A",))
    search_index.index([original])
    changed = replace(original.metadata, title="Endfassung", access_keys=("dept:B",), version=2)
    unknown = replace(original.metadata, document_id="never-indexed")

    assert search_index.update_metadata([changed, unknown]) == ["never-indexed"]

    assert find(search_index, "Kanalsanierung", keys={"dept:A"}).total == 0
    [hit] = find(search_index, "Kanalsanierung", keys={"dept:B"}).hits
    assert (hit.document_id, hit.title) == ("a", "Endfassung")
    assert ids(find(search_index, "Endfassung", keys={"dept:B"})) == {"a"}
    assert find(search_index, "Entwurf", keys={"dept:B"}).total == 0
    assert search_index.document_count() == 1


def test_delete_removes_and_ignores_unknown_ids(search_index):
    search_index.index([doc("a", text="Antrag"), doc("b", text="Antrag")])
    search_index.delete(["a", "never-indexed"])
    search_index.delete(["a"])
    assert ids(find(search_index, "Antrag")) == {"b"}
    assert search_index.document_count() == 1


# -- rebuild -----------------------------------------------------------------------------


def test_a_rebuild_goes_live_only_on_swap(search_index):
    search_index.index([doc("a", text="Altbestand"), doc("b", text="Altbestand")])
    rebuild = search_index.rebuild()
    rebuild.index([doc("a", text="Neubestand")])
    rebuild.index([doc("c", text="Neubestand")])

    # the live index keeps answering with the old content
    assert ids(find(search_index, "Altbestand")) == {"a", "b"}
    assert find(search_index, "Neubestand").total == 0
    assert search_index.document_count() == 2

    rebuild.swap()

    assert ids(find(search_index, "Neubestand")) == {"a", "c"}
    assert find(search_index, "Altbestand").total == 0  # b was not re-indexed: gone
    assert search_index.document_count() == 2
    search_index.index([doc("d", text="Neubestand")])  # writes reach the new live index
    assert ids(find(search_index, "Neubestand")) == {"a", "c", "d"}


def test_an_aborted_rebuild_leaves_the_live_index_untouched(search_index):
    search_index.index([doc("a", text="Altbestand")])
    rebuild = search_index.rebuild()
    rebuild.index([doc("b", text="Neubestand")])
    rebuild.abort()

    assert ids(find(search_index, "Altbestand")) == {"a"}
    assert find(search_index, "Neubestand").total == 0
    assert search_index.document_count() == 1
    search_index.index([doc("c", text="Altbestand")])
    assert ids(find(search_index, "Altbestand")) == {"a", "c"}

    again = search_index.rebuild()  # a later rebuild still works
    again.index([doc("a", text="Neubestand")])
    again.swap()
    assert ids(find(search_index, "Neubestand")) == {"a"}


# -- Elasticsearch only --------------------------------------------------------------------


@pytest.fixture
def es_index(search_server, es_compat):
    clone = search_server.clone()
    index = ElasticsearchIndex([clone.url], alias=f"eakte-test-{uuid.uuid4().hex[:12]}")
    yield index
    index.close()
    clone.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda index: index.check(),
        lambda index: index.index([doc(text="Antrag")]),
        lambda index: index.update_metadata([doc().metadata]),
        lambda index: index.delete(["a"]),
        lambda index: find(index, "Antrag"),
        lambda index: index.document_count(),
        lambda index: index.rebuild(),
    ],
    ids=["check", "index", "update_metadata", "delete", "search", "document_count", "rebuild"],
)
def test_elasticsearch_unreachable_is_search_unavailable(call):
    index = ElasticsearchIndex([closed_port_url()], request_timeout=2)
    try:
        with pytest.raises(SearchUnavailableError):
            call(index)
    finally:
        index.close()


def test_elasticsearch_credentials_stay_out_of_messages_and_repr():
    url = closed_port_url().replace("http://", "http://clerk:geheim@")
    index = ElasticsearchIndex([url], api_key=None, request_timeout=2)
    try:
        assert "geheim" not in repr(index)
        with pytest.raises(SearchUnavailableError) as raised:
            index.check()
        assert "geheim" not in str(raised.value)
    finally:
        index.close()


def test_elasticsearch_live_index_is_versioned_behind_the_alias(es_index):
    es_index.check()
    client = es_index._client
    assert list(client.indices.get_alias(name=es_index.alias).body) == [f"{es_index.alias}-000001"]
    rebuild = es_index.rebuild()
    rebuild.swap()
    assert list(client.indices.get_alias(name=es_index.alias).body) == [f"{es_index.alias}-000002"]
    assert not client.indices.exists(index=f"{es_index.alias}-000001")


def test_elasticsearch_processes_racing_to_create_the_index_share_one(search_server, es_compat):
    clone = search_server.clone()
    alias = f"eakte-test-{uuid.uuid4().hex[:12]}"
    indexes = [ElasticsearchIndex([clone.url], alias=alias) for _ in range(6)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(indexes))

    def start(index: ElasticsearchIndex) -> None:
        barrier.wait()
        try:
            index.check()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(index,)) for index in indexes]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        indexes[0].index([doc("a", text="Antrag")])
        assert all(ids(find(index, "Antrag")) == {"a"} for index in indexes)
        assert len(indexes[0]._client.indices.get_alias(name=alias).body) == 1
    finally:
        for index in indexes:
            index.close()
        clone.close()


def test_elasticsearch_refused_query_is_a_readable_query_error(es_index):
    es_index.check()
    es_index.index([doc(text="Antrag")])
    with pytest.raises(SearchQueryError) as raised:
        find(es_index, "Antrag", offset=100_000)  # beyond the cluster's result window
    message = str(raised.value)
    assert "Traceback" not in message and "\n" not in message
    assert "result window" in message.lower()


def test_elasticsearch_index_before_check_does_not_create_a_stray_index(es_index):
    with pytest.raises(SearchUnavailableError):
        es_index.index([doc(text="Antrag")])
    es_index.check()  # the alias can still be created: no index took its name
    assert es_index.document_count() == 0


def test_elasticsearch_refused_document_is_named_without_its_content(es_index):
    es_index.check()
    refused = doc("too-big", text="vertraulicher Inhalt", version=2**40)  # not an integer
    with pytest.raises(RuntimeError) as raised:
        es_index.index([refused, doc("fine", text="Antrag")])
    message = str(raised.value)
    assert "too-big" in message and "mapper_parsing_exception" in message
    assert "vertraulich" not in message
    assert ids(find(es_index, "Antrag")) == {"fine"}  # the rest of the batch went in
