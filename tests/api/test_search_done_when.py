"""Issue 6, "done when", on both backends through the REST API.

`embedded` is the default tantivy index in the instance folder. No
Elasticsearch server can be installed on this machine, so `elasticsearch` runs
the same product code against osmem-server, an OpenSearch-API emulator (see
tests/searchserver.py); the client's compatibility headers are adjusted in the
test setup only (`es_compat`).
"""

from __future__ import annotations

import io
import threading
import uuid

import pytest
import tantivy
from werkzeug.datastructures import FileStorage

from eakte.errors import SearchUnavailableError
from eakte.services import indexing
from tests.api.support import drain, post_multipart, search
from tests.documents import (
    make_docx,
    make_email,
    make_odt,
    make_pdf,
    make_scanned_pdf,
    require_ocr,
)
from tests.searchserver import closed_port_url, start_search_server


def _eml() -> bytes:
    message = make_email(
        body="Anbei die Zuwendungsbescheiden beigefügte Liste.", subject="Post vom Landratsamt"
    )
    message.add_attachment(
        make_docx("Die Fristverlängerungen wurden bewilligt."),
        maintype="application",
        subtype="octet-stream",
        filename="anlage.docx",
    )
    return message.as_bytes()


# (file name, content, a German form in the text, the query with another form)
FORMATS = [
    ("bescheid.pdf", lambda: make_pdf("Die Baugenehmigungen wurden erteilt."), "Baugenehmigung"),
    ("anmeldung.docx", lambda: make_docx("Die Gewerbeanmeldungen liegen vor."), "Gewerbeanmeldung"),
    (
        "antrag.odt",
        lambda: make_odt("Mehrere Nutzungsänderungen sind beantragt."),
        "Nutzungsänderung",
    ),
    (
        "beschwerde.txt",
        lambda: "Drei Lärmbeschwerden gingen ein.".encode("cp1252"),
        "Lärmbeschwerde",
    ),
    (
        "sperrung.html",
        lambda: b"<html><body><p>Geplante Stra&szlig;ensperrungen im Mai</p></body></html>",
        "Strassensperrung",
    ),
    ("post.eml", _eml, "Zuwendungsbescheid"),
    ("post.eml", _eml, "Fristverlängerung"),
    ("scan.pdf", lambda: make_scanned_pdf("Festsetzungen der Gebühren"), "Festsetzung"),
]


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def search_env(backend: str, request: pytest.FixtureRequest) -> dict[str, str]:
    if backend == "embedded":
        return {}
    request.getfixturevalue("es_compat")
    clone = request.getfixturevalue("search_server").clone()
    request.addfinalizer(clone.close)
    return {"EAKTE_SEARCH_URL": clone.url, "EAKTE_SEARCH_INDEX": f"eakte-{uuid.uuid4().hex[:8]}"}


