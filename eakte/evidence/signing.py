"""Checkpoint signatures: ECDSA P-256 with SHA-256 (BSI TR-02102-1), DER-encoded.

`FileSigner` keeps the private key in a PEM file (mode 0600) made by
`eakte init`; an HSM/KMS adapter would offer the same `sign`,
`public_key_pem` and `key_id`. Verification needs only the public key.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from eakte.errors import ConfigError


class Signer(Protocol):
    @property
    def key_id(self) -> str: ...

    def sign(self, body: bytes) -> bytes: ...

    def public_key_pem(self) -> str: ...


def key_id_of(public_pem: str) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, hex (like a CT log id)."""
    public = serialization.load_pem_public_key(public_pem.encode())
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def new_private_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def verify_signature(public_pem: str, body: bytes, signature: bytes) -> bool:
    public = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(public, ec.EllipticCurvePublicKey) or public.curve.name != "secp256r1":
        return False
    try:
        public.verify(signature, body, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


class FileSigner:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: ec.EllipticCurvePrivateKey | None = None
        self._lock = threading.Lock()

    def _private(self) -> ec.EllipticCurvePrivateKey:
        with self._lock:
            if self._key is None:
                try:
                    key = serialization.load_pem_private_key(self.path.read_bytes(), None)
                except FileNotFoundError:
                    raise ConfigError(
                        "EAKTE_INSTANCE_PATH",
                        f"no audit signing key at {self.path}; run `eakte init`",
                    ) from None
                if not isinstance(key, ec.EllipticCurvePrivateKey):
                    raise ConfigError("EAKTE_INSTANCE_PATH", "the audit signing key is not ECDSA")
                self._key = key
            return self._key

    def sign(self, body: bytes) -> bytes:
        return self._private().sign(body, ec.ECDSA(hashes.SHA256()))

    def public_key_pem(self) -> str:
        return (
            self._private()
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key_pem())
