"""Pure rules about stored content: safe filenames and byte ranges."""

from __future__ import annotations

import unicodedata

from eakte.models.documents import FILENAME_MAX

FALLBACK_FILENAME = "dokument"
_UNWANTED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def safe_filename(raw: str | None) -> str:
    """The name a clerk gave the file, without folders, control characters or odd length.

    The name is only ever shown and offered on download; storage keys never
    derive from it.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters, and the Unicode line and paragraph separators
    # (U+2028/U+2029), which would split the name over lines in logs and exports.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _UNWANTED_CATEGORIES)
    name = name.strip().strip(".").strip()
    if not name:
        return FALLBACK_FILENAME
    if len(name) > FILENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: FILENAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:FILENAME_MAX]
    return name


def resolve_range(start: int, stop: int | None, size: int) -> tuple[int, int] | None:
    """One byte range of content (as RFC 9110 writes it) → inclusive (first, last), or None
    when unsatisfiable.

    `start` < 0 is a suffix range (`bytes=-500`: the last 500 bytes); `stop` is
    exclusive, None meaning "to the end" — werkzeug's parsed form.
    """
    if start < 0:
        first, end = max(size + start, 0), size
    else:
        first, end = start, size if stop is None else min(stop, size)
    if first >= end:
        return None
    return first, end - 1
