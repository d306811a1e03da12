"""SIGTERM, as systemd or Kubernetes send it to stop a node, loses nothing and shows nothing odd.

`eakte serve` (gunicorn) and `eakte worker` run as real processes on a fresh
PostgreSQL database and a SeaweedFS (S3) bucket; SIGTERM goes to the whole
process group, as systemd's default `KillMode=control-group` does it.

* An upload in flight when the server is told to stop is finished (201) within
  gunicorn's graceful timeout, and the server then exits by itself; the document
  is there after a restart with the right SHA-256, and database rows and stored
  objects match one to one (no row without its object, no object without a row).
* A worker told to stop in the middle of an indexing batch finishes (or hands
  back) what it claimed and exits; a restarted worker indexes the rest, every
  document exactly once.
* Neither command leaves a traceback in its log when stopped this way.

The search backend is the Elasticsearch adapter on osmem-server, an emulator of
the OpenSearch/Elasticsearch REST API (tests/searchserver.py) — no Elasticsearch
can be installed here — because osmem counts the writes per document
(`_version`), which is how "indexed exactly once" is seen.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from elasticsearch import Elasticsearch

from eakte.models import DocumentVersion, SearchOutbox
from tests.integration.support import create_people, shared_backends
from tests.processes import Instance, Server, stop_together, wait_until
from tests.searchserver import plain_json_headers

pytestmark = [pytest.mark.postgres_only, pytest.mark.xdist_group("processes")]

GRACEFUL_TIMEOUT = 30.0  # gunicorn's graceful_timeout in eakte/server.py
UPLOAD_BYTES = 40 * 1024 * 1024
UPLOAD_SECONDS = 5.0  # how long the client takes to send it: slow enough to be cut into
DOCUMENTS = 40
# The worker finishes the batch it is extracting (up to 32 documents) before it exits:
# seconds on an idle host, several times that on a busy one.
WORKER_STOP_SECONDS = 60.0


@dataclass
class Node:
    instance: Instance
    tokens: dict[str, str]
    database_url: str
    bucket: str
    s3: Any
    search_url: str
    search_index: str

    def engine(self) -> sa.Engine:
        return sa.create_engine(self.database_url)


@pytest.fixture(scope="module")
def node(s3_server, search_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    tmp = tmp_path_factory.mktemp("graceful")
    with contextlib.ExitStack() as cleanup:
        backends = shared_backends(cleanup, s3_server, search_server, "eakte_graceful")
        instance = Instance(
            tmp / "node", database_url=backends.database_url, extra_env=backends.env
        )
        cleanup.callback(instance.stop_all)
        admin = instance.init()
        server = instance.serve()
        tokens = create_people(server, admin)
        server.stop()
        yield Node(
            instance,
            tokens,
            backends.database_url,
            backends.bucket,
            s3_server,
            backends.search_url,
            backends.search_index,
        )


@pytest.fixture
def stopped_at_end(node: Node) -> Iterator[None]:
    """Whatever a test started is stopped, also when it fails."""
    before = len(node.instance.processes)
    yield
    stop_together(node.instance.processes[before:])


def assert_no_traceback(process: Any) -> None:
    log = process.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-4000:]


def _case_file(server: Server, token: str, title: str) -> str:
    body = {"file_plan": "32.10", "department": "32", "title": title}
    code, _, answer = server.call("POST", "/case-files", token=token, body=body)
    assert code == 201, answer
    return answer["id"]


class SlowUpload(threading.Thread):
    """A multipart upload sent at a steady, limited rate; `started` is set at a quarter."""

    def __init__(self, server: Server, token: str, case_file: str, data: bytes) -> None:
        super().__init__(daemon=True)
        self.server, self.token, self.case_file, self.data = server, token, case_file, data
        self.started = threading.Event()
        self.answer: tuple[int, Any] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        boundary = "eakte-slow-upload-4f1c"
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            'filename="grosse-akte.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        conn = self.server.connection(timeout=120)
        try:
            conn.putrequest("POST", f"/api/v1/case-files/{self.case_file}/documents")
            conn.putheader("Authorization", f"Bearer {self.token}")
            conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            conn.putheader("Content-Length", str(len(head) + len(self.data) + len(tail)))
            conn.endheaders()
            conn.send(head)
            chunk = 1024 * 1024
            pause = UPLOAD_SECONDS * chunk / len(self.data)
            began = time.monotonic()
            for offset in range(0, len(self.data), chunk):
                conn.send(self.data[offset : offset + chunk])
                if offset >= len(self.data) // 4:
                    self.started.set()
                # a steady rate, like a slow link (not a wait for anything)
                time.sleep(max(began + pause * (offset // chunk + 1) - time.monotonic(), 0))
            conn.send(tail)
            response = conn.getresponse()
            self.answer = (response.status, response.read())
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            self.started.set()
            conn.close()


def test_sigterm_during_a_large_upload_finishes_it_then_exits(node: Node, stopped_at_end) -> None:
    anna = node.tokens["anna"]
    server = node.instance.serve()
    case_file = _case_file(server, anna, "Bauakte Marktplatz 1")
    data = os.urandom(UPLOAD_BYTES)
    upload = SlowUpload(server, anna, case_file, data)
    upload.start()
    assert upload.started.wait(timeout=60)
    assert upload.error is None, upload.error
    server.signal(signal.SIGTERM)  # master and worker, as systemd does
    told = time.monotonic()

    upload.join(timeout=GRACEFUL_TIMEOUT + 30)
    assert upload.error is None, f"the upload was cut off: {upload.error!r}"
    status, body = upload.answer
    assert status == 201, body  # finished, not dropped
    try:
        server.popen.wait(timeout=GRACEFUL_TIMEOUT + 15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"eakte serve still running {GRACEFUL_TIMEOUT + 15:.0f} s after SIGTERM")
    took = time.monotonic() - told
    assert server.popen.returncode == 0, server.log_tail()
    assert took < GRACEFUL_TIMEOUT + 15, f"exit took {took:.1f} s"  # margin for a busy host
    assert_no_traceback(server)
    with pytest.raises(ConnectionRefusedError):  # the node is gone, not half there
        server.call("GET", "/health", timeout=5)

    restarted = node.instance.serve()
    document = json.loads(body)["id"]
    code, headers, content = restarted.call(
        "GET", f"/documents/{document}/content", token=anna, timeout=120
    )
    assert code == 200
    assert hashlib.sha256(content).digest() == hashlib.sha256(data).digest()
    assert headers["repr-digest"].startswith("sha-256=:")
    _assert_rows_match_objects(node)


def _assert_rows_match_objects(node: Node) -> None:
    """No version row without its object, no stored version object without a row."""
    engine = node.engine()
    try:
        with engine.connect() as conn:
            keys = set(conn.execute(sa.select(DocumentVersion.object_key)).scalars())
    finally:
        engine.dispose()
    stored = {
        obj.object_name
        for obj in node.s3.client().list_objects(node.bucket, prefix="v1/", recursive=True)
    }
    assert keys == stored, {"rows only": keys - stored, "objects only": stored - keys}


def test_sigterm_during_indexing_loses_nothing_and_indexes_nothing_twice(
    node: Node,
    stopped_at_end,
) -> None:
    anna = node.tokens["anna"]
    server = node.instance.serve()
    case_file = _case_file(server, anna, "Sammelakte Sondernutzungen")
    # Enough text per document that a batch of them takes a moment to extract and index.
    filler = " ".join(f"Sondernutzungserlaubnis Gehweg Abschnitt {n}" for n in range(3000))
    documents = []
    for n in range(DOCUMENTS):
        text = f"Antrag {n} Lindenstraße Freischankfläche. {filler}".encode()
        code, _, answer = server.upload(anna, case_file, f"antrag-{n}.txt", text)
        assert code == 201, answer
        documents.append(answer["id"])

    engine = node.engine()
    try:
        worker = node.instance.worker()

        def claimed() -> set[int]:
            soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
            with engine.connect() as conn:
                return set(
                    conn.execute(
                        sa.select(SearchOutbox.id).where(SearchOutbox.available_at > soon)
                    ).scalars()
                )

        wait_until(
            lambda: claimed() and _descendants(worker.pid),
            60,
            "the worker to claim a batch of the outbox and start extracting",
        )
        # systemd's KillMode=control-group: every process of the unit, children included
        # (the text extraction child runs in a process group of its own).
        for pid in _descendants(worker.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        worker.signal(signal.SIGTERM)
        told = time.monotonic()
        try:
            worker.popen.wait(timeout=WORKER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"eakte worker still running {WORKER_STOP_SECONDS:.0f} s after SIGTERM:\n"
                + worker.log_tail()
            )
        took = time.monotonic() - told
        # What it had claimed is settled or handed back: nothing waits out a lease.
        assert claimed() == set(), "the stopped worker kept a claim on outbox rows"
        assert worker.popen.returncode == 0, worker.log_tail()
        assert_no_traceback(worker)

        again = node.instance.worker()

        def all_indexed() -> bool:
            with engine.connect() as conn:
                pending = conn.execute(sa.select(sa.func.count(SearchOutbox.id))).scalar()
            return pending == 0

        wait_until(all_indexed, 90, "the restarted worker to empty the outbox")
    finally:
        engine.dispose()
    code, _, answer = server.call(
        "GET", f"/search?q={quote('Freischankfläche')}&limit=100", token=anna
    )
    assert code == 200, answer
    assert sorted(hit["document"] for hit in answer["items"]) == sorted(documents)
    with plain_json_headers():
        client = Elasticsearch(node.search_url)
        try:
            versions = {d: client.get(index=node.search_index, id=d)["_version"] for d in documents}
        finally:
            client.close()
    assert set(versions.values()) == {1}, {d: v for d, v in versions.items() if v != 1}
    engine = node.engine()
    try:
        with engine.connect() as conn:
            statuses = set(
                conn.execute(
                    sa.select(DocumentVersion.extraction_status).where(
                        DocumentVersion.document_id.in_([uuid.UUID(d) for d in documents])
                    )
                ).scalars()
            )
    finally:
        engine.dispose()
    assert statuses == {"extracted"}, statuses  # no text lost to a stopped extraction
    again.stop()
    assert again.popen.returncode == 0
    assert_no_traceback(again)
    assert took < WORKER_STOP_SECONDS


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        children = _children(todo.pop())
        found += children
        todo += children
    return found


def _background_worker(server: Server) -> int | None:
    """The `eakte worker` that `eakte serve --worker` started beside gunicorn."""
    for child in _children(server.pid):
        with contextlib.suppress(OSError):
            if b"worker" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0"):
                return child
    return None


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1]
    except (OSError, IndexError):
        return True
    return state == "Z"


def test_sigterm_stops_serve_with_its_built_in_worker_cleanly(node: Node, stopped_at_end) -> None:
    """The one-box default: `eakte serve` runs the background worker as its own process."""
    server = node.instance.serve(extra=("--worker",))
    background = wait_until(lambda: _background_worker(server), 30, "the built-in worker")
    server.signal(signal.SIGTERM)
    try:
        server.popen.wait(timeout=GRACEFUL_TIMEOUT + 15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"eakte serve still running {GRACEFUL_TIMEOUT + 15:.0f} s after SIGTERM")
    assert server.popen.returncode == 0, server.log_tail()
    assert _gone(background), "the built-in worker outlived `eakte serve`"
    assert_no_traceback(server)
