"""GET /api/v1/search on the embedded index: German matching, trimming, filters, paging, errors.

The worker's indexing step runs in the test (`drain`) so that each test decides
when the outbox is drained; everything else is the real stack.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import tantivy
from werkzeug.datastructures import FileStorage

from eakte.errors import SearchUnavailableError
from eakte.models import SearchOutbox
from tests.api.support import LETTER, drain, found, post_multipart, search, upload_text
from tests.helpers import assert_problem, audit_events
from tests.processes import extraction_children_stopped_while_starting


@pytest.fixture
def letter(town, ports):
    case_file = town.case_file()
    document = upload_text(town.anna, case_file["id"], LETTER, title="Bescheid Bauantrag")
    drain(ports)
    return case_file, document


def test_german_word_forms_find_the_document_and_are_marked(town, letter) -> None:
    case_file, document = letter
    for query in ("Genehmigung", "Bauantrag", "lindenstrasse", '"Grundstück in der"'):
        response = search(town.anna, query)
        assert response.status_code == 200
        body = response.get_json()
        assert body["total"] == 1, query
        hit = body["items"][0]
        assert hit["document"] == document["id"]
        assert hit["case_file"] == case_file["id"]
        assert hit["reference"] == case_file["reference"]
        assert hit["title"] == "Bescheid Bauantrag"
        assert hit["score"] > 0
        assert any("<mark>" in snippet for snippet in hit["highlights"]), query
    snippets = search(town.anna, "Genehmigung").get_json()["items"][0]["highlights"]
    assert "<mark>Genehmigungen</mark>" in " ".join(snippets)


def test_words_are_anded_and_phrases_keep_their_order(town, letter) -> None:
    assert len(found(town.anna, "Genehmigung Lindenstraße")) == 1
    assert found(town.anna, "Genehmigung Abrissverfügung") == []
    assert len(found(town.anna, "Genehmigung OR Abrissverfügung")) == 1
    assert found(town.anna, "Genehmigung -Sommer") == []
    assert found(town.anna, '"in der Grundstück"') == []


def test_title_reference_and_filename_are_searchable(town, ports) -> None:
    case_file = town.case_file(title="Gaststättenerlaubnis Hirschwirt")
    document = upload_text(
        town.anna, case_file["id"], "kein passender Inhalt", filename="lageplan_nord.txt"
    )
    drain(ports)
    assert found(town.anna, "Gaststättenerlaubnis") == [document["id"]]
    assert found(town.anna, case_file["reference"]) == [document["id"]]
    assert found(town.anna, "lageplan") == [document["id"]]


def test_document_shows_its_extraction_status(town, ports) -> None:
    case_file = town.case_file()
    document = upload_text(town.anna, case_file["id"], LETTER)
    assert document["extraction_status"] == "pending"
    drain(ports)
    shown = town.anna.get(f"/documents/{document['id']}").get_json()
    assert shown["extraction_status"] == "extracted"
    versions = town.anna.get(f"/documents/{document['id']}/versions").get_json()
    assert versions["items"][0]["extraction_status"] == "extracted"


def test_a_new_version_replaces_the_indexed_text(town, ports, letter) -> None:
    _, document = letter
    fields = {
        "file": FileStorage(io.BytesIO(b"Widerspruchsbescheid zur Nutzungsuntersagung"), "v2.txt")
    }
    response = post_multipart(town.anna, f"/documents/{document['id']}/versions", fields)
    assert response.status_code == 201
    drain(ports)
    assert found(town.anna, "Nutzungsuntersagung") == [document["id"]]
    assert found(town.anna, "Genehmigung") == []


def test_other_department_sees_total_zero_and_no_snippet(town, letter) -> None:
    body = search(town.ben, "Genehmigung").get_json()
    assert body == {"items": [], "next": None, "total": 0}
    assert found(town.carla, "Genehmigung") != []  # a reader of 32 does find it
    assert search(town.audrey, "Genehmigung").get_json()["total"] == 0  # global roles: no files
    assert search(town.bea, "Genehmigung", department="32").get_json()["total"] == 0


def test_a_grant_opens_the_file_and_its_expiry_closes_it_without_reindexing(
    town,
    ports,
    clock,
    letter,
) -> None:
    case_file, document = letter
    expires = (clock() + dt.timedelta(days=2)).isoformat()
    response = town.lea.post(
        f"/case-files/{case_file['id']}/grants",
        {"department": "50", "permission": "read", "expires_at": expires},
    )
    assert response.status_code == 201
    drain(ports)
    assert found(town.ben, "Genehmigung") == [document["id"]]
    clock.advance(days=3)
    assert search(town.ben, "Genehmigung").get_json()["total"] == 0
    assert table_outbox(ports) == 0  # nothing was re-indexed for the expiry


def test_revoking_a_grant_reindexes_the_file_through_the_outbox(town, ports, letter) -> None:
    case_file, document = letter
    grant = town.lea.post(
        f"/case-files/{case_file['id']}/grants", {"principal": "bea", "permission": "read"}
    ).get_json()
    drain(ports)
    assert found(town.bea, "Genehmigung") == [document["id"]]
    assert town.lea.delete(f"/case-files/{case_file['id']}/grants/{grant['id']}").status_code == 204
    assert table_outbox(ports) == 1
    assert search(town.bea, "Genehmigung").get_json()["total"] == 0
    drain(ports)
    assert search(town.bea, "Genehmigung").get_json()["total"] == 0


def test_a_confidential_file_drops_out_for_department_members(town, ports, letter) -> None:
    case_file, document = letter
    etag = town.anna.get(f"/case-files/{case_file['id']}").headers["ETag"]
    response = town.lea.patch(
        f"/case-files/{case_file['id']}", {"confidential": True}, headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.get_json()
    drain(ports)
    assert search(town.carla, "Genehmigung").get_json()["total"] == 0
    assert found(town.lea, "Genehmigung") == [document["id"]]  # named when she made it confidential


def test_filters_narrow_the_hits(town, ports, clock) -> None:
    first = town.case_file()
    second = town.case_file(department="32.1")
    a = upload_text(town.anna, first["id"], "Lärmschutz Gutachten")
    clock.advance(days=40)
    b = upload_text(town.anna, second["id"], "Lärmschutz Stellungnahme")
    drain(ports)
    assert set(found(town.anna, "Lärmschutz")) == {a["id"], b["id"]}
    assert found(town.anna, "Lärmschutz", department="32.1") == [b["id"]]
    assert found(town.anna, "Lärmschutz", case_file=first["id"]) == [a["id"]]
    assert set(found(town.anna, "Lärmschutz", file_plan="32.10")) == {a["id"], b["id"]}
    assert set(found(town.anna, "Lärmschutz", media_type="text/plain")) == {a["id"], b["id"]}
    assert found(town.anna, "Lärmschutz", media_type="application/pdf") == []
    today = clock().astimezone(ZoneInfo("Europe/Berlin")).date()
    assert found(town.anna, "Lärmschutz", since=today.isoformat()) == [b["id"]]
    earlier = (today - dt.timedelta(days=20)).isoformat()
    assert found(town.anna, "Lärmschutz", until=earlier) == [a["id"]]


def test_pages_follow_the_cursor_and_total_stays(town, ports) -> None:
    case_file = town.case_file()
    ids = {
        upload_text(town.anna, case_file["id"], f"Sondernutzung Nummer {i}")["id"] for i in range(5)
    }
    drain(ports)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = search(town.anna, "Sondernutzung", **params).get_json()
        assert body["total"] == 5
        seen += [hit["document"] for hit in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids)
    first = search(town.anna, "Sondernutzung", limit=2).get_json()
    assert_problem(search(town.anna, "Nummer", cursor=first["next"]), 422, "invalid-input")


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 501, "longer than 500"),
        ('"Bauantrag', "quotation mark"),
        ("Bauantrag OR", "OR"),
        ("-Bauantrag", "at least one word"),
    ],
)
def test_bad_queries_get_a_readable_400(town, q: str, words: str) -> None:
    problem = assert_problem(search(town.anna, q), 400, "invalid-query")
    assert words in problem["detail"]


def test_engine_syntax_is_just_text(town, letter) -> None:
    for query in ("access_keys:*", "Genehmigung^10 (", "title:[a TO z]", "Genehmigung)"):
        response = search(town.anna, query)
        assert response.status_code == 200, (query, response.get_json())
    assert search(town.ben, "access_keys:*").get_json()["total"] == 0
    assert_problem(search(town.anna, "*"), 400, "invalid-query")


def test_search_needs_a_token_and_is_audited(town, ports, letter) -> None:
    from tests.helpers import ApiClient

    assert_problem(search(ApiClient(town.client, None), "Genehmigung"), 401)
    search(town.anna, "Genehmigung")
    events = audit_events(ports, action="search")
    assert events[-1].actor == "anna"
    assert events[-1].details["total"] == 1
    assert events[-1].details["query"] == "Genehmigung"


def test_ready_reports_outbox_lag(town, ports, client, clock) -> None:
    case_file = town.case_file()
    upload_text(town.anna, case_file["id"], LETTER)
    clock.advance(seconds=30)
    body = client.get("/api/v1/health/ready").get_json()
    assert body["checks"]["search"] == "ok"
    assert body["outbox"]["pending"] == 1
    assert body["outbox"]["oldest_seconds"] >= 30
    drain(ports)
    assert client.get("/api/v1/health/ready").get_json()["outbox"]["pending"] == 0


def test_uploads_succeed_while_the_index_is_locked_and_drain_later(town, ports) -> None:
    """Another process holding the index's writer is the embedded index being unavailable."""
    case_file = town.case_file()
    ports.search_index.close()  # let go of our own writer, as a worker restart would
    root = ports.search_index.root
    ports.search_index.check()
    other = tantivy.Index.open(str(root / "current"))
    blocker = other.writer()
    documents = [upload_text(town.anna, case_file["id"], LETTER)["id"] for _ in range(3)]
    with pytest.raises(SearchUnavailableError):
        drain(ports)
    assert table_outbox(ports) == 3
    assert search(town.anna, "Genehmigung").get_json()["total"] == 0
    del blocker
    other = None
    import gc

    gc.collect()
    assert drain(ports) == 3
    assert sorted(found(town.anna, "Genehmigung")) == sorted(documents)


