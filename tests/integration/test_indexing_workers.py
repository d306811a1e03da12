"""Several workers drain one outbox on PostgreSQL: every document indexed exactly once.

Each "worker" here has its own ports (its own connection pool and search client),
as separate `eakte worker` processes would. The index is the Elasticsearch
adapter on osmem-server, an OpenSearch-API emulator (no Elasticsearch server can
be installed here), because it counts writes per document (`_version`).
"""

from __future__ import annotations

import threading
import uuid

import pytest
from elasticsearch import Elasticsearch

from eakte.bootstrap import build_ports
from eakte.services import indexing
from tests.api.support import found, upload_text

pytestmark = pytest.mark.postgres_only

WORKERS = 3
DOCUMENTS = 30


@pytest.fixture
def search_env(request: pytest.FixtureRequest) -> dict[str, str]:
    request.getfixturevalue("es_compat")
    clone = request.getfixturevalue("search_server").clone()
    request.addfinalizer(clone.close)
    return {"EAKTE_SEARCH_URL": clone.url, "EAKTE_SEARCH_INDEX": f"eakte-{uuid.uuid4().hex[:8]}"}


def test_concurrent_workers_index_each_document_once(
    town,
    ports,
    settings,
    extractor,
    monkeypatch,
) -> None:
    monkeypatch.setattr(indexing, "BATCH", 4)  # small batches, so the workers interleave
    case_files = [town.case_file(title=f"Sammelakte {n}")["id"] for n in range(3)]
    documents = [
        upload_text(town.anna, case_files[i % 3], f"Ausnahmegenehmigungen Nummer {i}")["id"]
        for i in range(DOCUMENTS)
    ]
    start = threading.Barrier(WORKERS)
    errors: list[BaseException] = []
    settled = [0] * WORKERS

    def work(number: int) -> None:
        worker_ports = build_ports(settings)
        worker_ports.extractor = extractor
        try:
            start.wait(timeout=30)
            while (count := indexing.drain(worker_ports)) or indexing.outbox_lag(ports).pending:
                settled[number] += count
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            worker_ports.search_index.close()
            worker_ports.session_factory.kw["bind"].dispose()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sum(settled) == DOCUMENTS
    assert sum(1 for count in settled if count) >= 2, settled  # they really shared the work
    assert indexing.outbox_lag(ports).pending == 0
    assert sorted(found(town.anna, "Ausnahmegenehmigung", limit=100)) == sorted(documents)
    client = Elasticsearch(settings.search_hosts)
    versions = {
        document: client.get(index=settings.search_index, id=document)["_version"]
        for document in documents
    }
    client.close()
    assert set(versions.values()) == {1}, versions
