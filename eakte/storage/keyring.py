"""Key rings: the key-encryption keys (KEKs) that wrap every version's data key.

`KeyRing` is the port; `FileKeyRing` keeps the keys in one JSON file (mode
0600) that `eakte init` creates (`create_keyring_file`). A KMS or HSM adapter
would implement the same five methods. The file is re-read when it changes, so
a rotation done by `eakte keys rotate` reaches running servers without a
restart. `write_secret_file` is how the instance's other secrets get mode 0600
too.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any, Protocol

from eakte.errors import ConfigError, EakteError

KEY_BYTES = 32


class KeyNotFoundError(EakteError):
    code = "key-not-found"


class KeyRing(Protocol):
    def active(self) -> tuple[str, bytes]:
        """The key id and key that wrap new data keys."""

    def get(self, key_id: str) -> bytes:
        """A key by id (active or older); KeyNotFoundError if retired or unknown."""

    def rotate(self) -> str:
        """Add a fresh key, make it active, return its id."""

    def retire(self, key_id: str) -> None:
        """Forget an old key (the caller has made sure nothing uses it)."""

    def key_ids(self) -> list[str]:
        """All key ids, oldest first."""


class FileKeyRing:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._data: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        with self._lock:
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                raise ConfigError(
                    "EAKTE_INSTANCE_PATH", f"no key ring at {self.path}; run `eakte init`"
                ) from None
            stamp = (stat.st_mtime_ns, stat.st_ino)
            if stamp != self._stamp:
                self._data = json.loads(self.path.read_text(encoding="utf-8"))
                self._stamp = stamp
            return self._data

    def active(self) -> tuple[str, bytes]:
        data = self._load()
        key_id: str = data["active"]
        return key_id, base64.b64decode(data["keys"][key_id])

    def get(self, key_id: str) -> bytes:
        keys = self._load()["keys"]
        if key_id not in keys:
            raise KeyNotFoundError(f"key {key_id!r} is not in the key ring")
        return base64.b64decode(keys[key_id])

    def key_ids(self) -> list[str]:
        return list(self._load()["keys"])

    def rotate(self) -> str:
        data = dict(self._load())
        key_id = _new_key_id()
        data["keys"] = {**data["keys"], key_id: _new_key()}
        data["active"] = key_id
        self._replace(data)
        return key_id

    def retire(self, key_id: str) -> None:
        data = dict(self._load())
        if key_id == data["active"]:
            raise EakteError("the active key cannot be retired; rotate first")
        if key_id not in data["keys"]:
            raise KeyNotFoundError(f"key {key_id!r} is not in the key ring")
        data["keys"] = {k: v for k, v in data["keys"].items() if k != key_id}
        self._replace(data)

    def _replace(self, data: dict[str, Any]) -> None:
        """Write a new file beside the old one (0600) and rename it over: never half-written."""
        tmp = self.path.with_name(self.path.name + ".new")
        tmp.unlink(missing_ok=True)
        write_secret_file(tmp, json.dumps(data, indent=2) + "\n")
        os.replace(tmp, self.path)


def create_keyring_file(path: Path) -> bool:
    """Write a key ring with one fresh 256-bit KEK unless the file exists; True if written."""
    key_id = _new_key_id()
    content = {"format": 1, "active": key_id, "keys": {key_id: _new_key()}}
    return write_secret_file(path, json.dumps(content, indent=2) + "\n")


def _new_key_id() -> str:
    return "kek-" + secrets.token_hex(4)


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def write_secret_file(path: Path, content: str) -> bool:
    """Create `path` with mode 0600 (never widened by umask); False if it exists already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return True
