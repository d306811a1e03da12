"""The S3 server stops while `eakte serve` runs, and comes back on the same ports.

The real-process twin of tests/integration/test_storage_faults.py (which uses the
in-process test client): here gunicorn workers hold minio clients with pooled
connections to a SeaweedFS process that really goes away and really returns.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import s3_settings
from tests.faults.support import Municipality, S3StoreView, expect, expect_problem
from tests.processes import Instance, wait_until

pytestmark = pytest.mark.xdist_group("faults")


def test_storage_calls_get_503_while_s3_is_down_and_the_same_server_recovers(
    s3, tmp_path: Path, nodes: list[Instance]
) -> None:
    node = Instance(tmp_path / "node", extra_env=s3_settings(s3, "akten"))
    nodes.append(node)
    admin = node.init()
    server = node.serve()
    town = Municipality.set_up(server, admin)
    before = os.urandom(2_000_000)
    document = expect(town.upload(server, "bescheid.pdf", before), 201)["id"]
    store = S3StoreView(s3.client(), "akten")
    objects = store.objects()

    s3.stop(graceful=False)
    for answer in (
        town.upload(server, "antrag.pdf", os.urandom(300_000)),
        town.add_version(server, document, os.urandom(300_000)),
        server.call("GET", f"/documents/{document}/content", token=town.clerk),
    ):
        expect_problem(answer, 503, "dependency-unavailable", retry_after=True)
    status, headers, ready = server.call("GET", "/health/ready")
    assert status == 503 and headers["retry-after"].isdigit()
    assert ready["status"] == "unavailable"
    assert ready["checks"]["database"] == "ok"
    assert ready["checks"]["storage"] != "ok"
    # Metadata does not need the store, and nothing was recorded without its object.
    assert town.documents(server) == [document]
    assert town.versions(server, document) == [1]

    s3.start()  # same ports, same data
    wait_until(lambda: server.call("GET", "/health/ready")[0] == 200, 60, "ready again")
    assert server.running()  # the very process that saw the outage
    assert store.objects() == objects  # the refused uploads left nothing behind
    town.assert_downloads(server, document, before)
    after = os.urandom(2_000_000)
    second = expect(town.upload(server, "antrag.pdf", after), 201)["id"]
    assert expect(town.add_version(server, document, after), 201)["number"] == 2
    town.assert_downloads(server, second, after)
    town.assert_downloads(server, document, after)
    town.assert_downloads(server, document, before, number=1)
    assert server.call("GET", "/health/ready")[2]["status"] == "ready"
