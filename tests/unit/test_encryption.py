"""Envelope encryption: round trips, ranges, and every way of tampering with segments."""

from __future__ import annotations

import os
import uuid

import pytest

from eakte.errors import IntegrityFailureError
from eakte.storage import encryption as enc

SEG = 64  # small segments make multi-segment cases cheap


def seal(data: bytes, version_id: uuid.UUID, dek: bytes) -> bytes:
    return b"".join(
        enc.encrypt(dek, version_id, [data[i : i + 50] for i in range(0, len(data), 50)], SEG)
    )


def open_(blob: bytes, version_id: uuid.UUID, dek: bytes, size: int) -> bytes:
    header, body = blob[: enc.HEADER_SIZE], blob[enc.HEADER_SIZE :]
    return b"".join(enc.decrypt(dek, version_id, header, [body], plaintext_size=size))


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 5 * SEG, 5 * SEG + 7])
def test_round_trip_and_size_formula(size):
    data, vid, dek = os.urandom(size), uuid.uuid4(), enc.new_data_key()
    blob = seal(data, vid, dek)
    assert len(blob) == enc.ciphertext_size(size, SEG)
    assert open_(blob, vid, dek, size) == data


def test_ciphertext_does_not_contain_plaintext_runs():
    data = b"Gewerbeanmeldung " * 100
    blob = seal(data, uuid.uuid4(), enc.new_data_key())
    assert b"Gewerbeanmeldung" not in blob


@pytest.mark.parametrize(
    ("start", "end"), [(0, 0), (3, 70), (64, 127), (100, 319), (0, 326), (326, 326)]
)
def test_range_decrypts_only_the_needed_segments(start, end):
    size = 5 * SEG + 7
    data, vid, dek = os.urandom(size), uuid.uuid4(), enc.new_data_key()
    blob = seal(data, vid, dek)
    r = enc.cipher_range(size, SEG, start, end)
    part = blob[r.offset : r.offset + r.length]
    assert len(part) == r.length
    got = b"".join(
        enc.decrypt(
            dek,
            vid,
            blob[: enc.HEADER_SIZE],
            [part],
            plaintext_size=size,
            first_segment=r.first_segment,
            skip=r.skip,
            take=r.take,
        )
    )
    assert got == data[start : end + 1]


def _segments(blob: bytes) -> list[bytes]:
    body = blob[enc.HEADER_SIZE :]
    step = SEG + enc.OVERHEAD
    return [body[i : i + step] for i in range(0, len(body), step)]


def _tampered(kind: str, blob: bytes, other: bytes) -> bytes:
    header, segs = blob[: enc.HEADER_SIZE], _segments(blob)
    if kind == "flip":
        b = bytearray(blob)
        b[enc.HEADER_SIZE + 100] ^= 1
        return bytes(b)
    if kind == "reorder":
        return header + segs[1] + segs[0] + b"".join(segs[2:])
    if kind == "truncate_segment":
        return header + b"".join(segs[:-1])
    if kind == "truncate_bytes":
        return blob[:-5]
    if kind == "extend":
        return blob + segs[1]
    if kind == "swap_from_other_version":
        return header + _segments(other)[0] + b"".join(segs[1:])
    if kind == "other_header":
        return other[: enc.HEADER_SIZE] + b"".join(segs)
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind",
    [
        "flip",
        "reorder",
        "truncate_segment",
        "truncate_bytes",
        "extend",
        "swap_from_other_version",
        "other_header",
    ],
)
def test_tampering_fails_authentication(kind):
    size = 4 * SEG
    data, vid, dek = os.urandom(size), uuid.uuid4(), enc.new_data_key()
    other = seal(os.urandom(size), uuid.uuid4(), dek)  # same key even: identity still differs
    with pytest.raises(IntegrityFailureError):
        open_(_tampered(kind, seal(data, vid, dek), other), vid, dek, size)


def test_wrong_data_key_fails():
    vid = uuid.uuid4()
    blob = seal(b"x" * 100, vid, enc.new_data_key())
    with pytest.raises(IntegrityFailureError):
        open_(blob, vid, enc.new_data_key(), 100)


def test_wrapped_key_is_bound_to_its_version_and_kek():
    kek, dek, vid = enc.new_data_key(), enc.new_data_key(), uuid.uuid4()
    wrapped = enc.wrap_data_key(kek, dek, vid)
    assert dek not in wrapped
    assert enc.unwrap_data_key(kek, wrapped, vid) == dek
    with pytest.raises(IntegrityFailureError):
        enc.unwrap_data_key(kek, wrapped, uuid.uuid4())
    with pytest.raises(IntegrityFailureError):
        enc.unwrap_data_key(enc.new_data_key(), wrapped, vid)
