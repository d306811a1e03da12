"""One contract, every BlobStore: the file store, S3 (a real SeaweedFS server) and the
in-memory store of the service tests."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest

from eakte.config import Settings
from eakte.errors import BlobNotFoundError, StorageError
from eakte.storage.filesystem import FileSystemBlobStore
from eakte.storage.memory import MemoryBlobStore
from eakte.storage.s3 import S3BlobStore
from tests.conftest import s3_settings

MIB = 1024 * 1024


@pytest.fixture(params=["file", "s3", "memory"])
def store(request, tmp_path):
    if request.param == "file":
        return FileSystemBlobStore(tmp_path / "objects")
    if request.param == "memory":
        return MemoryBlobStore()
    server = request.getfixturevalue("s3_server")
    bucket = request.getfixturevalue("s3_bucket")
    # Small parts, so that multipart uploads are exercised without big test data.
    store = S3BlobStore.from_settings(Settings.from_env(s3_settings(server, bucket)))
    store.part_size = 5 * MIB
    return store


def key() -> str:
    return f"v1/{uuid.uuid4()}"


def chunks(data: bytes, size: int = 100_000):
    return (data[i : i + size] for i in range(0, len(data), size))


@pytest.mark.parametrize("size", [0, 1, 5 * MIB + 17, 12 * MIB])
def test_put_then_get_returns_the_same_bytes(store, size):
    data, name = os.urandom(size), key()
    store.put(name, chunks(data), length=size)
    assert b"".join(store.get(name)) == data


def test_get_of_a_range(store):
    data, name = os.urandom(3 * MIB), key()
    store.put(name, chunks(data), length=len(data))
    assert b"".join(store.get(name, 1000, 10)) == data[1000:1010]
    assert b"".join(store.get(name, MIB - 5, MIB + 10)) == data[MIB - 5 : 2 * MIB + 5]


def test_a_missing_object_is_blob_not_found(store):
    with pytest.raises(BlobNotFoundError):
        b"".join(store.get(key()))


def test_delete_removes_and_is_idempotent(store):
    name = key()
    store.put(name, [b"Inhalt"], length=6)
    store.delete(name)
    with pytest.raises(BlobNotFoundError):
        b"".join(store.get(name))
    store.delete(name)


def test_a_short_stream_stores_nothing(store):
    name = key()
    with pytest.raises((StorageError, OSError, ValueError)):
        store.put(name, [b"only a part"], length=6 * MIB)
    with pytest.raises(BlobNotFoundError):
        b"".join(store.get(name))


def test_a_failing_stream_stores_nothing(store):
    name = key()

    def broken():
        yield os.urandom(MIB)
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        store.put(name, broken(), length=2 * MIB)
    with pytest.raises(BlobNotFoundError):
        b"".join(store.get(name))


def test_keys_older_than_lists_only_old_objects_under_the_prefix(store):
    name = key()
    store.put(name, [b"x"], length=1)
    now = dt.datetime.now(dt.UTC)
    assert name not in set(store.keys_older_than("v1", now - dt.timedelta(hours=1)))
    assert name in set(store.keys_older_than("v1", now + dt.timedelta(hours=1)))
    assert list(store.keys_older_than("v2", now + dt.timedelta(hours=1))) == []


def test_list_names_exactly_the_keys_under_the_prefix(store):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    inside = {f"{prefix}/{uuid.uuid4()}" for _ in range(25)}
    outside = {f"{prefix}0/{uuid.uuid4()}", f"v1/{uuid.uuid4()}"}  # "t…0" only starts alike
    for name in inside | outside:
        store.put(name, [b"x"], length=1)
    assert sorted(store.list(prefix)) == sorted(inside)
    assert list(store.list(f"{prefix}1")) == []


def test_check_passes_on_a_working_store(store):
    store.check()


def test_keys_are_checked_on_the_file_store(tmp_path):
    store = FileSystemBlobStore(tmp_path)
    with pytest.raises(StorageError):
        store.put("../../etc/passwd", [b"x"], length=1)


def test_the_memory_store_lists_the_keys_under_a_prefix_in_order():
    store = MemoryBlobStore()
    names = sorted(key() for _ in range(3))
    for name in reversed(names):
        store.put(name, [b"x"], length=1)
    store.put(f"audit/{uuid.uuid4()}", [b"y"], length=1)
    assert list(store.list("v1")) == names
    assert list(store.list("v2")) == []
