"""DOCX and ODT: their XML parts, streamed, with zip bombs and XML entities refused."""

from __future__ import annotations

import contextlib
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from io import BytesIO
from typing import IO
from xml.etree.ElementTree import Element
from xml.parsers.expat import errors as expat_errors

import defusedxml
import defusedxml.ElementTree as safe_xml

from eakte.search.extract.core import DOCX, FAILED, ODT, WHITESPACE, Job, Rejected, TextSink

# --- DOCX and ODT ------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Properties hold tab stops (w:tab) that are not text; fallbacks repeat text boxes.
_DOCX_SKIPPED = frozenset({_W + "pPr", _W + "rPr", _W + "sectPr", _MC_FALLBACK})
_DOCX_EXTRA_PART = re.compile(r"word/(header\d*|footer\d*|footnotes|endnotes)\.xml")

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODF_SKIPPED = frozenset({_TEXT + "tracked-changes"})
_MAX_ODF_SPACES = 100  # text:s c="1000000000" must not allocate a gigabyte
_EXPAT_NO_MEMORY = expat_errors.codes[expat_errors.XML_ERROR_NO_MEMORY]


def docx(content: bytes, job: Job) -> None:
    archive = _open_zip(content, DOCX)
    with archive, _damaged_zip_fails(DOCX):
        names = archive.namelist()
        extra_parts = sorted(name for name in names if _DOCX_EXTRA_PART.fullmatch(name))
        for name in ["word/document.xml", *extra_parts]:
            if job.sink.full:
                break
            with _zip_member(archive, name, job, DOCX) as stream:
                _xml_paragraphs(stream, frozenset({_W + "p"}), _docx_paragraph, job.sink)


def odt(content: bytes, job: Job) -> None:
    archive = _open_zip(content, ODT)
    with archive, _damaged_zip_fails(ODT), _zip_member(archive, "content.xml", job, ODT) as stream:
        paragraph_tags = frozenset({_TEXT + "p", _TEXT + "h"})
        _xml_paragraphs(stream, paragraph_tags, _odf_paragraph, job.sink)


def _open_zip(content: bytes, kind: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise Rejected(FAILED, f"invalid {kind}: not a zip archive") from None


@contextlib.contextmanager
def _damaged_zip_fails(kind: str) -> Iterator[None]:
    try:
        yield
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise Rejected(FAILED, f"invalid {kind}: damaged zip archive") from None
    except RecursionError:
        raise Rejected(FAILED, f"invalid {kind}: nested too deeply") from None
    except (NotImplementedError, RuntimeError):  # exotic compression, encrypted member
        raise Rejected(FAILED, f"unsupported {kind}: zip feature not supported") from None


def _zip_member(archive: zipfile.ZipFile, name: str, job: Job, kind: str) -> _BoundedStream:
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise Rejected(FAILED, f"invalid {kind}: {name} missing") from None
    what = f"{kind} part {name}"
    # The declared size is checked before a single byte is inflated (zip bombs).
    if not job.claim_unpacked(info.file_size):
        raise Rejected(FAILED, job.over_unpacked_limit(what))
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
            raise Rejected(FAILED, f"{self._what} is larger than declared")
        return data

    def __enter__(self) -> _BoundedStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stream.close()


def _xml_paragraphs(
    stream: _BoundedStream,
    paragraph_tags: frozenset[str],
    paragraph_text: Callable[[Element], str],
    sink: TextSink,
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
        raise Rejected(FAILED, "XML with a DTD or entities refused") from None
    except safe_xml.ParseError as error:
        if error.code == _EXPAT_NO_MEMORY:
            raise MemoryError from None  # not the document's fault: the runner's limit
        raise Rejected(FAILED, "invalid XML") from None


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
        parts.append(WHITESPACE.sub(" ", element.text))
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
            parts.append(WHITESPACE.sub(" ", child.tail))
