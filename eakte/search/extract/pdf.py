"""PDF: the text layer of every page (PDFium), OCR for pages that are only pictures."""

from __future__ import annotations

import threading

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from PIL import Image

from eakte.search.extract.core import EMPTY, FAILED, Job, Rejected
from eakte.search.extract.ocr import MAX_OCR_PIXELS, ocr, ocr_available

# --- PDF -------------------------------------------------------------------------------

# PDFium is not thread-safe; callers may run extract_text from several threads.
_PDFIUM_LOCK = threading.Lock()
# Fewer visible characters than this and a page counts as scanned (stamps, page numbers).
_MIN_TEXT_LAYER_CHARS = 16
_OCR_DPI = 300


def pdf(content: bytes, job: Job) -> None:
    with _PDFIUM_LOCK:
        document = _open_pdf(content)
    try:
        _pdf_pages(document, job)
    finally:
        with _PDFIUM_LOCK:
            document.close()


def _open_pdf(content: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(content)
    except pdfium.PdfiumError as error:
        if error.err_code == pdfium_raw.FPDF_ERR_SUCCESS:
            raise Rejected(EMPTY, "PDF without pages") from None
        if error.err_code == pdfium_raw.FPDF_ERR_PASSWORD:
            raise Rejected(FAILED, "encrypted PDF") from None
        if error.err_code == pdfium_raw.FPDF_ERR_SECURITY:
            raise Rejected(FAILED, "PDF with an unsupported security handler") from None
        raise Rejected(FAILED, "invalid PDF") from None


def _pdf_pages(document: pdfium.PdfDocument, job: Job) -> None:
    limits = job.limits
    can_ocr = bool(limits.ocr) and ocr_available(limits.ocr_languages)
    with _PDFIUM_LOCK:
        page_count = len(document)
    unread_scans = broken_pages = 0
    for index in range(page_count):
        if job.sink.full:
            break
        wants_ocr = can_ocr and job.ocr_pages < limits.ocr_max_pages
        try:
            with _PDFIUM_LOCK:
                text, scan = _pdf_page(document, index, render=wants_ocr)
        except pdfium.PdfiumError:
            broken_pages += 1  # one damaged page need not cost the others
            continue
        if scan is not None:
            recognised = ocr(scan, job)
            if _visible_length(recognised) > _visible_length(text):
                text = recognised
        elif _visible_length(text) < _MIN_TEXT_LAYER_CHARS:
            unread_scans += 1
        job.sink.add(text)
    if unread_scans:
        if not limits.ocr:
            reason = "OCR is off"
        elif not can_ocr:
            reason = "OCR unavailable"
        else:
            reason = f"OCR limited to {limits.ocr_max_pages} page(s)"
        job.notes.append(f"{unread_scans} page(s) without a text layer; {reason}")
    if broken_pages == page_count:
        raise Rejected(FAILED, "invalid PDF: no readable page")
    if broken_pages:
        job.notes.append(f"{broken_pages} damaged page(s) skipped")


def _visible_length(text: str) -> int:
    return len("".join(text.split()))


def _pdf_page(
    document: pdfium.PdfDocument, index: int, *, render: bool
) -> tuple[str, Image.Image | None]:
    """The page's text layer, and a rendering for OCR when `render` and the layer is thin."""
    page = document[index]
    try:
        text_page = page.get_textpage()
        try:
            text = text_page.get_text_range()
        finally:
            text_page.close()
        if not render or _visible_length(text) >= _MIN_TEXT_LAYER_CHARS:
            return text, None
        width, height = page.get_size()
        scale = _OCR_DPI / 72
        if width * height * scale * scale > MAX_OCR_PIXELS:  # a poster-sized page
            scale = (MAX_OCR_PIXELS / max(width * height, 1.0)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        # A copy: the PIL image otherwise shares the bitmap's buffer, freed with the page.
        return text, bitmap.to_pil().copy()
    finally:
        page.close()
