"""What an operator sees of a running node: JSON log lines and Prometheus metrics.

A real `eakte serve` with two gunicorn workers and its background worker (three
processes counting into one metrics folder), on SQLite and the file store. The
search engine is an Elasticsearch URL where nothing listens, so the background
worker's indexing fails and must show up in the server's `/metrics`.
"""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.support import metric
from tests.processes import Instance, Process, free_port, wait_until
from tests.searchserver import closed_port_url

pytestmark = pytest.mark.xdist_group("processes")

SECRET_CONTENT = "Kontoauszug Geheiminhalt-7731 der Familie Brunnhuber"
SEARCH_TEXT = "Brunnhuber Pfändung"
PASSWORD = "Kennwort-Geheim-2026!"


class Node:
    """A served instance with department 32, file plan 32.10 and clerk anna."""

    def __init__(self, instance: Instance, *, background_worker: bool = True) -> None:
        self.instance = instance
        self.admin = instance.init()
        self.server = instance.serve(workers=2, extra=("--worker",) if background_worker else ())
        for path, body in (
            ("/departments", {"code": "32", "name": "Ordnungsamt"}),
            ("/principals", {"username": "anna", "display_name": "Anna", "kind": "user"}),
            ("/principals/anna/memberships", {"department": "32", "role": "clerk"}),
            ("/principals", {"username": "rita", "display_name": "Rita", "kind": "user"}),
            ("/principals/rita/roles", {"role": "records_manager"}),
        ):
            status, _, answer = self.server.call("POST", path, token=self.admin, body=body)
            assert status in (201, 204), (path, answer)
        rita = instance.run("token", "create", "rita").strip()
        for path, body in (
            (
                "/file-plan",
                {
                    "code": "32.10",
                    "title": "Gewerbe",
                    "retention_years": 10,
                    "disposition": "destroy",
                },
            ),
        ):
            status, _, answer = self.server.call("POST", path, token=rita, body=body)
            assert status in (201, 204), (path, answer)
        # The operator sets anna's password and mints her token (an admin's would be temporary,
        # and admins mint tokens only for service accounts).
        instance.run("password", "set", "anna", stdin=PASSWORD + "\n")
        self.anna = instance.run("token", "create", "anna").strip()

    def case_file(self, title: str, **headers: str) -> tuple[dict, dict]:
        status, received, case_file = self.server.call(
            "POST",
            "/case-files",
            token=self.anna,
            body={"file_plan": "32.10", "department": "32", "title": title},
            headers=headers,
        )
        assert status == 201, case_file
        return case_file, received


@pytest.fixture
def node(tmp_path):
    instance = Instance(tmp_path, extra_env={"EAKTE_SEARCH_URL": closed_port_url()})
    try:
        yield Node(instance)
    finally:
        instance.stop_all()


def test_logs_are_json_with_request_ids_and_hold_no_secrets(node: Node) -> None:
    server = node.server
    case_file, headers = node.case_file(
        "Vollstreckung Brunnhuber", **{"X-Request-Id": "trace-4711"}
    )
    assert headers["x-request-id"] == "trace-4711"
    assert (
        server.upload(node.anna, case_file["id"], "auszug.txt", SECRET_CONTENT.encode())[0] == 201
    )
    status, search_headers, _ = server.call(
        "GET", "/search?q=" + quote(SEARCH_TEXT), token=node.anna
    )
    assert status == 503  # nothing listens where the search engine should be
    assert server.call("GET", "/case-files", token="eakte_wrong-token")[0] == 401

    server.stop()
    lines = [line for line in server.log.read_text().splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a log line is not JSON: {line[:200]}")
    access = [r for r in records if r["logger"] == "eakte.access"]
    created = [r for r in access if r.get("request_id") == "trace-4711"]
    assert len(created) == 1
    assert (created[0]["status"], created[0]["path"], created[0]["actor"]) == (
        201,
        "/api/v1/case-files",
        "anna",
    )
    searched = [r for r in access if r["path"] == "/api/v1/search"]
    assert [r["request_id"] for r in searched] == [search_headers["x-request-id"]]
    assert any(r["status"] == 401 for r in access)
    assert any(r["logger"].startswith("gunicorn") for r in records)  # its lines are JSON too
    everything = "\n".join(lines)
    for secret in (node.admin, node.anna, "eakte_wrong-token", PASSWORD, "Geheiminhalt"):
        assert secret not in everything, f"the log holds {secret[:12]}…"
    for word in SEARCH_TEXT.split():
        assert word not in everything and json.dumps(word)[1:-1] not in everything


def test_metrics_add_up_over_all_processes_of_the_node(node: Node) -> None:
    server = node.server
    route = {"endpoint": "/api/v1/case-files", "method": "GET", "status": "200"}
    before = metric(server, "eakte_http_requests_total", **route)
    for _ in range(12):  # the two gunicorn workers share these
        assert server.call("GET", "/case-files", token=node.anna)[0] == 200
    assert metric(server, "eakte_http_requests_total", **route) - before == 12

    case_file, _ = node.case_file("Sondernutzung Marktplatz")
    data = b"Antrag auf Sondernutzung des Marktplatzes" * 100
    assert server.upload(node.anna, case_file["id"], "antrag.txt", data)[0] == 201
    assert metric(server, "eakte_upload_bytes_total") == len(data)
    assert metric(server, "eakte_outbox_pending") >= 1  # the search engine is unreachable
    # The background worker is a process of its own: its failed indexing runs reach
    # the same /metrics, and its sealing empties the audit queue.
    wait_until(
        lambda: metric(server, "eakte_worker_errors_total", task="indexing") >= 1,
        60,
        "the worker's failed indexing run in /metrics",
    )
    wait_until(
        lambda: metric(server, "eakte_audit_unsealed_events") == 0,
        60,
        "the worker to seal the audit trail",
    )
    assert metric(server, "eakte_database_up") == 1


def test_a_worker_on_its_own_node_serves_its_own_metrics(tmp_path) -> None:
    instance = Instance(tmp_path, extra_env={"EAKTE_SEARCH_URL": closed_port_url()})
    try:
        node = Node(instance, background_worker=False)
        port = free_port()
        worker = Process(instance, "worker", "--interval", "0.2", "--metrics-port", str(port))
        case_file, _ = node.case_file("Baugenehmigung Lindenweg 4")
        assert node.server.upload(node.anna, case_file["id"], "plan.txt", b"Lageplan")[0] == 201

        def indexing_errors() -> float:
            assert worker.running(), worker.log_tail()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    body = r.read().decode()
            except OSError:
                return 0.0
            return sum(
                sample.value
                for family in text_string_to_metric_families(body)
                for sample in family.samples
                if sample.name == "eakte_worker_errors_total"
                and sample.labels.get("task") == "indexing"
            )

        wait_until(lambda: indexing_errors() >= 1, 60, "the worker's own /metrics")
        assert metric(node.server, "eakte_worker_errors_total") == 0  # not the server's
    finally:
        instance.stop_all()
