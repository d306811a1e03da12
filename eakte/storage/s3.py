"""Objects in an S3 bucket (MinIO, Ceph RGW, SeaweedFS, AWS) through the `minio` client.

Vendor errors end here: connection trouble and 5xx answers become
StorageUnavailableError (a 503 with Retry-After upstream), a missing key
BlobNotFoundError, everything else StorageError. With Object Lock, each
version is written with a retain-until date in the configured mode; S3 then
refuses to delete it before that date, even for us (WORM).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import io
import logging
import threading
from collections.abc import Iterable, Iterator
from typing import BinaryIO, cast
from urllib.parse import parse_qs, urlsplit

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.error import MinioException, S3Error, ServerError
from minio.retention import Retention

from eakte.config import Settings
from eakte.errors import BlobNotFoundError, StorageError, StorageUnavailableError

log = logging.getLogger(__name__)

# Objects up to this size go up in one PUT; larger ones as a multipart upload of
# parts this size (memory per upload stays about one part).
PART_SIZE = 16 * 1024 * 1024
READ_CHUNK = 256 * 1024
_UNAVAILABLE_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout"}
_TRANSPORT_ERRORS = (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)


class S3BlobStore:
    def __init__(
        self, client: Minio, bucket: str, *, object_lock: str = "off", part_size: int = PART_SIZE
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.object_lock = object_lock
        self.part_size = part_size
        self._bucket_ready = False
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        url = urlsplit(settings.storage_url)
        secure = parse_qs(url.query).get("secure", ["true"])[0].lower() != "false"
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=60),
            maxsize=16,
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[502, 503, 504]),
        )
        client = Minio(
            url.netloc,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            secure=secure,
            region=settings.s3_region,
            http_client=http,
        )
        return cls(client, url.path.strip("/"), object_lock=settings.s3_object_lock)

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._lock, _translated("bucket"):
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket, object_lock=self.object_lock != "off")
            self._bucket_ready = True

    def put(
        self, key: str, chunks: Iterable[bytes], *, length: int, retain_until: dt.date | None = None
    ) -> None:
        self._ensure_bucket()
        retention = None
        if retain_until is not None and self.object_lock != "off":
            until = dt.datetime.combine(retain_until, dt.time(), tzinfo=dt.UTC)
            retention = Retention(self._mode, until)
        with _translated(key):
            if length <= self.part_size:
                data = b"".join(chunks)
                if len(data) != length:
                    raise StorageError(f"object {key}: got {len(data)} bytes, expected {length}")
                # Object Lock uploads must carry a checksum; it costs little anyway.
                checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
                self.client.put_object(
                    self.bucket,
                    key,
                    io.BytesIO(data),
                    length,
                    metadata={"x-amz-checksum-sha256": checksum},
                    part_size=self.part_size,  # one part: a plain PUT, not a multipart upload
                    retention=retention,
                )
            else:
                self.client.put_object(
                    self.bucket,
                    key,
                    cast(BinaryIO, _ChunkReader(chunks)),  # a readable stream is what it reads
                    length,
                    part_size=self.part_size,
                    num_parallel_uploads=1,
                    retention=retention,
                )

    def get(self, key: str, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        self._ensure_bucket()
        return self._stream(key, offset, length)

    def _stream(self, key: str, offset: int, length: int | None) -> Iterator[bytes]:
        # The request goes out on first use, so an unread stream holds no connection.
        with _translated(key):
            response = self.client.get_object(self.bucket, key, offset=offset, length=length or 0)
        try:
            with _translated(key):
                yield from response.stream(READ_CHUNK)
        finally:
            response.close()
            response.release_conn()

    def delete(self, key: str) -> None:
        """Delete the object and every stored version of it that Object Lock lets go."""
        self._ensure_bucket()
        with _translated(key):
            versions = [
                obj.version_id
                for obj in self.client.list_objects(self.bucket, prefix=key, include_version=True)
                if obj.object_name == key
            ]
            for version_id in versions or [None]:
                try:
                    self.client.remove_object(self.bucket, key, version_id=version_id)
                except S3Error as error:
                    if error.code not in ("AccessDenied", "InvalidRequest", "ObjectLocked"):
                        raise
                    log.info("object %s version %s is locked; kept", key, version_id)

    def protect(self, key: str, *, retain_until: dt.date | None, legal_hold: bool) -> None:
        if self.object_lock == "off":
            return
        self._ensure_bucket()
        with _translated(key):
            if retain_until is not None:
                until = dt.datetime.combine(
                    retain_until + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC
                )
                current = self.client.get_object_retention(self.bucket, key)
                if (
                    current is None
                    or current.retain_until_date is None
                    or (current.retain_until_date < until)
                ):
                    self.client.set_object_retention(self.bucket, key, Retention(self._mode, until))
            if legal_hold:
                self.client.enable_object_legal_hold(self.bucket, key)
            else:
                self.client.disable_object_legal_hold(self.bucket, key)

    @property
    def _mode(self) -> str:
        return COMPLIANCE if self.object_lock == "compliance" else GOVERNANCE

    def list(self, prefix: str) -> Iterator[str]:
        """minio-py pages through the listing (1,000 keys a request) by itself."""
        self._ensure_bucket()
        with _translated(prefix):
            for obj in self.client.list_objects(self.bucket, prefix=f"{prefix}/", recursive=True):
                if obj.object_name is not None:
                    yield obj.object_name

    def keys_older_than(self, prefix: str, cutoff: dt.datetime) -> Iterator[str]:
        self._ensure_bucket()
        with _translated(prefix):
            self._abort_stale_uploads(prefix, cutoff)
            for obj in self.client.list_objects(self.bucket, prefix=f"{prefix}/", recursive=True):
                if obj.last_modified is not None and obj.last_modified < cutoff:
                    yield obj.object_name

    def _abort_stale_uploads(self, prefix: str, cutoff: dt.datetime) -> None:
        """Multipart uploads that a dying process never completed: their parts are garbage.

        (The folder store's `.incoming-` files, on S3.) minio-py has no public call for
        these two S3 operations. Aborted uploads leave the listing, so it starts over
        instead of paging (minio-py does not parse the next upload-id marker).
        """
        while True:
            listing = self.client._list_multipart_uploads(self.bucket, prefix=f"{prefix}/")
            stale = [
                upload
                for upload in listing.uploads
                if upload.initiated_time is not None and upload.initiated_time < cutoff
            ]
            for upload in stale:
                if upload.upload_id is not None:  # always set in a listing; typed optional
                    self.client._abort_multipart_upload(
                        self.bucket, upload.object_name, upload.upload_id
                    )
            if not (stale and listing.is_truncated):
                return

    def check(self) -> None:
        self._bucket_ready = False
        self._ensure_bucket()


@contextlib.contextmanager
def _translated(key: str) -> Iterator[None]:
    """Turn minio/urllib3 errors into ours, naming no credentials."""
    try:
        yield
    except S3Error as exc:
        if exc.code in ("NoSuchKey", "NoSuchVersion"):
            raise BlobNotFoundError(f"object {key} is missing") from exc
        if exc.code in _UNAVAILABLE_CODES:
            raise StorageUnavailableError() from exc
        raise StorageError(f"object store refused the request ({exc.code})") from exc
    except (ServerError, *_TRANSPORT_ERRORS) as exc:
        raise StorageUnavailableError() from exc
    except (MinioException, OSError) as exc:  # OSError: minio found our stream short
        raise StorageError(f"object store failure ({type(exc).__name__})") from exc


class _ChunkReader(io.RawIOBase):
    """A file-like `read(n)` over an iterator of byte chunks (what minio wants)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        with memoryview(self._buffer) as view:
            out = bytes(view[:size])  # one copy of the part, not two
        del self._buffer[:size]
        return out
