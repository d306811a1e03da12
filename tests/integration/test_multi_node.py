"""Two app nodes and two workers on one PostgreSQL, one S3 and one search cluster.

This is the scaled-out deployment of DESIGN.md as real processes: `eakte serve`
(gunicorn) twice and `eakte worker` twice, from two instance folders that share
the key material, on one fresh PostgreSQL database, one SeaweedFS (S3) and one
search cluster. Everything the nodes must coordinate goes through the database
(row locks, `FOR UPDATE SKIP LOCKED`, advisory locks), and these tests show that
it holds across processes: Aktenzeichen stay unique and gap-free, the audit
`seq` stays contiguous and verifiable, every document is indexed exactly once,
and two retention runs at the same moment make one proposal per group.

The search backend is the Elasticsearch adapter, but the server is osmem-server,
an emulator of the OpenSearch/Elasticsearch REST API (tests/searchserver.py): no
Elasticsearch can be installed on the machines this is tested on. osmem counts
writes per document (`_version`), which is how "indexed exactly once" is seen.
The subprocesses get the client-header adjustment osmem needs through
`EAKTE_TEST_ES_COMPAT=1` (see tests/processes.py); the product is unchanged.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from elasticsearch import Elasticsearch

from tests.helpers import backdate_closing
from tests.integration.support import create_people, shared_backends
from tests.processes import (
    Instance,
    Server,
    stop_together,
    wait_until,
)
from tests.searchserver import plain_json_headers

pytestmark = [pytest.mark.postgres_only, pytest.mark.xdist_group("processes")]


@dataclass
class Deployment:
    servers: list[Server]
    tokens: dict[str, str]
    database_url: str
    search_url: str
    search_index: str
    nodes: list[Instance]

    def database(self) -> sa.Engine:
        return sa.create_engine(self.database_url)

    def both(self, calls: list[Callable[[Server], Any]]) -> list[Any]:
        """Run the calls in parallel, alternating between the two servers; results in order."""
        start = threading.Barrier(min(len(calls), 16))

        def run(number: int) -> Any:
            if number < 16:
                start.wait(timeout=30)  # all begin together, not one after the other
            return calls[number](self.servers[number % 2])

        with ThreadPoolExecutor(max_workers=16) as pool:
            return list(pool.map(run, range(len(calls))))


def _ok(answer: tuple[int, dict, Any], status: int = 200) -> Any:
    code, _, body = answer
    assert code == status, body
    return body


@pytest.fixture(scope="module")
def deployment(
    s3_server, search_server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("multi-node")
    with contextlib.ExitStack() as cleanup:
        backends = shared_backends(cleanup, s3_server, search_server, "eakte_multi")
        first = Instance(tmp / "node-a", database_url=backends.database_url, extra_env=backends.env)
        cleanup.callback(first.stop_all)
        admin = first.init()
        second = first.sharing(tmp / "node-b")
        cleanup.callback(lambda: stop_together([*first.processes, *second.processes]))
        with ThreadPoolExecutor(max_workers=2) as pool:
            servers = list(pool.map(lambda node: node.serve(threads=8), (first, second)))
        for node in (first, second):
            node.worker(interval=0.2)
        tokens = create_people(servers[0], admin)
        yield Deployment(
            servers,
            tokens,
            backends.database_url,
            backends.search_url,
            backends.search_index,
            [first, second],
        )
        for process in (*first.processes, *second.processes):
            assert process.running(), f"eakte {process.name} died:\n{process.log_tail()}"


def _file_plan_node(deployment: Deployment, code: str, **rule: Any) -> str:
    body = {"code": code, "title": f"Testgruppe {code}", "retention_years": 5}
    body.update({"disposition": "archive", **rule})
    server = deployment.servers[0]
    _ok(server.call("POST", "/file-plan", token=deployment.tokens["rita"], body=body), 201)
    return code


def _case_file(server: Server, token: str, file_plan: str, department: str, title: str) -> dict:
    body = {"file_plan": file_plan, "department": department, "title": title}
    return _ok(server.call("POST", "/case-files", token=token, body=body), 201)


def test_parallel_creates_on_both_nodes_get_unique_gap_free_references(deployment) -> None:
    node = _file_plan_node(deployment, "32.40")
    count = 40
    anna = deployment.tokens["anna"]
    created = deployment.both(
        [
            lambda server, n=n: _case_file(server, anna, node, "32", f"Sondernutzung {n}")
            for n in range(count)
        ]
    )
    references = [case_file["reference"] for case_file in created]
    assert len(set(references)) == count, sorted(references)
    numbers = sorted(
        int(re.fullmatch(r"32\.40-(\d{4,})/\d{4}", reference)[1]) for reference in references
    )
    assert numbers == list(range(1, count + 1))
    # What the nodes answered is what they stored: one row per reference.
    listed = _ok(
        deployment.servers[1].call("GET", f"/case-files?file_plan={node}&limit=500", token=anna)
    )["items"]
    assert sorted(c["reference"] for c in listed) == sorted(references)


def test_audit_seq_stays_contiguous_and_verifiable_under_load_on_both_nodes(deployment) -> None:
    anna, audrey = deployment.tokens["anna"], deployment.tokens["audrey"]
    case_files = [
        _case_file(deployment.servers[n % 2], anna, "32.10", "32", f"Akte {n}")["id"]
        for n in range(4)
    ]

    def clerk_work(server: Server, n: int) -> None:
        case_file = case_files[n % len(case_files)]
        _ok(server.call("GET", f"/case-files/{case_file}", token=anna))
        body = {"title": f"Vorgang {n}"}
        _ok(server.call("POST", f"/case-files/{case_file}/processes", token=anna, body=body), 201)
        _ok(server.call("GET", f"/case-files/{case_file}/processes", token=anna))

    def auditor_read(server: Server, n: int) -> None:
        # Reading makes the app node seal too: four processes race for the sealer.
        _ok(server.call("GET", "/audit/events?limit=1", token=audrey))

    calls = [
        (lambda server, n=n: clerk_work(server, n))
        if n % 4
        else (lambda server, n=n: auditor_read(server, n))
        for n in range(64)
    ]
    deployment.both(calls)

    seqs = []
    cursor = None
    while True:
        query = "/audit/events?limit=500" + (f"&cursor={cursor}" if cursor else "")
        page = _ok(deployment.servers[len(seqs) % 2].call("GET", query, token=audrey))
        seqs += [event["seq"] for event in page["items"]]
        if not (cursor := page["next"]):
            break
    assert len(seqs) >= 64
    assert seqs == list(range(len(seqs))), "seq has gaps or duplicates"  # seq counts from 0
    engine = deployment.database()
    try:
        _wait_until_sealed(engine)
        with engine.connect() as conn:
            total, distinct, low, high = conn.execute(
                sa.text("SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM audit_event")
            ).one()
        assert (total, distinct, low) == (high + 1, high + 1, 0)  # every row one of 0..N-1
        for server in deployment.servers:
            verification = _ok(server.call("GET", "/audit/verify", token=audrey))
            assert verification["ok"] is True, verification
            assert verification["events_checked"] >= len(seqs)
    finally:
        engine.dispose()


def _wait_until_sealed(engine: sa.Engine) -> None:
    def sealed() -> bool:
        with engine.connect() as conn:
            return (
                conn.execute(sa.text("SELECT count(*) FROM audit_event WHERE seq IS NULL")).scalar()
                == 0
            )

    wait_until(sealed, 30, "the workers to seal every audit event")


def test_each_document_uploaded_on_both_nodes_is_indexed_once_and_findable(deployment) -> None:
    anna = deployment.tokens["anna"]
    case_files = [
        _case_file(deployment.servers[n], anna, "32.10", "32", f"Sammelakte {n}")["id"]
        for n in range(2)
    ]
    count = 30

    def upload(server: Server, n: int) -> str:
        text = f"Ausnahmegenehmigung Sondernutzung Nummer {n} Kastanienallee".encode()
        return _ok(server.upload(anna, case_files[n % 2], f"antrag-{n}.txt", text), 201)["id"]

    documents = deployment.both([lambda server, n=n: upload(server, n) for n in range(count)])
    assert len(set(documents)) == count

    def all_found() -> bool:
        status, _, answer = deployment.servers[0].call(
            "GET", "/search?q=Kastanienallee&limit=100", token=anna
        )
        if status == 503 and answer["type"].endswith(":search-unavailable"):
            return False  # the first worker to index creates the index
        assert status == 200, answer
        return sorted(hit["document"] for hit in answer["items"]) == sorted(documents)

    wait_until(all_found, 60, "the workers to index every document")
    engine = deployment.database()
    try:
        # A document is searchable a moment before its worker deletes the outbox row.
        def outbox_empty() -> bool:
            with engine.connect() as conn:
                return conn.execute(sa.text("SELECT count(*) FROM search_outbox")).scalar() == 0

        wait_until(outbox_empty, 30, "the workers to settle their outbox rows")
    finally:
        engine.dispose()
    # The other node finds them too, with the same total.
    answer = _ok(
        deployment.servers[1].call("GET", "/search?q=Ausnahmegenehmigung&limit=100", token=anna)
    )
    assert answer["total"] == count
    with plain_json_headers():
        client = Elasticsearch(deployment.search_url)
        try:
            versions = {
                document: client.get(index=deployment.search_index, id=document)["_version"]
                for document in documents
            }
        finally:
            client.close()
    assert set(versions.values()) == {1}, {d: v for d, v in versions.items() if v != 1}


def test_retention_run_on_both_nodes_at_once_makes_one_proposal_per_group(deployment) -> None:
    groups = {
        _file_plan_node(deployment, "32.90", retention_years=1, disposition="archive"): "32",
        _file_plan_node(deployment, "50.90", retention_years=2, disposition="destroy"): "50",
    }
    people = {"32": deployment.tokens["anna"], "50": deployment.tokens["ben"]}
    expected: dict[str, set[str]] = {}
    for node, department in groups.items():
        for n in range(3):
            server = deployment.servers[n % 2]
            token = people[department]
            case_file = _case_file(server, token, node, department, f"Abgeschlossen {n}")
            _ok(server.call("POST", f"/case-files/{case_file['id']}/close", token=token))
            expected.setdefault(node, set()).add(case_file["id"])
    engine = deployment.database()
    try:  # closed long ago, so due today: a run may not look past today
        backdate_closing(engine, [i for ids in expected.values() for i in ids])
    finally:
        engine.dispose()

    start = threading.Barrier(2)

    def run(node: Instance) -> str:
        start.wait(timeout=30)
        return node.run("retention", "run")

    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = list(pool.map(run, deployment.nodes))
    # One run proposed every group in its transaction; the other, behind the lock, none.
    assert sorted(len(output.split()) for output in outputs) == [0, len(groups)], outputs
    printed = [line for output in outputs for line in output.split()]

    rita = deployment.tokens["rita"]
    proposals = _ok(
        deployment.servers[1].call("GET", "/disposition/proposals?limit=500", token=rita)
    )["items"]
    ours = [p for p in proposals if p["file_plan"] in groups]
    assert sorted(p["id"] for p in ours) == sorted(printed)
    assert {p["file_plan"]: {i["case_file"] for i in p["items"]} for p in ours} == expected
    assert {p["file_plan"]: p["disposition"] for p in ours} == {
        "32.90": "archive",
        "50.90": "destroy",
    }