def table_outbox(ports) -> int:
    with ports.session_factory() as session:
        return session.query(SearchOutbox).count()


def test_unknown_case_file_filter_finds_nothing(town, letter) -> None:
    assert found(town.anna, "Genehmigung", case_file=str(uuid.uuid4())) == []


def test_a_batch_whose_extraction_was_stopped_is_indexed_later_with_its_text(
    town, ports, tmp_path
) -> None:
    """A stop signal that ends the extraction child (the service is being stopped) hands
    the batch back to the outbox: nothing is marked failed, and the next run indexes it."""
    from eakte.bootstrap import build_extractor
    from eakte.services.indexing import drain as drain_batch

    case_file = town.case_file()
    document = upload_text(town.anna, case_file["id"], LETTER)
    ports.extractor = build_extractor(ports.settings)  # its child starts at the first call
    try:
        with extraction_children_stopped_while_starting(tmp_path):
            drain_batch(ports)

        with ports.session_factory() as session:
            [row] = session.scalars(sa.select(SearchOutbox)).all()
            assert (row.attempts, row.last_error) == (0, None)  # handed back, not a failure
            assert row.available_at <= ports.clock()  # at once, for whichever worker is next
        assert (
            town.anna.get(f"/documents/{document['id']}").get_json()["extraction_status"]
            == "pending"
        )
        assert found(town.anna, "Genehmigung") == []

        assert drain(ports) == 1  # the restarted worker
    finally:
        ports.extractor.close()
    assert found(town.anna, "Genehmigung") == [document["id"]]  # with its text
    shown = town.anna.get(f"/documents/{document['id']}").get_json()
    assert shown["extraction_status"] == "extracted"
