"""Office documents shown as PDF: read like a download (authorised, audited), then converted.

Only when bootstrap found a converter (`ports.pdf_converter`); the PDF is built for
this one answer and never stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from eakte.models import DocumentVersion
from eakte.preview import CONVERTIBLE
from eakte.services import downloads
from eakte.services.context import Context

# Larger files are offered as a download only: converting them would hold a worker too long.
MAX_CONVERTED_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class PdfPreview:
    version: DocumentVersion
    pdf: bytes | None  # None: the converter could not read the file


def converts_to_pdf(ctx: Context, version: DocumentVersion) -> bool:
    """Whether the Dokument page can show this version as PDF."""
    return (
        ctx.ports.pdf_converter is not None
        and version.media_type in CONVERTIBLE
        and version.size <= MAX_CONVERTED_BYTES
    )


def preview_as_pdf(
    ctx: Context, document_id: uuid.UUID, *, number: int | None
) -> PdfPreview | None:
    """The version as PDF; None when it cannot be converted here (type, size, no converter)."""
    download = downloads.open_content(ctx, document_id, number=number)
    version = download.version
    converter = ctx.ports.pdf_converter
    if converter is None or not converts_to_pdf(ctx, version):
        return None
    content = b"".join(download.chunks)
    return PdfPreview(version, converter.to_pdf(content, CONVERTIBLE[version.media_type]))
