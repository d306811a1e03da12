"""The BlobStore port: where encrypted version objects live, whatever the technology.

Keys are opaque (`v1/<uuid>`), never derived from user input. Adapters turn
their vendor's errors into these, so callers never see `OSError` or `S3Error`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Protocol

from eakte.errors import BlobNotFoundError, StorageError, StorageUnavailableError

__all__ = ["BlobNotFoundError", "BlobStore", "StorageError", "StorageUnavailableError"]


class BlobStore(Protocol):
    def put(
        self, key: str, chunks: Iterable[bytes], *, length: int, retain_until: dt.date | None = None
    ) -> None:
        """Store exactly `length` bytes under `key`, atomically: all or nothing."""

    def get(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """Stream the object's bytes [offset, offset+length); BlobNotFoundError if missing."""

    def delete(self, key: str) -> None:
        """Remove the object (and, where the store keeps them, its older versions)."""

    def protect(self, key: str, *, retain_until: dt.date | None, legal_hold: bool) -> None:
        """WORM where the store has it (S3 Object Lock), a no-op elsewhere: lock the object
        until the end of `retain_until` (a lock is only ever extended) and set or clear its
        legal hold, so that the store itself refuses an early deletion."""

    def list(self, prefix: str) -> Iterator[str]:
        """Every key under `prefix` (`<prefix>/...`), in no particular order; no side effects."""

    def keys_older_than(self, prefix: str, cutoff: dt.datetime) -> Iterator[str]:
        """Keys under `prefix` last written before `cutoff` (for the orphan sweeper, which
        may also discard uploads that died before `cutoff`)."""

    def check(self) -> None:
        """Raise StorageUnavailableError unless the store answers and is writable."""
