"""The SeaweedFS test server behaves like real S3 where eakte depends on it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import os
import socket
from collections.abc import Iterator

import pytest
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from tests.s3server import S3Server, start_s3_server

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = start_s3_server(tmp_path_factory.mktemp("s3"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(s3: S3Server) -> Minio:
    return s3.client()


def checksum(data: bytes) -> dict[str, str]:
    """The header Object Lock uploads need (minio sends no Content-MD5 over plain HTTP).

    minio-py's put_object has no `headers=`; `metadata=` passes x-amz-* keys through
    unprefixed.  Only for single-request uploads: on a multipart upload the header would
    go to CreateMultipartUpload, which SeaweedFS refuses (InvalidRequest).
    """
    return {"x-amz-checksum-sha256": base64.b64encode(hashlib.sha256(data).digest()).decode()}


def read(client: Minio, bucket: str, name: str, **kwargs) -> bytes:
    response = client.get_object(bucket, name, **kwargs)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def test_server_is_bound_to_loopback_with_signed_access(s3: S3Server) -> None:
    assert s3.endpoint == f"127.0.0.1:{s3.ports['s3']}"
    assert s3.url("docs") == f"s3://{s3.endpoint}/docs?secure=false"
    assert s3.startup_seconds is not None and s3.startup_seconds < 60
    assert s3.log_path.is_file()


def test_round_trip_and_ranged_get(client: Minio) -> None:
    client.make_bucket("roundtrip")
    data = os.urandom(5 * MiB)
    client.put_object("roundtrip", "doc.bin", io.BytesIO(data), len(data))

    assert read(client, "roundtrip", "doc.bin") == data
    assert client.stat_object("roundtrip", "doc.bin").size == len(data)
    assert (
        read(client, "roundtrip", "doc.bin", offset=1_000_003, length=4096)
        == (data[1_000_003 : 1_000_003 + 4096])
    )
    # across the filer's 4 MiB chunk boundary, from offset 0, and to the end
    assert (
        read(client, "roundtrip", "doc.bin", offset=4 * MiB - 10, length=20)
        == (data[4 * MiB - 10 : 4 * MiB + 10])
    )
    assert read(client, "roundtrip", "doc.bin", length=10) == data[:10]
    assert read(client, "roundtrip", "doc.bin", offset=len(data) - 7) == data[-7:]
    with pytest.raises(S3Error) as excinfo:
        read(client, "roundtrip", "doc.bin", offset=len(data) + 1)
    assert excinfo.value.code == "InvalidRange"


def test_bad_credentials_are_refused(s3: S3Server, client: Minio) -> None:
    client.make_bucket("guarded")
    with pytest.raises(S3Error) as excinfo:
        s3.client(secret_key="not-the-secret").put_object("guarded", "x", io.BytesIO(b"x"), 1)
    assert excinfo.value.code == "SignatureDoesNotMatch"
    with pytest.raises(S3Error) as excinfo:
        s3.client(access_key="nobody").list_buckets()
    assert excinfo.value.code == "InvalidAccessKeyId"
    with pytest.raises(S3Error) as excinfo:
        Minio(s3.endpoint, secure=False).list_objects("guarded").__next__()  # anonymous
    assert excinfo.value.code == "AccessDenied"
    assert list(client.list_objects("guarded")) == []


def test_object_lock_compliance_refuses_deleting_the_version(client: Minio) -> None:
    client.make_bucket("locked", object_lock=True)
    assert client.get_bucket_versioning("locked").status == "Enabled"
    until = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    data = b"signed record" * 100

    with pytest.raises(S3Error) as excinfo:  # the checksum header is checked
        client.put_object(
            "locked",
            "record",
            io.BytesIO(data),
            len(data),
            retention=Retention(COMPLIANCE, until),
            metadata=checksum(b"other"),
        )
    assert excinfo.value.code == "BadDigest"

    written = client.put_object(
        "locked",
        "record",
        io.BytesIO(data),
        len(data),
        retention=Retention(COMPLIANCE, until),
        metadata=checksum(data),
    )
    assert written.version_id
    retention = client.get_object_retention("locked", "record", version_id=written.version_id)
    assert retention.mode == COMPLIANCE
    assert retention.retain_until_date == until

    with pytest.raises(S3Error) as excinfo:
        client.remove_object("locked", "record", version_id=written.version_id)
    assert excinfo.value.code == "AccessDenied"
    with pytest.raises(S3Error) as excinfo:  # COMPLIANCE retention cannot be shortened
        client.set_object_retention(
            "locked",
            "record",
            Retention(COMPLIANCE, until - dt.timedelta(hours=1)),
            version_id=written.version_id,
        )
    assert excinfo.value.code == "AccessDenied"

    # a plain delete only adds a delete marker; the locked version stays readable
    client.remove_object("locked", "record")
    with pytest.raises(S3Error) as excinfo:
        client.stat_object("locked", "record")
    assert excinfo.value.code == "NoSuchKey"
    assert read(client, "locked", "record", version_id=written.version_id) == data
    versions = list(client.list_objects("locked", include_version=True))
    # SeaweedFS lists delete markers after the versions: rely on is_latest, not on order
    assert {
        (v.version_id == written.version_id, v.is_delete_marker, v.is_latest == "true")
        for v in versions
    } == {(True, False, False), (False, True, True)}


def test_multipart_upload(client: Minio) -> None:
    client.make_bucket("multipart")
    data = os.urandom(12 * MiB)
    written = client.put_object(
        "multipart", "big.bin", io.BytesIO(data), length=-1, part_size=5 * MiB
    )
    assert written.etag.endswith("-3")  # three parts: 5 + 5 + 2 MiB
    assert client.stat_object("multipart", "big.bin").size == len(data)
    assert read(client, "multipart", "big.bin") == data
    assert (
        read(client, "multipart", "big.bin", offset=5 * MiB - 3, length=6)
        == (data[5 * MiB - 3 : 5 * MiB + 3])
    )


def test_restart_keeps_objects_and_locks(s3: S3Server, client: Minio) -> None:
    client.make_bucket("durable")
    client.make_bucket("durable-locked", object_lock=True)
    data = os.urandom(300_000)
    client.put_object("durable", "kept.bin", io.BytesIO(data), len(data))
    until = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    locked = client.put_object(
        "durable-locked",
        "kept",
        io.BytesIO(data),
        len(data),
        retention=Retention(COMPLIANCE, until),
        metadata=checksum(data),
    )
    ports = dict(s3.ports)

    s3.stop()
    assert not s3.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", s3.ports["s3"]), timeout=1).close()

    s3.start()
    assert s3.running and s3.ports == ports
    client = s3.client()
    assert read(client, "durable", "kept.bin") == data
    assert read(client, "durable-locked", "kept", version_id=locked.version_id) == data
    with pytest.raises(S3Error) as excinfo:
        client.remove_object("durable-locked", "kept", version_id=locked.version_id)
    assert excinfo.value.code == "AccessDenied"
    with pytest.raises(S3Error) as excinfo:  # the identities still apply
        s3.client(secret_key="not-the-secret").list_buckets()
    assert excinfo.value.code == "SignatureDoesNotMatch"
