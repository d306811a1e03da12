"""A deadline for reading request bodies, against slowloris-style clients.

gunicorn's threaded worker reads a request body on a blocking socket with no
timeout: a client that sends its headers and then one byte per second holds a
worker thread for as long as it likes, and a handful of them stop the server.
A per-read socket timeout does not help (every byte resets it), so this WSGI
middleware gives each request body a deadline instead: `timeout_seconds` from
the start, extended by one second for every `min_bytes_per_second` bytes the
app has read. Real uploads, even large ones over a slow line, stay ahead of it;
a dribbling client does not. When the deadline passes, a watchdog thread shuts
the read side of the connection down, which wakes the blocked read; the app
then answers 408 and nothing of the upload is kept (the body was never whole).
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import IO, Any, TypeVar

from werkzeug.exceptions import RequestTimeout

T = TypeVar("T", bytes, list[bytes])

log = logging.getLogger(__name__)

MIN_BYTES_PER_SECOND = 1024
_WATCHDOG_TICK_SECONDS = 0.25


class SlowClientGuard:
    """WSGI middleware for gunicorn (it needs `environ["gunicorn.socket"]`)."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        timeout_seconds: float,
        *,
        min_bytes_per_second: int = MIN_BYTES_PER_SECOND,
    ) -> None:
        self.app = app
        self.timeout_seconds = timeout_seconds
        self.min_bytes_per_second = min_bytes_per_second
        self._watchdog: _Watchdog | None = None
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        sock = environ.get("gunicorn.socket")
        if sock is None or not _has_body(environ):
            return self.app(environ, start_response)
        body = _PacedBody(
            environ["wsgi.input"], sock, self.timeout_seconds, self.min_bytes_per_second
        )
        environ["wsgi.input"] = body
        watchdog = self._started_watchdog()
        watchdog.add(body)
        try:
            return self.app(environ, start_response)
        finally:
            # The app has read what it wanted; how fast the answer goes out is not judged here.
            watchdog.discard(body)

    def _started_watchdog(self) -> _Watchdog:
        # Started on first use, inside the gunicorn worker: threads do not survive a fork.
        with self._lock:
            if self._watchdog is None:
                self._watchdog = _Watchdog()
            return self._watchdog


def _has_body(environ: dict[str, Any]) -> bool:
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return True
    try:
        return int(environ.get("CONTENT_LENGTH") or 0) > 0
    except ValueError:
        return False


class _PacedBody:
    """`wsgi.input` that counts what was read and refuses to go on past its deadline."""

    def __init__(
        self, stream: IO[bytes], sock: socket.socket, timeout_seconds: float, min_rate: int
    ) -> None:
        self._stream = stream
        self.sock = sock
        self._started = time.monotonic()
        self._timeout_seconds = timeout_seconds
        self._min_rate = min_rate
        self._read = 0
        self.cut_off = False
        # The server's read returns only when all it asked for has come; asking for no
        # more than half a timeout's worth at the minimum rate lets each read count in time.
        self._slice = max(1024, int(timeout_seconds * min_rate) // 2)

    def deadline(self) -> float:
        return self._started + self._timeout_seconds + self._read / self._min_rate

    def _guarded(self, read: Callable[[], T]) -> T:
        try:
            data = read()
        except (OSError, ValueError):  # gunicorn's NoMoreData is an OSError
            if self.cut_off:
                raise self._timeout() from None
            raise
        if self.cut_off:
            raise self._timeout()
        self._read += len(data) if isinstance(data, bytes) else sum(map(len, data))
        return data

    @staticmethod
    def _timeout() -> RequestTimeout:
        return RequestTimeout("The request body arrived too slowly; send it again.")

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:  # a short read is allowed: callers loop
            return self._guarded(lambda: self._stream.read(min(size, self._slice)))
        parts = []
        while part := self._guarded(lambda: self._stream.read(self._slice)):
            parts.append(part)
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:
            return self._guarded(lambda: self._stream.readline(min(size, self._slice)))
        parts = []
        while part := self._guarded(lambda: self._stream.readline(self._slice)):
            parts.append(part)
            if part.endswith(b"\n"):
                break
        return b"".join(parts)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return self._guarded(lambda: self._stream.readlines(hint))

    def __iter__(self) -> _PacedBody:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class _Watchdog:
    """One daemon thread per process that cuts off bodies past their deadline."""

    def __init__(self) -> None:
        self._bodies: set[_PacedBody] = set()
        self._lock = threading.Lock()
        thread = threading.Thread(target=self._run, name="eakte-slow-clients", daemon=True)
        thread.start()

    def add(self, body: _PacedBody) -> None:
        with self._lock:
            self._bodies.add(body)

    def discard(self, body: _PacedBody) -> None:
        with self._lock:
            self._bodies.discard(body)

    def _run(self) -> None:
        while True:
            time.sleep(_WATCHDOG_TICK_SECONDS)
            now = time.monotonic()
            with self._lock:
                late = [body for body in self._bodies if body.deadline() < now]
                self._bodies.difference_update(late)
            for body in late:
                body.cut_off = True
                log.warning("request body too slow: the connection is cut off")
                # Wakes a read blocked in another thread; the answer can still be written.
                with contextlib.suppress(OSError):
                    body.sock.shutdown(socket.SHUT_RD)
