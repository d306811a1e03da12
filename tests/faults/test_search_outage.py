"""The search backend stops: uploads go on, the outbox grows, the worker drains it later.

The real-process twin of tests/api/test_search_done_when.py's
`test_uploads_succeed_while_elasticsearch_is_down_and_drain_after_restart` (which
drains in-process): here `eakte serve` and `eakte worker` are separate processes
and only the outbox in the database connects them.

No Elasticsearch can be installed on this machine (none is packaged in the
registries it reaches), so the Elasticsearch backend runs against osmem-server, an
emulator of the same REST API (tests/searchserver.py); the launcher in
tests/processes.py adjusts the client's compatibility headers for it in both
subprocesses (EAKTE_TEST_ES_COMPAT=1). osmem keeps its indices in memory: after
the restart the index is empty and is created again by the worker, so only what
the outbox still held is findable afterwards — documents indexed before the
outage would need `eakte reindex`, which a real, persistent cluster does not.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.faults.support import Municipality, expect, expect_problem
from tests.processes import Instance, Server, wait_until
from tests.searchserver import closed_port_url, start_search_server

pytestmark = pytest.mark.xdist_group("faults")


@pytest.fixture
def search_address() -> str:
    return closed_port_url().removeprefix("http://")


def _found(server: Server, token: str, query: str) -> set[str]:
    status, _headers, body = server.call("GET", f"/search?q={quote(query)}&limit=100", token=token)
    return {hit["document"] for hit in body["items"]} if status == 200 else set()


def _pending(server: Server) -> int | None:
    """Outbox rows waiting for the index, as /health/ready reports them."""
    outbox = server.call("GET", "/health/ready")[2]["outbox"]
    return None if outbox is None else outbox["pending"]


def test_uploads_succeed_while_search_is_down_and_the_worker_drains_the_outbox_after(
    search_address: str, tmp_path: Path, nodes: list[Instance]
) -> None:
    servers = [start_search_server(search_address)]
    try:
        node = Instance(
            tmp_path / "node",
            extra_env={
                "EAKTE_SEARCH_URL": f"http://{search_address}",
                "EAKTE_SEARCH_INDEX": "eakte-faults",
                "EAKTE_TEST_ES_COMPAT": "1",
            },
        )
        nodes.append(node)
        admin = node.init()
        server = node.serve()
        node.worker()
        town = Municipality.set_up(server, admin)
        first = expect(town.upload(server, "bau.txt", b"Die Baugenehmigungen wurden erteilt."), 201)
        wait_until(
            lambda: (
                _found(server, town.clerk, "Baugenehmigung") == {first["id"]}
                and _pending(server) == 0
            ),
            60,
            "the worker to index the first document",
        )

        servers[0].close()
        during = {
            expect(town.upload(server, f"{i}.txt", b"Gewerbeanmeldungen liegen vor."), 201)["id"]
            for i in range(3)
        }
        status, _headers, ready = server.call("GET", "/health/ready")
        assert status == 200, ready  # degraded, not unready: uploads keep coming
        assert ready["status"] == "degraded"
        assert ready["checks"]["search"] != "ok"
        assert ready["outbox"]["pending"] == 3
        expect_problem(
            server.call("GET", "/search?q=Gewerbeanmeldung", token=town.clerk),
            503,
            "search-unavailable",
            retry_after=True,
        )

        servers.append(start_search_server(search_address))

        wait_until(lambda: _pending(server) == 0, 120, "the worker to drain the outbox")
        assert server.call("GET", "/health/ready")[2]["status"] == "ready"
        assert _found(server, town.clerk, "Gewerbeanmeldung") == during
    finally:
        for search in servers:
            search.close()
