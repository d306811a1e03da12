"""Media type of uploaded content, detected from its bytes (libmagic), not the client's word."""

from __future__ import annotations

import magic

SNIFF_BYTES = 8192
FALLBACK = "application/octet-stream"


def detect_media_type(head: bytes) -> str:
    if not head:
        return FALLBACK
    try:
        detected = magic.from_buffer(head, mime=True)
    except magic.MagicException:
        return FALLBACK
    return detected if detected and "/" in detected else FALLBACK
