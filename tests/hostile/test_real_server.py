"""Hostile clients against the real server: `eakte serve` (gunicorn) on a temporary instance.

The in-process test client never sees raw HTTP; these tests talk to the socket:
oversized headers and request lines, and a slowloris upload that sends its headers
and then dribbles the body. Each gets a clear 4xx within a bounded time, the server
keeps answering others meanwhile and afterwards, and nothing of a cut-off upload
remains (no row, no object, no spooled temp file).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import Instance, Server, wait_until

CLIENT_TIMEOUT = 2  # EAKTE_CLIENT_TIMEOUT_SECONDS for these tests; the default is 60


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Server, str]]:
    instance = Instance(
        tmp_path_factory.mktemp("hostile-server"),
        extra_env={"EAKTE_CLIENT_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT)},
    )
    token = instance.init()
    server = instance.serve(workers=1, threads=4)
    yield instance, server, token
    instance.stop_all()


@pytest.fixture(scope="module")
def case_file(node) -> str:
    _, server, token = node
    for path, body in [
        ("/departments", {"code": "32", "name": "Ordnungsamt"}),
        ("/principals", {"username": "rita", "display_name": "Rita", "kind": "user"}),
        ("/principals/rita/roles", {"role": "records_manager"}),
    ]:
        assert server.call("POST", path, token=token, body=body)[0] == 201
    status, _, _ = server.call(
        "POST",
        "/file-plan",
        token=server.instance.run("token", "create", "rita").strip(),
        body={"code": "32.10", "title": "Gewerbe", "retention_years": 10, "disposition": "archive"},
    )
    assert status == 201
    for path, body in [
        ("/principals", {"username": "anna", "display_name": "Anna", "kind": "user"}),
        ("/principals/anna/memberships", {"department": "32", "role": "clerk"}),
    ]:
        assert server.call("POST", path, token=token, body=body)[0] == 201
    anna = server.instance.run("token", "create", "anna").strip()
    _, _, case = server.call(
        "POST",
        "/case-files",
        token=anna,
        body={"file_plan": "32.10", "department": "32", "title": "Gewerbeanmeldung"},
    )
    return case["id"], anna


def raw_exchange(server: Server, request: bytes, timeout: float = 15) -> tuple[int, bytes]:
    """Send raw bytes, read the answer until the server closes or the status line is in."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        # The server may refuse before it has read everything.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1."), answer[:200]
    return int(answer.split(b" ", 2)[1]), answer


def assert_still_serving(server: Server) -> None:
    status, _, body = server.call("GET", "/health", timeout=10)
    assert (status, body) == (200, {"status": "ok"})


def test_one_64_kib_header_is_refused_and_the_server_goes_on(node):
    _, server, token = node
    request = (
        b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n"
        + b"X-Huge: "
        + b"a" * 64 * 1024
        + b"\r\n\r\n"
    )
    status, _ = raw_exchange(server, request)
    assert status in (400, 431)
    assert_still_serving(server)


def test_two_hundred_headers_are_refused_and_the_server_goes_on(node):
    _, server, _ = node
    headers = b"".join(b"X-Header-%d: %d\r\n" % (number, number) for number in range(200))
    status, _ = raw_exchange(
        server, b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n" + headers + b"\r\n"
    )
    assert status in (400, 431)
    assert_still_serving(server)


def test_a_100_kib_request_line_is_refused_and_the_server_goes_on(node):
    _, server, _ = node
    status, _ = raw_exchange(
        server, b"GET /api/v1/health?" + b"q" * 100 * 1024 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert status in (400, 414)
    assert_still_serving(server)


def test_a_header_with_a_bare_cr_or_nul_is_refused(node):
    _, server, _ = node
    for bad in (b"X-Evil: a\rb", b"X-Evil: a\x00b"):
        status, _ = raw_exchange(
            server, b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n" + bad + b"\r\n\r\n"
        )
        assert status == 400
    assert_still_serving(server)


def _objects(instance: Instance) -> list[Path]:
    return [path for path in (instance.instance_path / "objects").rglob("*") if path.is_file()]


def _spooled(instance: Instance) -> list[Path]:
    return [path for path in Path(instance.env["TMPDIR"]).rglob("*") if path.is_file()]


def test_a_slowloris_upload_is_cut_off_in_bounded_time_and_leaves_nothing(node, case_file):
    instance, server, _ = node
    case_file_id, anna = case_file
    objects_before = _objects(instance)
    boundary = "slowloris"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    length = len(head) + 100_000
    request = (
        f"POST /api/v1/case-files/{case_file_id}/documents HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {anna}\r\nContent-Length: {length}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n"
    ).encode() + head

    answer = bytearray()
    others: list[float] = []
    stop = threading.Event()

    def dribble(sock: socket.socket) -> None:
        """One byte per second until the server answers or closes; the answer is kept."""
        while not stop.is_set():
            try:
                sock.sendall(b"x")
            except OSError:
                break
            readable, _, _ = select.select([sock], [], [], 1.0)  # also the one-second pace
            if readable:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    break
                answer.extend(chunk)
                if not chunk or b"\r\n\r\n" in answer:
                    break

    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request)
        client = threading.Thread(target=dribble, args=(sock,))
        client.start()
        while client.is_alive() and time.monotonic() - started < CLIENT_TIMEOUT:
            began = time.monotonic()
            assert_still_serving(server)  # other clients are served meanwhile
            others.append(time.monotonic() - began)
            time.sleep(0.2)
        client.join(CLIENT_TIMEOUT + 10)
        stop.set()
        assert not client.is_alive(), "the server never cut the slow upload off"
    took = time.monotonic() - started

    # The dribbling client never stops by itself; the margins are for a busy host.
    assert took < CLIENT_TIMEOUT + 10, f"cut off only after {took:.1f} s"
    assert others and max(others) < 5
    status_line, _, rest = bytes(answer).partition(b"\r\n")
    assert status_line.split(b" ")[1] == b"408", bytes(answer)[:300]
    assert b"application/problem+json" in rest
    status, _, listed = server.call("GET", f"/case-files/{case_file_id}/documents", token=anna)
    assert status == 200 and listed["items"] == []
    assert _objects(instance) == objects_before
    wait_until(lambda: not _spooled(instance), 5, "the spooled upload to be removed")
    assert_still_serving(server)


def test_an_upload_at_an_honest_pace_is_not_cut_off(node, case_file):
    """Slower than the whole timeout, but faster than the minimum rate: it is stored."""
    _, server, _ = node
    case_file_id, anna = case_file
    boundary = "honest"
    content = b"Bescheid " * 2000  # 18 KB in 6 slices over about 3 s
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.putrequest("POST", f"/api/v1/case-files/{case_file_id}/documents")
    connection.putheader("Authorization", f"Bearer {anna}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders()
    slice_size = len(body) // 6 + 1
    for start in range(0, len(body), slice_size):
        connection.send(body[start : start + slice_size])
        time.sleep(0.5)
    response = connection.getresponse()
    document = json.loads(response.read())
    connection.close()
    assert response.status == 201, document
    status, _, data = server.call("GET", f"/documents/{document['id']}/content", token=anna)
    assert (status, data) == (200, content)
