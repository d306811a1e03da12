"""Text extraction for full-text search: bytes of one document in, plain text out.

Pure apart from running tesseract for OCR. Bad documents never raise: they come
back as `Extraction(status="failed")` with a short English `detail` that never
quotes document content, so it is safe to store, log and show. Hostile input is
bounded here where that is cheap (zip members, XML entities, character budget);
time and memory are bounded by `extraction_runner.ExtractionRunner`, which is how
the indexing worker should call this.
"""

from __future__ import annotations

import codecs
import contextlib
import email
import email.errors
import functools
import logging
import re
import shutil
import threading
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from html.parser import HTMLParser
from io import BytesIO
from typing import IO, cast
from xml.etree.ElementTree import Element
from xml.parsers.expat import errors as expat_errors

import charset_normalizer
import defusedxml
import defusedxml.ElementTree as safe_xml
import magic
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytesseract
from PIL import Image, ImageSequence, UnidentifiedImageError

log = logging.getLogger(__name__)

EXTRACTED = "extracted"
EMPTY = "empty"
UNSUPPORTED = "unsupported"
FAILED = "failed"


@dataclass(frozen=True)
class ExtractionLimits:
    # Text beyond this is cut; the status stays "extracted" and `detail` says so.
    max_chars: int = 2_000_000
    # Bound for decompressed zip members and decoded e-mail parts (zip bombs), per
    # document and per attachment: they are unpacked one after the other.
    max_unpacked_bytes: int = 200 * 1024 * 1024
    # OCR (tesseract) for scanned PDF pages and images; off, they stay unread.
    ocr: bool = False
    ocr_languages: str = "deu"  # tesseract's `-l`, e.g. "deu+eng"
    ocr_max_pages: int = 50
    max_attachment_depth: int = 3  # attachments of e-mails attached to e-mails


@dataclass(frozen=True)
class Extraction:
    status: str  # EXTRACTED | EMPTY | UNSUPPORTED | FAILED
    text: str = ""  # NFC, no control characters but newline and tab
    detail: str | None = None  # why, in a few English words; never document content
    ocr_used: bool = False


def extract_text(
    content: bytes, media_type: str, filename: str, limits: ExtractionLimits
) -> Extraction:
    """The searchable text of one document; `media_type` as libmagic reported it."""
    return _extract(content, media_type, filename, limits, depth=0).extraction


@functools.lru_cache(maxsize=8)
def ocr_available(languages: str = "deu") -> bool:
    """Whether tesseract is on PATH with every `+`-joined language installed."""
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        return False
    try:
        installed = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractError, OSError):
        return False
    return all(language in installed for language in languages.split("+"))


# --- formats -------------------------------------------------------------------------

PDF, DOCX, ODT, TEXT, HTML, EMAIL, IMAGE = "PDF", "DOCX", "ODT", "text", "HTML", "e-mail", "image"

_FORMAT_BY_MEDIA_TYPE = {
    "application/pdf": PDF,
    "application/x-pdf": PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": DOCX,
    "application/vnd.ms-word.document.macroenabled.12": DOCX,
    "application/vnd.oasis.opendocument.text": ODT,
    "application/vnd.oasis.opendocument.text-template": ODT,
    "text/html": HTML,
    "application/xhtml+xml": HTML,
    "message/rfc822": EMAIL,
    "image/png": IMAGE,
    "image/jpeg": IMAGE,
    "image/tiff": IMAGE,
    "image/bmp": IMAGE,
    "image/x-ms-bmp": IMAGE,
    "image/gif": IMAGE,
}
_FORMAT_BY_EXTENSION = {
    "pdf": PDF,
    "docx": DOCX,
    "odt": ODT,
    "txt": TEXT,
    "csv": TEXT,
    "md": TEXT,
    "html": HTML,
    "htm": HTML,
    "eml": EMAIL,
}
# What libmagic says when it cannot tell: the file name decides instead.
_GENERIC_MEDIA_TYPES = frozenset(
    {
        "",
        "application/octet-stream",
        "application/zip",
        "application/x-zip-compressed",
        "application/x-empty",
        "inode/x-empty",
        "text/plain",
    }
)
# Text by libmagic's judgement, but markup that would only pollute the index.
_NOT_PLAIN_TEXT = frozenset({"text/rtf"})


