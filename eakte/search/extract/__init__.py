"""Text extraction for full-text search: bytes of one document in, plain text out.

Pure apart from running tesseract for OCR. Bad documents never raise: they come
back as `Extraction(status="failed")` with a short English `detail` that never
quotes document content, so it is safe to store, log and show. Hostile input is
bounded here where that is cheap (zip members, XML entities, character budget);
time and memory are bounded by `runner.ExtractionRunner`, which is how the
indexing worker calls this. One module per family of formats; `core` holds what
they share.
"""

from __future__ import annotations

import functools

from eakte.search.extract.core import (
    DOCX,
    EMAIL,
    EMPTY,
    EXTRACTED,
    FAILED,
    HTML,
    IMAGE,
    ODT,
    PARSERS,
    PDF,
    TEXT,
    UNSUPPORTED,
    Extraction,
    ExtractionInterruptedError,
    ExtractionLimits,
    extract,
)

__all__ = [
    "EMPTY",
    "EXTRACTED",
    "FAILED",
    "UNSUPPORTED",
    "Extraction",
    "ExtractionInterruptedError",
    "ExtractionLimits",
    "extract_text",
    "load_parsers",
    "ocr_available",
]


@functools.cache
def _register_parsers() -> None:
    """Load the format modules on first use: PDFium, Pillow and pytesseract cost tens
    of MB, and only the worker's extraction process needs them, not every web worker."""
    from eakte.search.extract import mail, office, pdf, text
    from eakte.search.extract.ocr import image

    PARSERS.update(
        {
            PDF: pdf.pdf,
            DOCX: office.docx,
            ODT: office.odt,
            TEXT: text.plain_text,
            HTML: text.html,
            EMAIL: mail.email_message,
            IMAGE: image,
        }
    )


def load_parsers() -> None:
    """Import every format module now rather than with the first document: on a busy
    host that takes seconds, which must not count against that document's time limit."""
    _register_parsers()


def ocr_available(languages: str = "deu") -> bool:
    """Whether tesseract is installed with these languages (see `ocr.ocr_available`)."""
    from eakte.search.extract.ocr import ocr_available as available

    return available(languages)


def extract_text(
    content: bytes, media_type: str, filename: str, limits: ExtractionLimits
) -> Extraction:
    """The searchable text of one document; `media_type` as libmagic reported it."""
    _register_parsers()
    return extract(content, media_type, filename, limits, depth=0).extraction
