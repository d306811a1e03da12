"""File names and byte ranges, as downloads and uploads apply them."""

from __future__ import annotations

import pytest

from eakte.models.content import resolve_range, safe_filename


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("Bescheid.pdf", "Bescheid.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\anna\\Bescheid.pdf", "Bescheid.pdf"),
        ("Bescheid\r\nSet-Cookie: x=1.pdf", "BescheidSet-Cookie: x=1.pdf"),
        ("  .hidden ", "hidden"),
        ("", "dokument"),
        (None, "dokument"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
        ("Stra\u00dfe.txt", "Straße.txt"),
        ("Strasse\u0308.txt", "Strassë.txt"),  # NFC: one code point for ë
    ],
)
def test_safe_filename(raw, safe):
    assert safe_filename(raw) == safe


@pytest.mark.parametrize(
    ("start", "stop", "size", "expected"),
    [
        (0, 1, 10, (0, 0)),
        (2, None, 10, (2, 9)),
        (5, 100, 10, (5, 9)),
        (-3, None, 10, (7, 9)),
        (-30, None, 10, (0, 9)),
        (10, None, 10, None),
        (0, None, 0, None),
    ],
)
def test_resolve_range(start, stop, size, expected):
    assert resolve_range(start, stop, size) == expected
