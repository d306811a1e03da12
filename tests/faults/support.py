"""What the fault tests share: part of the town made over REST, raw uploads, store views.

Everything here talks to real processes (`eakte serve` under gunicorn, SeaweedFS,
PostgreSQL) over their real interfaces; nothing is mocked.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import os
import signal
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minio import Minio

from tests.processes import Server
from tests.town import OverHttp, build

BOUNDARY = "eakte-fault-boundary-3f9a62"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
PROBLEM = "application/problem+json"


def expect(result: tuple[int, dict[str, str], Any], status: int) -> Any:
    """The body of an answer that must have `status` (the answer is shown if not)."""
    got, _headers, body = result
    assert got == status, f"expected {status}, got {got}: {body!r}"[:2000]
    return body


def expect_problem(
    result: tuple[int, dict[str, str], Any], status: int, code: str, *, retry_after: bool
) -> dict:
    """An RFC 9457 problem with this status and type (and Retry-After when asked for)."""
    got, headers, body = result
    assert got == status, f"expected {status}, got {got}: {body!r}"[:2000]
    assert headers.get("content-type", "").split(";")[0] == PROBLEM, headers
    assert body["type"] == f"urn:eakte:problem:{code}", body
    assert body["status"] == status and body["detail"], body
    if retry_after:
        assert headers.get("retry-after", "").isdigit(), headers
        assert int(headers["retry-after"]) > 0
    return body


def repr_digest(data: bytes) -> str:
    return "sha-256=:" + base64.b64encode(hashlib.sha256(data).digest()).decode() + ":"


@dataclass(frozen=True)
class Municipality:
    """Of the town (tests/town.py): Ordnungsamt (32), file plan node 32.10, rita, the clerk
    anna, and one case file."""

    admin: str
    clerk: str
    case_file: str

    @classmethod
    def set_up(cls, server: Server, admin: str) -> Municipality:
        people = build(
            OverHttp(server),
            admin,
            departments=("32",),
            file_plan=("32.10",),
            people=("rita", "anna"),
        )
        anna = people["anna"]
        body = {"file_plan": "32.10", "department": "32", "title": "Gewerbeanmeldung Sommer"}
        case_file = expect(server.call("POST", "/case-files", token=anna, body=body), 201)
        return cls(admin=admin, clerk=anna, case_file=case_file["id"])

    def upload(self, server: Server, filename: str, data: bytes) -> tuple[int, dict, Any]:
        """A new document in the case file."""
        return _post_file(
            server, self.clerk, f"/case-files/{self.case_file}/documents", filename, data
        )

    def add_version(self, server: Server, document: str, data: bytes) -> tuple[int, dict, Any]:
        return _post_file(server, self.clerk, f"/documents/{document}/versions", "neu.bin", data)

    def documents(self, server: Server) -> list[str]:
        body = expect(
            server.call(
                "GET", f"/case-files/{self.case_file}/documents?limit=500", token=self.clerk
            ),
            200,
        )
        return [item["id"] for item in body["items"]]

    def versions(self, server: Server, document: str) -> list[int]:
        body = expect(server.call("GET", f"/documents/{document}/versions", token=self.clerk), 200)
        return [item["number"] for item in body["items"]]

    def assert_downloads(
        self, server: Server, document: str, data: bytes, number: int | None = None
    ) -> None:
        """The version (latest by default) comes back whole, with the SHA-256 of `data`."""
        path = f"/documents/{document}/content"
        if number is not None:
            path = f"/documents/{document}/versions/{number}/content"
        status, headers, body = server.call("GET", path, token=self.clerk, timeout=120)
        assert status == 200, body
        assert headers["repr-digest"] == repr_digest(data)
        assert hashlib.sha256(body).digest() == hashlib.sha256(data).digest()


def _post_file(
    server: Server, token: str, path: str, filename: str, data: bytes
) -> tuple[int, dict, Any]:
    head, tail = multipart_frame(filename)
    return server.call(
        "POST",
        path,
        token=token,
        raw=head + data + tail,
        headers={"Content-Type": MULTIPART},
        timeout=180,
    )


def multipart_frame(filename: str) -> tuple[bytes, bytes]:
    """What goes before and after the file's bytes in a one-part multipart body."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head, f"\r\n--{BOUNDARY}--\r\n".encode()


class RawUpload:
    """A multipart upload over a plain socket, so a test decides how much of it is sent.

    `send(n)` sends the request head and the first n bytes of the file; the server
    then waits for the rest, as it would for a client on a slow line.
    """

    def __init__(self, server: Server, token: str, path: str, filename: str, data: bytes) -> None:
        head, tail = multipart_frame(filename)
        self.body = head + data + tail
        self.file_offset = len(head)
        request = (
            f"POST /api/v1{path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: {MULTIPART}\r\n"
            f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
        ).encode()
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=120)
        self.sock.sendall(request)
        self.sent = 0

    def send(self, file_bytes: int | None = None) -> None:
        """Send up to the first `file_bytes` bytes of the file (all of the body if None)."""
        end = len(self.body) if file_bytes is None else self.file_offset + file_bytes
        self.sock.sendall(self.body[self.sent : end])
        self.sent = max(self.sent, end)

    def response(self) -> tuple[int, bytes]:
        answer = http.client.HTTPResponse(self.sock)
        answer.begin()
        return answer.status, answer.read()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def group_pids(pgid: int) -> Iterator[int]:
    """The processes of a process group (the gunicorn master, its workers, helpers)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                if os.getpgid(int(entry)) == pgid:
                    yield int(entry)


def spooled_bytes(server: Server) -> int:
    """Bytes the server holds in open files under its TMPDIR.

    werkzeug spools an upload into an unnamed temporary file (O_TMPFILE: it has no
    name in the folder), so it is seen through /proc/PID/fd only.
    """
    tmp = server.instance.env["TMPDIR"]
    total = 0
    for pid in group_pids(server.pid):
        fd_dir = f"/proc/{pid}/fd"
        with contextlib.suppress(OSError):
            for name in os.listdir(fd_dir):
                with contextlib.suppress(OSError):
                    if os.readlink(f"{fd_dir}/{name}").startswith(tmp + "/"):
                        total += os.stat(f"{fd_dir}/{name}").st_size
    return total


def freeze(server: Server) -> None:
    """SIGSTOP the whole server: it stays exactly where it is until killed or resumed."""
    server.signal(signal.SIGSTOP)


class FileStoreView:
    """What lies in a file:// object store folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def objects(self) -> set[str]:
        return {
            f"v1/{path.name}"
            for path in (self.root / "v1").glob("*/*")
            if not path.name.startswith(".incoming-")
        }

    def partials(self) -> list[str]:
        """Half-written objects (an upload's temporary file, renamed when complete)."""
        return [str(path) for path in (self.root / "v1").glob("*/.incoming-*")]


class S3StoreView:
    """What lies in an S3 bucket: complete objects and unfinished multipart uploads."""

    def __init__(self, client: Minio, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def objects(self) -> set[str]:
        return {
            obj.object_name
            for obj in self.client.list_objects(self.bucket, prefix="v1/", recursive=True)
        }

    def partials(self) -> list[str]:
        # minio-py has no public call for ListMultipartUploads.
        result = self.client._list_multipart_uploads(self.bucket, prefix="v1/")
        return [upload.object_name for upload in result.uploads]