def _format_of(media_type: str, filename: str) -> str | None:
    if media_type in _FORMAT_BY_MEDIA_TYPE:
        return _FORMAT_BY_MEDIA_TYPE[media_type]
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if media_type in _GENERIC_MEDIA_TYPES and extension in _FORMAT_BY_EXTENSION:
        return _FORMAT_BY_EXTENSION[extension]
    if media_type.startswith("text/") and media_type not in _NOT_PLAIN_TEXT:
        return TEXT
    return None


def _base_media_type(media_type: str) -> str:
    base = media_type.split(";", 1)[0].strip().lower()
    # Only a well-formed type goes into `detail`: it is shown to administrators.
    return base if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", base) else ""


# --- one extraction run ---------------------------------------------------------------


class _Rejected(Exception):
    """A document that ends its run early with a verdict (failed, unsupported, empty)."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _TextSink:
    """Collects text blocks up to a character budget, so huge documents stop early."""

    def __init__(self, max_chars: int) -> None:
        self._blocks: list[str] = []
        self._remaining = max_chars
        self.truncated = False

    @property
    def remaining(self) -> int:
        return max(self._remaining, 0)

    @property
    def full(self) -> bool:
        return self.truncated

    def add(self, block: str) -> None:
        if self.truncated or not block:
            return
        if len(block) > self._remaining:
            block = block[: self.remaining]
            self.truncated = True
        self._blocks.append(block)
        self._remaining -= len(block) + 1  # the newline that joins blocks

    def text(self) -> str:
        return "\n".join(self._blocks)


@dataclass
class _Job:
    limits: ExtractionLimits
    media_type: str
    depth: int
    sink: _TextSink
    notes: list[str] = field(default_factory=list)
    ocr_pages: int = 0
    unpacked_bytes: int = 0

    def claim_unpacked(self, size: int) -> bool:
        """Counts `size` unpacked bytes against the limit; False, and nothing counted, if over."""
        if self.unpacked_bytes + size > self.limits.max_unpacked_bytes:
            return False
        self.unpacked_bytes += size
        return True

    def over_unpacked_limit(self, what: str) -> str:
        return f"{what} exceeds {self.limits.max_unpacked_bytes} bytes unpacked"


@dataclass(frozen=True)
class _Result:
    """An extraction plus what an enclosing e-mail needs to merge it into its own."""

    extraction: Extraction
    truncated: bool = False
    ocr_pages: int = 0
    notes: tuple[str, ...] = ()


def _extract(
    content: bytes, media_type: str, filename: str, limits: ExtractionLimits, depth: int
) -> _Result:
    base_type = _base_media_type(media_type)
    if not content:
        return _Result(Extraction(EMPTY, detail="empty file"))
    kind = _format_of(base_type, filename)
    if kind is None:
        detail = f"unsupported media type {base_type or 'unknown'}"
        return _Result(Extraction(UNSUPPORTED, detail=detail))
    parse = _PARSERS[kind]
    return _run(lambda job: parse(content, job), kind, base_type, limits, depth)


def _run(
    parse: Callable[[_Job], None],
    kind: str,
    media_type: str,
    limits: ExtractionLimits,
    depth: int,
) -> _Result:
    job = _Job(limits, media_type, depth, _TextSink(limits.max_chars))
    try:
        parse(job)
    except _Rejected as verdict:
        extraction = Extraction(verdict.status, detail=verdict.detail, ocr_used=job.ocr_pages > 0)
        return _Result(extraction, ocr_pages=job.ocr_pages)
    except MemoryError:
        raise  # the runner reports it as "out of memory"
    except Exception as error:
        # Parsers meet arbitrary bytes; a crash in one must cost one document, not the worker.
        # The message may quote the document, so only the type goes into the warning.
        log.warning("%s extraction failed with %s", kind, type(error).__name__)
        log.debug("%s extraction failed", kind, exc_info=True)
        return _Result(Extraction(FAILED, detail=f"invalid {kind}"))
    return _finish(job)


def _finish(job: _Job) -> _Result:
    max_chars = job.limits.max_chars
    text = _normalise(job.sink.text())
    truncated = job.sink.truncated or len(text) > max_chars
    text = text[:max_chars]
    notes = [f"truncated at {max_chars} characters"] if truncated else []
    if job.ocr_pages:
        notes.append(f"OCR on {job.ocr_pages} page{'s' if job.ocr_pages != 1 else ''}")
    notes.extend(job.notes)
    detail = _join_notes(notes)
    ocr_used = job.ocr_pages > 0
    if text:
        extraction = Extraction(EXTRACTED, text, detail, ocr_used)
    else:
        extraction = Extraction(EMPTY, detail=detail or "no text found", ocr_used=ocr_used)
    return _Result(extraction, truncated, job.ocr_pages, tuple(job.notes))


_MAX_DETAIL_CHARS = 300


def _join_notes(notes: list[str]) -> str | None:
    unique = list(dict.fromkeys(notes))
    detail = "; ".join(unique)
    if len(detail) > _MAX_DETAIL_CHARS:
        detail = detail[: _MAX_DETAIL_CHARS - 1] + "…"
    return detail or None


# Control characters break indexes, snippets and PostgreSQL text columns (NUL);
# lone surrogates cannot even be encoded as UTF-8.
_UNWANTED_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def _normalise(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", text)
    text = _UNWANTED_CHARS.sub("", text)
    text = _BLANK_LINES.sub("\n\n", text)
    return unicodedata.normalize("NFC", text).strip()


# --- PDF -------------------------------------------------------------------------------

# PDFium is not thread-safe; callers may run extract_text from several threads.
_PDFIUM_LOCK = threading.Lock()
# Fewer visible characters than this and a page counts as scanned (stamps, page numbers).
_MIN_TEXT_LAYER_CHARS = 16
_OCR_DPI = 300
# A poster-sized page at 300 dpi would need gigabytes; OCR does not need more than this.
_MAX_OCR_PIXELS = 40_000_000


def _pdf(content: bytes, job: _Job) -> None:
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
            raise _Rejected(EMPTY, "PDF without pages") from None
        if error.err_code == pdfium_raw.FPDF_ERR_PASSWORD:
            raise _Rejected(FAILED, "encrypted PDF") from None
        if error.err_code == pdfium_raw.FPDF_ERR_SECURITY:
            raise _Rejected(FAILED, "PDF with an unsupported security handler") from None
        raise _Rejected(FAILED, "invalid PDF") from None


def _pdf_pages(document: pdfium.PdfDocument, job: _Job) -> None:
    limits = job.limits
    can_ocr = limits.ocr and ocr_available(limits.ocr_languages)
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
            recognised = _ocr(scan, job)
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
        raise _Rejected(FAILED, "invalid PDF: no readable page")
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
        if width * height * scale * scale > _MAX_OCR_PIXELS:
            scale = (_MAX_OCR_PIXELS / max(width * height, 1.0)) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        # A copy: the PIL image otherwise shares the bitmap's buffer, freed with the page.
        return text, bitmap.to_pil().copy()
    finally:
        page.close()


# --- OCR -------------------------------------------------------------------------------


def _ocr(image: Image.Image, job: _Job) -> str:
    """Tesseract's reading of one page; a page it cannot read costs a note, not the file."""
    job.ocr_pages += 1
    try:
        return pytesseract.image_to_string(image, lang=job.limits.ocr_languages)
    except pytesseract.TesseractError:
        job.notes.append("OCR failed on some pages")
        return ""


