"""Objects as files in one folder: the embedded default (one machine, local or network disk)."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from eakte.errors import StorageFullError
from eakte.storage.base import BlobNotFoundError, StorageError, StorageUnavailableError

_PREFIX = re.compile(r"^[a-z0-9]+$")
_KEY = re.compile(r"^[a-z0-9]+/[0-9a-f-]{36}$")
_READ_CHUNK = 256 * 1024


class FileSystemBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise StorageError(f"not a storage key: {key!r}")
        prefix, name = key.split("/")
        return self.root / prefix / name[:2] / name

    def put(
        self, key: str, chunks: Iterable[bytes], *, length: int, retain_until: dt.date | None = None
    ) -> None:
        """Write to a temporary file, fsync, rename into place, fsync the folder."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".incoming-", dir=path.parent)
        except OSError as exc:
            raise _storage_error(exc) from exc
        try:
            written = 0
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    written += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            if written != length:
                raise StorageError(f"object {key}: wrote {written} bytes, expected {length}")
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except OSError as exc:
            _discard(tmp)
            raise _storage_error(exc) from exc
        except BaseException:
            _discard(tmp)
            raise

    def get(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFoundError(f"object {key} is missing")
        return self._stream(path, offset, length)

    @staticmethod
    def _stream(path: Path, offset: int, length: int | None) -> Iterator[bytes]:
        # Opened on first use, so a stream that is never read holds no file open.
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise BlobNotFoundError(f"object {path.name} is missing") from None
        except OSError as exc:
            raise _storage_error(exc) from exc
        with handle:
            handle.seek(offset)
            remaining = length
            while remaining is None or remaining > 0:
                size = _READ_CHUNK if remaining is None else min(_READ_CHUNK, remaining)
                chunk = handle.read(size)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise _storage_error(exc) from exc

    def protect(self, key: str, *, retain_until: dt.date | None, legal_hold: bool) -> None:
        """A folder has no WORM: the database's retention rules are the only guard here."""

    def list(self, prefix: str) -> Iterator[str]:
        if not _PREFIX.match(prefix):
            raise StorageError(f"not a storage prefix: {prefix!r}")
        base = self.root / prefix
        try:
            if not base.is_dir():
                return
            for path in base.glob("*/*"):
                if not path.name.startswith(".incoming-"):  # an upload under way, or dead
                    yield f"{prefix}/{path.name}"
        except OSError as exc:
            raise _storage_error(exc) from exc

    def keys_older_than(self, prefix: str, cutoff: dt.datetime) -> Iterator[str]:
        base = self.root / prefix
        if not base.is_dir():
            return
        limit = cutoff.timestamp()
        for path in base.glob("*/*"):
            if path.name.startswith(".incoming-"):
                # An upload that died half-way: its temporary file is garbage too.
                if path.stat().st_mtime < limit:
                    path.unlink(missing_ok=True)
                continue
            if path.stat().st_mtime < limit:
                yield f"{prefix}/{path.name}"

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root):
                pass
        except OSError as exc:
            raise _storage_error(exc) from exc


def _storage_error(exc: OSError) -> StorageError | StorageUnavailableError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFullError("the object store's disk is full; nothing was stored")
    if exc.errno in (errno.EIO, errno.ESTALE, errno.ENOTCONN, errno.ETIMEDOUT):
        return StorageUnavailableError()
    return StorageError(f"object store failure ({errno.errorcode.get(exc.errno or 0, 'error')})")


def _discard(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
