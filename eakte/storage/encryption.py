"""Envelope encryption of document versions: streamed AES-256-GCM segments.

Format v1 (see docs/storage-format.md):

    header  = b"EAKT" | format u8 (=1) | flags u8 (=0) | reserved u16 (=0)
              | segment_size u32 | version_id (16 bytes)            28 bytes
    segment = nonce (12) | ciphertext (len of plaintext) | tag (16)

Every segment's associated data is `header | index u64 | last u8`, so a
segment that is moved, reordered, dropped, added or copied from another
version fails authentication, as does any change to the header. All
segments hold `segment_size` plaintext bytes except the last one (an empty
version has one empty segment). Each version has its own random 256-bit data
key (DEK); the DEK is stored only wrapped by a key-encryption key (KEK) with
AES-256-GCM, the version id bound in as associated data.
"""

from __future__ import annotations

import os
import struct
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from eakte.errors import IntegrityFailureError

MAGIC = b"EAKT"
FORMAT_VERSION = 1
HEADER = struct.Struct(">4sBBHI16s")
HEADER_SIZE = HEADER.size
NONCE_SIZE = 12
TAG_SIZE = 16
OVERHEAD = NONCE_SIZE + TAG_SIZE
DEFAULT_SEGMENT_SIZE = 1024 * 1024
KEY_SIZE = 32
_WRAP_CONTEXT = b"eakte-dek-v1:"


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_data_key(kek: bytes, dek: bytes, version_id: uuid.UUID) -> bytes:
    nonce = os.urandom(NONCE_SIZE)
    return nonce + AESGCM(kek).encrypt(nonce, dek, _WRAP_CONTEXT + version_id.bytes)


def unwrap_data_key(kek: bytes, wrapped: bytes, version_id: uuid.UUID) -> bytes:
    try:
        return AESGCM(kek).decrypt(
            wrapped[:NONCE_SIZE], wrapped[NONCE_SIZE:], _WRAP_CONTEXT + version_id.bytes
        )
    except (InvalidTag, ValueError):
        raise IntegrityFailureError(
            f"the data key of version {version_id} does not unwrap with its key-encryption key"
        ) from None


def segment_count(plaintext_size: int, segment_size: int) -> int:
    return max(1, -(-plaintext_size // segment_size))


def ciphertext_size(plaintext_size: int, segment_size: int = DEFAULT_SEGMENT_SIZE) -> int:
    return HEADER_SIZE + plaintext_size + segment_count(plaintext_size, segment_size) * OVERHEAD


def _header(version_id: uuid.UUID, segment_size: int) -> bytes:
    return HEADER.pack(MAGIC, FORMAT_VERSION, 0, 0, segment_size, version_id.bytes)


def _aad(header: bytes, index: int, last: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if last else 0)


def encrypt(
    dek: bytes,
    version_id: uuid.UUID,
    chunks: Iterable[bytes],
    segment_size: int = DEFAULT_SEGMENT_SIZE,
) -> Iterator[bytes]:
    """Yield the header, then one encrypted segment per `segment_size` bytes of input."""
    aead = AESGCM(dek)
    header = _header(version_id, segment_size)
    yield header
    # One segment of look-ahead: only at the end do we know which segment is last.
    pending: bytes | None = None
    index = 0
    for segment in _rechunk(chunks, segment_size):
        if pending is not None:
            yield _seal(aead, header, index, pending, last=False)
            index += 1
        pending = segment
    yield _seal(aead, header, index, pending or b"", last=True)


def _seal(aead: AESGCM, header: bytes, index: int, plaintext: bytes, *, last: bool) -> bytes:
    nonce = os.urandom(NONCE_SIZE)
    return nonce + aead.encrypt(nonce, plaintext, _aad(header, index, last))


@dataclass(frozen=True)
class CipherRange:
    """Which stored bytes hold plaintext[start:end+1], and how to trim after decryption."""

    offset: int  # first ciphertext byte to fetch (after the header)
    length: int
    first_segment: int
    skip: int  # plaintext bytes to drop from the first decrypted segment
    take: int  # plaintext bytes to deliver in all


def cipher_range(plaintext_size: int, segment_size: int, start: int, end: int) -> CipherRange:
    """Map an inclusive plaintext byte range to the segments that hold it."""
    if not 0 <= start <= end < max(plaintext_size, 1):
        raise ValueError("range outside the content")
    first, last = start // segment_size, end // segment_size
    offset = HEADER_SIZE + first * (segment_size + OVERHEAD)
    last_end = min((last + 1) * segment_size, plaintext_size)
    length = (last_end - first * segment_size) + (last - first + 1) * OVERHEAD
    return CipherRange(offset, length, first, start - first * segment_size, end - start + 1)


def decrypt(
    dek: bytes,
    version_id: uuid.UUID,
    header: bytes,
    segments: Iterable[bytes],
    *,
    plaintext_size: int,
    first_segment: int = 0,
    skip: int = 0,
    take: int | None = None,
) -> Iterator[bytes]:
    """Decrypt stored segments (starting at `first_segment`) and yield plaintext.

    `header` is the stored header; it must name this version. Raises
    IntegrityFailureError before yielding any byte of a segment that fails.
    """
    segment_size = _check_header(header, version_id)
    total = segment_count(plaintext_size, segment_size)
    remaining = plaintext_size - first_segment * segment_size if take is None else take
    aead = AESGCM(dek)
    index = first_segment
    for sealed in _rechunk(segments, segment_size + OVERHEAD):
        if index >= total:
            raise IntegrityFailureError(f"version {version_id} has more segments than recorded")
        try:
            plain = aead.decrypt(
                sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], _aad(header, index, index == total - 1)
            )
        except InvalidTag:
            raise IntegrityFailureError(
                f"segment {index} of version {version_id} fails authentication"
            ) from None
        if skip:
            plain, skip = plain[skip:], 0
        plain = plain[:remaining]
        remaining -= len(plain)
        index += 1
        if plain:
            yield plain
    if remaining > 0:
        raise IntegrityFailureError(f"version {version_id} is shorter than recorded")


def _check_header(header: bytes, version_id: uuid.UUID) -> int:
    try:
        magic, fmt, _flags, _reserved, segment_size, stored_id = HEADER.unpack(header)
    except struct.error:
        raise IntegrityFailureError(f"version {version_id} has no valid header") from None
    if magic != MAGIC or fmt != FORMAT_VERSION or segment_size <= 0:
        raise IntegrityFailureError(f"version {version_id} has an unknown storage format")
    if stored_id != version_id.bytes:
        raise IntegrityFailureError(f"the stored object does not belong to version {version_id}")
    return int(segment_size)


def _rechunk(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Regroup a byte stream into pieces of exactly `size` (the last may be shorter)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)