def _ocr_ready(image: Image.Image) -> Image.Image:
    """Grey on white: transparent areas would otherwise turn black and hide the text."""
    try:
        image.load()  # decoding happens here, so a corrupt image fails here
    except (OSError, EOFError, ValueError):
        raise _Rejected(FAILED, "invalid image") from None
    if image.mode in ("1", "L"):
        return image
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("L")
    return image.convert("L")


def _image(content: bytes, job: _Job) -> None:
    limits = job.limits
    what = job.media_type or "image"
    if not limits.ocr:
        raise _Rejected(UNSUPPORTED, f"{what} needs OCR, which is off")
    if not ocr_available(limits.ocr_languages):
        raise _Rejected(UNSUPPORTED, f"{what} needs OCR, which is unavailable here")
    try:
        image = Image.open(BytesIO(content))
    except Image.DecompressionBombError:
        raise _Rejected(FAILED, "image too large") from None
    except (UnidentifiedImageError, OSError):
        raise _Rejected(FAILED, "invalid image") from None
    with image:
        for number, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if number > limits.ocr_max_pages:
                job.notes.append(f"OCR limited to {limits.ocr_max_pages} page(s)")
                break
            job.sink.add(_ocr(_ocr_ready(frame), job))
            if job.sink.full:
                break


