"""Objects in a dict: the BlobStore for service-level tests, held to the same contract.

Nothing survives the process; not for production. Keys follow the file store's rule
(`prefix/<uuid>`), so a key that one store refuses is refused here too.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterable, Iterator

from eakte.storage.base import BlobNotFoundError, StorageError

_KEY = re.compile(r"^[a-z0-9]+/[0-9a-f-]{36}$")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class MemoryBlobStore:
    def __init__(self, clock: Callable[[], dt.datetime] = _now) -> None:
        self.clock = clock
        self._objects: dict[str, tuple[bytes, dt.datetime]] = {}
        self._lock = threading.Lock()

    def put(
        self, key: str, chunks: Iterable[bytes], *, length: int, retain_until: dt.date | None = None
    ) -> None:
        """All or nothing: the object appears only once every byte has arrived."""
        _check_key(key)
        data = b"".join(chunks)
        if len(data) != length:
            raise StorageError(f"object {key}: got {len(data)} bytes, expected {length}")
        with self._lock:
            self._objects[key] = (data, self.clock())

    def get(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        _check_key(key)
        with self._lock:
            found = self._objects.get(key)
        if found is None:
            raise BlobNotFoundError(f"object {key} is missing")
        end = None if length is None else offset + length
        return iter([found[0][offset:end]])

    def delete(self, key: str) -> None:
        _check_key(key)
        with self._lock:
            self._objects.pop(key, None)

    def protect(self, key: str, *, retain_until: dt.date | None, legal_hold: bool) -> None:
        """No WORM in memory: the database's retention rules are the only guard here."""

    def list(self, prefix: str) -> Iterator[str]:
        """The keys under `prefix`, sorted."""
        with self._lock:
            keys = sorted(key for key in self._objects if key.startswith(f"{prefix}/"))
        return iter(keys)

    def keys_older_than(self, prefix: str, cutoff: dt.datetime) -> Iterator[str]:
        with self._lock:
            written = {key: when for key, (_data, when) in self._objects.items()}
        return iter(
            sorted(k for k, when in written.items() if k.startswith(f"{prefix}/") and when < cutoff)
        )

    def check(self) -> None:
        """Memory always answers."""


def _check_key(key: str) -> None:
    if not _KEY.match(key):
        raise StorageError(f"not a storage key: {key!r}")