def upload(who, case_file_id: str, filename: str, content: bytes) -> str:
    fields = {"file": FileStorage(io.BytesIO(content), filename)}
    response = post_multipart(who, f"/case-files/{case_file_id}/documents", fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_every_format_is_found_by_an_inflected_form_within_the_department(
    town,
    ports,
    ocr,
) -> None:
    case_file = town.case_file(title="Sammelakte Musterbetrieb")
    uploaded = {}
    for filename, content, _ in FORMATS:
        if filename not in uploaded:
            uploaded[filename] = upload(town.anna, case_file["id"], filename, content())
    drain(ports)
    for filename, _, query in FORMATS:
        body = search(town.anna, query).get_json()
        assert [hit["document"] for hit in body["items"]] == [uploaded[filename]], query
        assert body["total"] == 1
        assert any("<mark>" in h for h in body["items"][0]["highlights"]), query
        other = search(town.ben, query).get_json()
        assert other["total"] == 0 and other["items"] == [], query
    statuses = {
        filename: town.anna.get(f"/documents/{document}").get_json()["extraction_status"]
        for filename, document in uploaded.items()
    }
    assert set(statuses.values()) == {"extracted"}, statuses


@pytest.fixture
def ocr() -> None:
    require_ocr()


def test_reindex_swaps_without_a_failed_query(town, ports, system) -> None:
    case_file = town.case_file()
    documents = [
        upload(town.anna, case_file["id"], f"b{i}.txt", f"Baugenehmigungen Nummer {i}".encode())
        for i in range(40)
    ]
    drain(ports)
    failures: list[object] = []
    done = threading.Event()

    def rebuild() -> None:
        try:
            indexing.reindex(system)
        except Exception as error:  # reported by the assertion below
            failures.append(error)
        finally:
            done.set()

    worker = threading.Thread(target=rebuild)
    worker.start()
    queries = 0
    while not done.is_set() or queries == 0:
        response = search(town.anna, "Baugenehmigung", limit=100)
        queries += 1
        if response.status_code != 200 or response.get_json()["total"] != len(documents):
            failures.append((response.status_code, response.get_json()))
    worker.join()
    assert failures == []
    assert queries > 1
    late = upload(town.anna, case_file["id"], "spaet.txt", b"Baugenehmigungen nachgereicht")
    drain(ports)
    hits = search(town.anna, "nachgereicht").get_json()["items"]
    assert [hit["document"] for hit in hits] == [late]


@pytest.mark.parametrize("backend", ["embedded"], indirect=True)
def test_uploads_succeed_while_the_embedded_index_is_locked(town, ports) -> None:
    """Another process holding the index's writer is what 'down' means for a folder."""
    case_file = town.case_file()
    ports.search_index.check()
    ports.search_index.close()
    blocker = tantivy.Index.open(str(ports.search_index.root / "current")).writer()
    documents = [upload(town.anna, case_file["id"], "a.txt", b"Baugenehmigungen") for _ in range(3)]
    with pytest.raises(SearchUnavailableError):
        drain(ports)
    del blocker
    assert drain(ports) == 3
    found = [hit["document"] for hit in search(town.anna, "Baugenehmigung").get_json()["items"]]
    assert sorted(found) == sorted(documents)


@pytest.fixture
def stoppable_search(request: pytest.FixtureRequest):
    """An osmem-server of this test's own on a fixed port, so it can be stopped and restarted."""
    address = closed_port_url().removeprefix("http://")
    servers = [start_search_server(address)]

    def restart() -> None:
        servers.append(start_search_server(address))

    request.addfinalizer(lambda: [server.close() for server in servers])
    return servers, restart


@pytest.mark.parametrize("backend", ["elasticsearch"], indirect=True)
def test_uploads_succeed_while_elasticsearch_is_down_and_drain_after_restart(
    town,
    ports,
    client,
    stoppable_search,
) -> None:
    servers, restart = stoppable_search
    # Point the app at the stoppable server (the per-test clone stays unused).
    from eakte.search.elastic import ElasticsearchIndex

    ports.search_index = ElasticsearchIndex([servers[0].url], alias="eakte-down-test")
    ports.search_index.check()
    case_file = town.case_file()
    servers[0].close()
    documents = [
        upload(town.anna, case_file["id"], f"{i}.txt", b"Baugenehmigungen") for i in range(3)
    ]
    ready = client.get("/api/v1/health/ready").get_json()
    assert ready["status"] == "degraded"
    assert ready["outbox"]["pending"] == 3
    from tests.helpers import assert_problem

    down = search(town.anna, "Baugenehmigung")
    assert_problem(down, 503, "search-unavailable")
    assert int(down.headers["Retry-After"]) > 0
    with pytest.raises(SearchUnavailableError):
        drain(ports)
    restart()
    ports.search_index.check()  # the worker's next tick does the same
    assert drain(ports) == 3
    found = [hit["document"] for hit in search(town.anna, "Baugenehmigung").get_json()["items"]]
    assert sorted(found) == sorted(documents)
    assert client.get("/api/v1/health/ready").get_json()["status"] == "ready"