# --- DOCX and ODT ------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Properties hold tab stops (w:tab) that are not text; fallbacks repeat text boxes.
_DOCX_SKIPPED = frozenset({_W + "pPr", _W + "rPr", _W + "sectPr", _MC_FALLBACK})
_DOCX_EXTRA_PART = re.compile(r"word/(header\d*|footer\d*|footnotes|endnotes)\.xml")

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODF_SKIPPED = frozenset({_TEXT + "tracked-changes"})
_MAX_ODF_SPACES = 100  # text:s c="1000000000" must not allocate a gigabyte
_WHITESPACE = re.compile(r"\s+")
_EXPAT_NO_MEMORY = expat_errors.codes[expat_errors.XML_ERROR_NO_MEMORY]


def _docx(content: bytes, job: _Job) -> None:
    archive = _open_zip(content, DOCX)
    with archive, _damaged_zip_fails(DOCX):
        names = archive.namelist()
        extra_parts = sorted(name for name in names if _DOCX_EXTRA_PART.fullmatch(name))
        for name in ["word/document.xml", *extra_parts]:
            if job.sink.full:
                break
            with _zip_member(archive, name, job, DOCX) as stream:
                _xml_paragraphs(stream, frozenset({_W + "p"}), _docx_paragraph, job.sink)


def _odt(content: bytes, job: _Job) -> None:
    archive = _open_zip(content, ODT)
    with archive, _damaged_zip_fails(ODT), _zip_member(archive, "content.xml", job, ODT) as stream:
        paragraph_tags = frozenset({_TEXT + "p", _TEXT + "h"})
        _xml_paragraphs(stream, paragraph_tags, _odf_paragraph, job.sink)


