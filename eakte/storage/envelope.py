"""The envelope store: objects encrypted on their way into the BlobStore, decrypted on the way out.

Every object gets a fresh data key (DEK), kept only wrapped by the key ring's
active key-encryption key (KEK) and bound to the object's identity (a
document version's id, or an archive proposal's for its export package). The
caller records the `Envelope` beside the object key; whatever carries those
fields (`Sealed`) opens the object again. The cipher itself is
`storage/encryption.py`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from eakte.storage import encryption
from eakte.storage.base import BlobStore
from eakte.storage.keyring import KeyRing


@dataclass(frozen=True)
class Envelope:
    """What the row records beside the object key so that the object can be opened again."""

    wrapped_key: bytes
    kek_id: str
    segment_size: int


class Sealed(Protocol):
    """An encrypted object as its row records it: a document version, or an export package."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def object_key(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def segment_size(self) -> int: ...
    @property
    def wrapped_key(self) -> bytes | None: ...
    @property
    def kek_id(self) -> str | None: ...


@dataclass(frozen=True)
class Opened:
    """One object whose data key is unwrapped: read it whole or by range, as often as needed."""

    blob_store: BlobStore
    identity: uuid.UUID
    object_key: str
    size: int
    segment_size: int
    data_key: bytes

    def read(self, first: int = 0, last: int | None = None) -> Iterator[bytes]:
        """Plaintext bytes [first, last] (inclusive; default all), streamed.

        Raises IntegrityFailureError before yielding any byte of a segment that
        fails authentication, BlobNotFoundError if the object is gone.
        """
        if last is None:
            last = max(self.size - 1, 0)
        header = b"".join(self.blob_store.get(self.object_key, 0, encryption.HEADER_SIZE))
        span = encryption.cipher_range(self.size, self.segment_size, first, last)
        yield from encryption.decrypt(
            self.data_key,
            self.identity,
            header,
            self.blob_store.get(self.object_key, span.offset, span.length),
            plaintext_size=self.size,
            first_segment=span.first_segment,
            skip=span.skip,
            take=min(span.take, self.size - first),  # an empty object: its one empty segment
        )


class EnvelopeStore:
    """Envelope encryption over a BlobStore, with the KEKs of a KeyRing."""

    def __init__(
        self,
        blob_store: BlobStore,
        keyring: KeyRing,
        *,
        segment_size: int = encryption.DEFAULT_SEGMENT_SIZE,
    ) -> None:
        self.blob_store = blob_store
        self.keyring = keyring
        self.segment_size = segment_size

    def seal(
        self,
        object_key: str,
        identity: uuid.UUID,
        plaintext: Iterable[bytes],
        size: int,
        *,
        retain_until: dt.date | None = None,
    ) -> Envelope:
        """Encrypt `size` bytes under a fresh data key bound to `identity` and store them."""
        kek_id, kek = self.keyring.active()
        dek = encryption.new_data_key()
        self.blob_store.put(
            object_key,
            encryption.encrypt(dek, identity, plaintext, self.segment_size),
            length=encryption.ciphertext_size(size, self.segment_size),
            retain_until=retain_until,
        )
        return Envelope(encryption.wrap_data_key(kek, dek, identity), kek_id, self.segment_size)

    def open(self, sealed: Sealed) -> Opened:
        """Unwrap the object's data key (IntegrityFailureError if it does not unwrap,
        KeyNotFoundError if its KEK is retired); no byte is fetched yet."""
        return Opened(
            self.blob_store,
            sealed.id,
            sealed.object_key,
            sealed.size,
            sealed.segment_size,
            self._data_key(sealed),
        )

    def read(self, sealed: Sealed) -> Iterator[bytes]:
        """All of the object's plaintext, streamed."""
        return self.open(sealed).read()

    def rewrap(self, sealed: Sealed, kek_id: str) -> bytes:
        """The object's data key wrapped anew with KEK `kek_id`; the content stays as it is."""
        return encryption.wrap_data_key(self.keyring.get(kek_id), self._data_key(sealed), sealed.id)

    def _data_key(self, sealed: Sealed) -> bytes:
        kek = self.keyring.get(sealed.kek_id or "")
        return encryption.unwrap_data_key(kek, sealed.wrapped_key or b"", sealed.id)
