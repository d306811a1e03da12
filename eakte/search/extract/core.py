"""What every format's extraction shares: limits, the result, one run, the text budget.

The package registers each format module's parser (`pdf`, `office`, `text`,
`mail`, `ocr`) in `PARSERS`; `extract` picks one by media type (or file name)
and runs it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

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
    # OCR (tesseract) for scanned PDF pages and images; off, they stay unread. None:
    # when tesseract is installed, decided by the extraction process when it starts
    # (so app servers never load the OCR stack just to answer "is it installed?").
    ocr: bool | None = False
    ocr_languages: str = "deu"  # tesseract's `-l`, e.g. "deu+eng"
    ocr_max_pages: int = 50
    max_attachment_depth: int = 3  # attachments of e-mails attached to e-mails


@dataclass(frozen=True)
class Extraction:
    status: str  # EXTRACTED | EMPTY | UNSUPPORTED | FAILED
    text: str = ""  # NFC, no control characters but newline and tab
    detail: str | None = None  # why, in a few English words; never document content
    ocr_used: bool = False


class ExtractionInterruptedError(Exception):
    """The extraction process was stopped from outside (SIGTERM, Ctrl-C) before it
    answered: not the document's fault, so its work is to be handed back and retried."""


# --- formats -------------------------------------------------------------------------

PDF, DOCX, ODT, TEXT, HTML, EMAIL, IMAGE = "PDF", "DOCX", "ODT", "text", "HTML", "e-mail", "image"

FORMAT_BY_MEDIA_TYPE = {
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
GENERIC_MEDIA_TYPES = frozenset(
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


def format_of(media_type: str, filename: str) -> str | None:
    if media_type in FORMAT_BY_MEDIA_TYPE:
        return FORMAT_BY_MEDIA_TYPE[media_type]
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if media_type in GENERIC_MEDIA_TYPES and extension in _FORMAT_BY_EXTENSION:
        return _FORMAT_BY_EXTENSION[extension]
    if media_type.startswith("text/") and media_type not in _NOT_PLAIN_TEXT:
        return TEXT
    return None


def base_media_type(media_type: str) -> str:
    base = media_type.split(";", 1)[0].strip().lower()
    # Only a well-formed type goes into `detail`: it is shown to administrators.
    return base if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", base) else ""


# --- one extraction run ---------------------------------------------------------------


class Rejected(Exception):
    """A document that ends its run early with a verdict (failed, unsupported, empty)."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class TextSink:
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
class Job:
    limits: ExtractionLimits
    media_type: str
    depth: int
    sink: TextSink
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
class Result:
    """An extraction plus what an enclosing e-mail needs to merge it into its own."""

    extraction: Extraction
    truncated: bool = False
    ocr_pages: int = 0
    notes: tuple[str, ...] = ()


def extract(
    content: bytes, media_type: str, filename: str, limits: ExtractionLimits, depth: int
) -> Result:
    base_type = base_media_type(media_type)
    if not content:
        return Result(Extraction(EMPTY, detail="empty file"))
    kind = format_of(base_type, filename)
    if kind is None:
        detail = f"unsupported media type {base_type or 'unknown'}"
        return Result(Extraction(UNSUPPORTED, detail=detail))
    parse = PARSERS[kind]
    return run(lambda job: parse(content, job), kind, base_type, limits, depth)


def run(
    parse: Callable[[Job], None],
    kind: str,
    media_type: str,
    limits: ExtractionLimits,
    depth: int,
) -> Result:
    job = Job(limits, media_type, depth, TextSink(limits.max_chars))
    try:
        parse(job)
    except Rejected as verdict:
        extraction = Extraction(verdict.status, detail=verdict.detail, ocr_used=job.ocr_pages > 0)
        return Result(extraction, ocr_pages=job.ocr_pages)
    except MemoryError:
        raise  # the runner reports it as "out of memory"
    except Exception as error:
        # Parsers meet arbitrary bytes; a crash in one must cost one document, not the worker.
        # The message may quote the document, so only the type goes into the warning.
        log.warning("%s extraction failed with %s", kind, type(error).__name__)
        log.debug("%s extraction failed", kind, exc_info=True)
        return Result(Extraction(FAILED, detail=f"invalid {kind}"))
    return _finish(job)


def _finish(job: Job) -> Result:
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
    return Result(extraction, truncated, job.ocr_pages, tuple(job.notes))


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


WHITESPACE = re.compile(r"\s+")


PARSERS: dict[str, Callable[[bytes, Job], None]] = {}