def _open_zip(content: bytes, kind: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _Rejected(FAILED, f"invalid {kind}: not a zip archive") from None


@contextlib.contextmanager
def _damaged_zip_fails(kind: str) -> Iterator[None]:
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise _Rejected(FAILED, f"invalid {kind}: damaged zip archive") from None
    except RecursionError:
        raise _Rejected(FAILED, f"invalid {kind}: nested too deeply") from None
    except (NotImplementedError, RuntimeError):  # exotic compression, encrypted member
        raise _Rejected(FAILED, f"unsupported {kind}: zip feature not supported") from None


def _zip_member(archive: zipfile.ZipFile, name: str, job: _Job, kind: str) -> _BoundedStream:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise _Rejected(FAILED, f"invalid {kind}: {name} missing") from None
    what = f"{kind} part {name}"
    # The declared size is checked before a single byte is inflated (zip bombs).
    if not job.claim_unpacked(info.file_size):
        raise _Rejected(FAILED, job.over_unpacked_limit(what))
    return _BoundedStream(archive.open(info), info.file_size, what)


class _BoundedStream:
    """Reads a zip member but refuses more bytes than its header declared.

    zipfile stops at the declared size itself; the zip-bomb check above must not
    depend on that detail of the standard library.
    """

    def __init__(self, stream: IO[bytes], limit: int, what: str) -> None:
        self._stream = stream
        self._left = limit
        self._what = what

    def read(self, size: int = -1) -> bytes:
        wanted = self._left + 1 if size < 0 else min(size, self._left + 1)
        data = self._stream.read(wanted)
        self._left -= len(data)
        if self._left < 0:
            raise _Rejected(FAILED, f"{self._what} is larger than declared")
        return data

    def __enter__(self) -> _BoundedStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stream.close()


def _xml_paragraphs(
    stream: _BoundedStream,
    paragraph_tags: frozenset[str],
    paragraph_text: Callable[[Element], str],
    sink: _TextSink,
) -> None:
    """Streams an XML part, one outermost paragraph at a time, dropping what was read."""
    open_elements: list[Element] = []
    paragraph_depth = 0
    try:
        # No DTD in DOCX or ODF: refusing one stops entity expansion and external fetches.
        events = safe_xml.iterparse(stream, events=("start", "end"), forbid_dtd=True)
        for event, element in events:
            if event == "start":
                open_elements.append(element)
                paragraph_depth += element.tag in paragraph_tags
                continue
            open_elements.pop()
            if element.tag in paragraph_tags:
                paragraph_depth -= 1
                if paragraph_depth == 0:
                    sink.add(paragraph_text(element).strip())
            if paragraph_depth == 0 and open_elements:
                open_elements[-1].remove(element)  # keeps memory flat on long documents
            if sink.full:
                return
    except defusedxml.DefusedXmlException:
        raise _Rejected(FAILED, "XML with a DTD or entities refused") from None
    except safe_xml.ParseError as error:
        if error.code == _EXPAT_NO_MEMORY:
            raise MemoryError from None  # not the document's fault: the runner's limit
        raise _Rejected(FAILED, "invalid XML") from None


def _docx_paragraph(paragraph: Element) -> str:
    parts: list[str] = []
    _docx_runs(paragraph, parts)
    return "".join(parts)


def _docx_runs(element: Element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag == _W + "t":
            parts.append(child.text or "")
        elif tag == _W + "tab":
            parts.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        elif tag == _W + "p":  # a paragraph in a text box
            parts.append("\n")
            _docx_runs(child, parts)
            parts.append("\n")
        elif tag not in _DOCX_SKIPPED:
            _docx_runs(child, parts)


def _odf_paragraph(paragraph: Element) -> str:
    parts: list[str] = []
    _odf_inline(paragraph, parts)
    return "".join(parts)


def _odf_inline(element: Element, parts: list[str]) -> None:
    # ODF collapses whitespace like HTML; text:s, text:tab and text:line-break add it back.
    if element.text:
        parts.append(_WHITESPACE.sub(" ", element.text))
    for child in element:
        tag = child.tag
        if tag == _TEXT + "s":
            count = child.get(_TEXT + "c", "1")
            parts.append(" " * min(int(count) if count.isdigit() else 1, _MAX_ODF_SPACES))
        elif tag == _TEXT + "tab":
            parts.append("\t")
        elif tag == _TEXT + "line-break":
            parts.append("\n")
        elif tag in (_TEXT + "p", _TEXT + "h"):  # a footnote body or a text frame
            parts.append("\n")
            _odf_inline(child, parts)
            parts.append("\n")
        elif tag not in _ODF_SKIPPED:
            _odf_inline(child, parts)
        if child.tail:
            parts.append(_WHITESPACE.sub(" ", child.tail))


# --- plain text -------------------------------------------------------------------------

_WIDE_ENCODINGS = ["utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"]


def _text(content: bytes, job: _Job) -> None:
    job.sink.add(_decode(_head(content, job.limits.max_chars)))


def _head(content: bytes, max_chars: int) -> bytes:
    # No encoding needs more than 4 bytes a character: the rest would be cut anyway.
    return content[: (max_chars + 1) * 4]


def _decode_declared(data: bytes, charset: str | None) -> str:
    """The declared charset if the bytes fit it, else detection: labels are often wrong."""
    if charset:
        try:
            # Not final: `_head` may have cut a multi-byte character in two.
            return codecs.getincrementaldecoder(charset)().decode(data, final=False)
        except (LookupError, UnicodeDecodeError):
            pass
    return _decode(data)


def _decode(data: bytes) -> str:
    """UTF-8 when it is valid, else the detected legacy encoding, Windows-1252 first."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    try:
        # Not final: `_head` may have cut a multi-byte character in two.
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        pass
    # Without a BOM or NUL bytes, UTF-16/32 is a misdetection of short Latin text.
    no_nul = b"\x00" not in data and not data.startswith((codecs.BOM_UTF16, codecs.BOM_UTF32))
    matches = charset_normalizer.from_bytes(data, cp_exclusion=_WIDE_ENCODINGS if no_nul else None)
    best = matches.best()
    if best is None:
        raise _Rejected(FAILED, "unknown text encoding")
    # Equally plausible single-byte guesses (cp1250, latin-1, ...): German text means cp1252.
    for match in matches:
        if match.chaos <= best.chaos + 0.01 and "cp1252" in match.could_be_from_charset:
            return data.decode("cp1252", errors="replace")
    return str(best)


# --- HTML ---------------------------------------------------------------------------------

_HTML_SKIPPED = frozenset({"script", "style", "template"})
_HTML_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "caption", "dd", "details"),
        *("div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "header"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "main", "nav", "ol", "p", "pre"),
        *("section", "summary", "table", "tr", "ul"),
    }
)
_HTML_CELLS = frozenset({"td", "th"})
_DECLARED_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HTML_CHUNK = 64 * 1024
_SPACES = re.compile(" {2,}")
_SPACED_TAB = re.compile(" *\t *")


# Markup outweighs text: this much HTML is read for `max_chars` of text, no more.
_HTML_BYTES_PER_CHAR = 4


def _html(content: bytes, job: _Job) -> None:
    head = _head(content, job.limits.max_chars * _HTML_BYTES_PER_CHAR)
    _html_text(_decode_html(head), job.sink)
    if len(head) < len(content):
        job.sink.truncated = True


def _decode_html(data: bytes) -> str:
    declared = _DECLARED_CHARSET.search(data[:4096])
    if not declared or data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16)):
        return _decode(data)
    try:
        encoding = codecs.lookup(declared.group(1).decode("ascii")).name
    except LookupError:
        return _decode(data)
    # HTML reads "latin-1" and "ascii" as windows-1252; a declared UTF-16 is always wrong.
    if encoding in ("iso8859-1", "ascii"):
        encoding = "cp1252"
    if encoding.startswith(("utf-16", "utf-32")):
        return _decode(data)
    return _decode_declared(data, encoding)


def _html_text(markup: str, sink: _TextSink) -> None:
    parser = _HtmlText(sink)
    for start in range(0, len(markup), _HTML_CHUNK):
        parser.feed(markup[start : start + _HTML_CHUNK])
        if sink.full:
            return
    parser.close()
    parser.flush_line()


class _HtmlText(HTMLParser):
    """Visible text and the title, one line per block element."""

    def __init__(self, sink: _TextSink) -> None:
        super().__init__(convert_charrefs=True)
        self._sink = sink
        self._line: list[str] = []
        self._skipping = 0
        self._in_head = False
        self._in_title = False
        self._in_pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIPPED:
            self._skipping += 1
        elif tag == "head":
            self._in_head = True
        elif tag == "title":
            self._in_title = True
        elif tag == "pre":
            self._in_pre += 1
        if tag == "body" or tag in _HTML_BLOCKS:
            self._in_head = False  # many pages never close <head>
            self.flush_line()
        elif tag in _HTML_CELLS:
            self._line.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIPPED:
            self._skipping = max(self._skipping - 1, 0)
        elif tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
            self.flush_line()
        elif tag == "pre":
            self._in_pre = max(self._in_pre - 1, 0)
        if tag in _HTML_BLOCKS:
            self.flush_line()

    def handle_data(self, data: str) -> None:
        if self._skipping or (self._in_head and not self._in_title):
            return
        self._line.append(data if self._in_pre else _WHITESPACE.sub(" ", data))

    def flush_line(self) -> None:
        line = "".join(self._line)
        self._line.clear()
        if not self._in_pre:
            line = _SPACED_TAB.sub("\t", _SPACES.sub(" ", line))
        self._sink.add(line.strip())


# --- e-mail -------------------------------------------------------------------------------

_EMAIL_HEADERS = ("Subject", "From", "To", "Cc", "Date")
_HEADER_ERRORS = (email.errors.MessageError, ValueError, TypeError, IndexError, AttributeError)
_MAGIC_SNIFF_BYTES = 1024 * 1024


def _email(content: bytes, job: _Job) -> None:
    # policy.default parses into EmailMessage (get_body, iter_parts, decoded headers).
    message = cast(EmailMessage, email.message_from_bytes(content, policy=policy.default))
    _email_message(message, job)


def _email_message(message: EmailMessage, job: _Job) -> None:
    for name in _EMAIL_HEADERS:
        try:
            value = message.get(name)
        except _HEADER_ERRORS:
            continue  # a malformed header costs that line only
        if value:
            job.sink.add(f"{name}: {_WHITESPACE.sub(' ', str(value)).strip()}")
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        _email_body(body, job)
    for number, part in enumerate(_attachments(message, body), start=1):
        if job.sink.full:
            return
        _email_attachment(part, number, job)


def _attachments(
    part: EmailMessage, body: EmailMessage | None, container: str = "mixed"
) -> Iterator[EmailMessage]:
    """Leaf parts worth reading besides the body.

    Alternatives to the body repeat it; the parts of an HTML body (multipart/related)
    are its logos and pictures, unless they were sent as attachments.
    """
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        if container != "alternative":
            container = part.get_content_subtype()
        for child in part.iter_parts():
            yield from _attachments(child, body, container)
    elif part is body or container == "alternative":
        return
    elif container != "related" or part.is_attachment():
        yield part


def _email_body(body: EmailMessage, job: _Job) -> None:
    data = body.get_payload(decode=True) or b""
    if not job.claim_unpacked(len(data)):
        job.notes.append(f"body skipped: {job.over_unpacked_limit('e-mail')}")
        return
    try:
        text = _decode_declared(_head(data, job.limits.max_chars), body.get_content_charset())
    except _Rejected as verdict:
        job.notes.append(f"body skipped: {verdict.detail}")  # headers and attachments still count
        return
    if body.get_content_subtype() == "html":
        _html_text(text, job.sink)
    else:
        job.sink.add(text)


def _email_attachment(part: EmailMessage, number: int, job: _Job) -> None:
    limits = job.limits
    if job.depth >= limits.max_attachment_depth:
        job.notes.append(f"attachments nested deeper than {limits.max_attachment_depth} skipped")
        return
    if job.sink.remaining == 0:
        job.sink.truncated = True  # this attachment's text no longer fits
        return
    # What is left of the e-mail's text and OCR budgets: many attachments cannot multiply them.
    budget = replace(
        limits,
        max_chars=job.sink.remaining,
        ocr_max_pages=max(limits.ocr_max_pages - job.ocr_pages, 0),
    )
    try:
        filename = part.get_filename() or ""
    except _HEADER_ERRORS:
        filename = ""
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else None
        if not isinstance(inner, EmailMessage):
            return
        nested: Callable[[_Job], None] = functools.partial(_email_message, inner)
        result = _run(nested, EMAIL, "message/rfc822", budget, job.depth + 1)
    else:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            return
        # Decoding base64 cannot outgrow the e-mail, so counting afterwards is safe.
        if not job.claim_unpacked(len(data)):
            job.notes.append(f"attachment {number} skipped: {job.over_unpacked_limit('e-mail')}")
            return
        media_type = _sniff_media_type(data, part.get_content_type(), filename)
        result = _extract(data, media_type, filename, budget, job.depth + 1)
    extraction = result.extraction
    job.ocr_pages += result.ocr_pages
    if extraction.status == EXTRACTED:
        job.sink.add(filename)
        job.sink.add(extraction.text)
        job.sink.truncated = job.sink.truncated or result.truncated
        job.notes.extend(f"attachment {number}: {note}" for note in result.notes)
    else:
        job.notes.append(f"attachment {number} {extraction.status}: {extraction.detail}")


def _sniff_media_type(data: bytes, declared: str, filename: str) -> str:
    """libmagic's verdict, or the declared type when libmagic can only say "bytes"."""
    try:
        sniffed = _base_media_type(magic.from_buffer(data[:_MAGIC_SNIFF_BYTES], mime=True))
    except magic.MagicException:
        sniffed = ""
    declared = _base_media_type(declared)
    vague = sniffed in _GENERIC_MEDIA_TYPES and _format_of(sniffed, filename) in (None, TEXT)
    if vague and declared in _FORMAT_BY_MEDIA_TYPE:
        return declared
    return sniffed or declared


_PARSERS: dict[str, Callable[[bytes, _Job], None]] = {
    PDF: _pdf,
    DOCX: _docx,
    ODT: _odt,
    TEXT: _text,
    HTML: _html,
    EMAIL: _email,
    IMAGE: _image,
}
