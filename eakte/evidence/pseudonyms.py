"""Client addresses in the sealed log: a keyed hash, so the plain address can be erased.

The HMAC key lives in the instance (`audit_address_key`, mode 0600). The same
address always gives the same pseudonym, so an auditor can still follow one
client across events after the plain addresses are gone, but nobody without
the key can turn a pseudonym back into an address.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from pathlib import Path

from eakte.errors import ConfigError


class AddressHasher:
    def __init__(self, key_path: Path) -> None:
        self.key_path = key_path
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def __call__(self, address: str | None) -> str | None:
        if not address:
            return None
        return hmac.new(self._load(), address.encode(), hashlib.sha256).hexdigest()

    def _load(self) -> bytes:
        with self._lock:
            if self._key is None:
                try:
                    self._key = bytes.fromhex(self.key_path.read_text().strip())
                except FileNotFoundError:
                    raise ConfigError(
                        "EAKTE_INSTANCE_PATH",
                        f"no address key at {self.key_path}; run `eakte init`",
                    ) from None
            return self._key
