"""Previews of office documents: the port a converter to PDF implements.

The Dokument page shows PDF and images as they are; word-processing files
(DOCX, ODT) only when a converter is installed. Bootstrap chooses the adapter
(`libreoffice.py`, when `soffice` is on PATH) or none at all.
"""

from __future__ import annotations

from typing import Protocol

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
# The media types a converter is asked to turn into PDF, with the file name suffix it needs.
CONVERTIBLE = {DOCX: ".docx", ODT: ".odt"}


class PdfConverter(Protocol):
    """Turns one document's bytes into PDF bytes, or None when it cannot."""

    def to_pdf(self, content: bytes, suffix: str) -> bytes | None: ...
