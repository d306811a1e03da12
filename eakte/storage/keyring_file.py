"""The key ring file that `eakte init` creates: key-encryption keys, mode 0600.

Only creation lives here for now; the envelope encryption that reads it
belongs to the documents work (see DESIGN.md, Storage).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path


def create_keyring_file(path: Path) -> bool:
    """Write a key ring with one fresh 256-bit KEK unless the file exists; True if written."""
    key_id = "kek-" + secrets.token_hex(4)
    content = {
        "format": 1,
        "active": key_id,
        "keys": {key_id: base64.b64encode(secrets.token_bytes(32)).decode()},
    }
    return write_secret_file(path, json.dumps(content, indent=2) + "\n")


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
