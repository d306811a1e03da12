"""The envelope store over a filesystem BlobStore and a key ring file: what services rely on."""

from __future__ import annotations

import dataclasses
import os
import uuid

import pytest

from eakte.errors import IntegrityFailureError
from eakte.storage.envelope import EnvelopeStore
from eakte.storage.filesystem import FileSystemBlobStore
from eakte.storage.keyring import FileKeyRing, KeyNotFoundError, create_keyring_file

SEG = 64


@dataclasses.dataclass(frozen=True)
class Row:
    """What a version row records (a `Sealed`)."""

    id: uuid.UUID
    object_key: str
    size: int
    segment_size: int
    wrapped_key: bytes | None
    kek_id: str | None


@pytest.fixture
def keyring(tmp_path) -> FileKeyRing:
    create_keyring_file(tmp_path / "keyring.json")
    return FileKeyRing(tmp_path / "keyring.json")


@pytest.fixture
def blobs(tmp_path) -> FileSystemBlobStore:
    return FileSystemBlobStore(tmp_path / "objects")


@pytest.fixture
def store(blobs, keyring) -> EnvelopeStore:
    return EnvelopeStore(blobs, keyring, segment_size=SEG)


def stored(store: EnvelopeStore, data: bytes) -> Row:
    identity, key = uuid.uuid4(), f"v1/{uuid.uuid4()}"
    chunks = [data[i : i + 50] for i in range(0, len(data), 50)]
    envelope = store.seal(key, identity, chunks, len(data))
    return Row(
        identity, key, len(data), envelope.segment_size, envelope.wrapped_key, envelope.kek_id
    )


@pytest.mark.parametrize("size", [0, 1, SEG, 5 * SEG + 7])
def test_round_trip(store, keyring, size):
    data = os.urandom(size)
    row = stored(store, data)
    assert row.kek_id == keyring.active()[0]
    assert row.segment_size == SEG
    assert b"".join(store.read(row)) == data


def test_ranges_read_from_one_unwrapped_key(store):
    data = os.urandom(5 * SEG + 7)
    opened = store.open(stored(store, data))
    for first, last in [(0, 0), (SEG - 1, SEG), (70, 250), (len(data) - 1, len(data) - 1)]:
        assert b"".join(opened.read(first, last)) == data[first : last + 1]
    assert b"".join(opened.read()) == data


def test_the_stored_object_is_ciphertext(store, blobs):
    data = b"Bauantrag Musterstrasse 1 " * 20
    row = stored(store, data)
    assert data[:26] not in b"".join(blobs.get(row.object_key))


def test_a_wrapped_key_opens_only_its_own_object(store):
    one, other = stored(store, b"one" * 40), stored(store, b"other" * 40)
    with pytest.raises(IntegrityFailureError):
        store.open(dataclasses.replace(one, wrapped_key=other.wrapped_key))
    with pytest.raises(IntegrityFailureError):
        store.open(dataclasses.replace(one, id=other.id))


def test_a_destroyed_or_unknown_key_opens_nothing(store):
    row = stored(store, b"x" * 100)
    with pytest.raises(IntegrityFailureError):
        store.open(dataclasses.replace(row, wrapped_key=None))  # crypto-shredded
    with pytest.raises(KeyNotFoundError):
        store.open(dataclasses.replace(row, kek_id="kek-unknown"))


def test_tampered_ciphertext_is_refused(store, blobs):
    data = os.urandom(3 * SEG)
    row = stored(store, data)
    blob = bytearray(b"".join(blobs.get(row.object_key)))
    blob[-5] ^= 1  # inside the last segment's tag
    blobs.put(row.object_key, [bytes(blob)], length=len(blob))
    opened = store.open(row)
    assert b"".join(opened.read(0, SEG - 1)) == data[:SEG]  # untouched segments still read
    with pytest.raises(IntegrityFailureError):
        b"".join(opened.read())


def test_rewrap_moves_the_data_key_to_a_new_kek(store, keyring):
    data = os.urandom(100)
    row = stored(store, data)
    new_kek = keyring.rotate()
    rewrapped = dataclasses.replace(row, wrapped_key=store.rewrap(row, new_kek), kek_id=new_kek)
    keyring.retire(row.kek_id)
    assert b"".join(store.read(rewrapped)) == data
    with pytest.raises(KeyNotFoundError):
        store.open(row)
