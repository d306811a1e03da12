"""The instance folder's secrets, created once by `eakte init` (each file mode 0600)."""

from __future__ import annotations

import secrets

from eakte.config import Settings
from eakte.evidence.signing import new_private_key_pem
from eakte.storage.keyring import create_keyring_file, write_secret_file


def create_instance_secrets(settings: Settings) -> None:
    """Create whatever is missing; never replaces an existing key."""
    settings.instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if settings.secret_key is None:
        write_secret_file(settings.secret_key_path, secrets.token_hex(32) + "\n")
    create_keyring_file(settings.keyring_path)
    if not settings.audit_signing_key_path.exists():
        write_secret_file(settings.audit_signing_key_path, new_private_key_pem())
    write_secret_file(settings.audit_address_key_path, secrets.token_hex(32) + "\n")
