"""Plain text (charset detection) and HTML (visible text only)."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser

import charset_normalizer

from eakte.search.extract.core import FAILED, WHITESPACE, Job, Rejected, TextSink

# --- plain text -------------------------------------------------------------------------

_WIDE_ENCODINGS = ["utf_16", "utf_16_le", "utf_16_be", "utf_32", "utf_32_le", "utf_32_be"]


def plain_text(content: bytes, job: Job) -> None:
    job.sink.add(decode(head(content, job.limits.max_chars)))


def head(content: bytes, max_chars: int) -> bytes:
    # No encoding needs more than 4 bytes a character: the rest would be cut anyway.
    return content[: (max_chars + 1) * 4]


def decode_declared(data: bytes, charset: str | None) -> str:
    """The declared charset if the bytes fit it, else detection: labels are often wrong."""
    if charset:
        try:
            # Not final: `_head` may have cut a multi-byte character in two.
            return codecs.getincrementaldecoder(charset)().decode(data, final=False)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data)


def decode(data: bytes) -> str:
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
        raise Rejected(FAILED, "unknown text encoding")
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


def html(content: bytes, job: Job) -> None:
    markup = head(content, job.limits.max_chars * _HTML_BYTES_PER_CHAR)
    html_text(_decode_html(markup), job.sink)
    if len(markup) < len(content):
        job.sink.truncated = True


def _decode_html(data: bytes) -> str:
    declared = _DECLARED_CHARSET.search(data[:4096])
    if not declared or data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16)):
        return decode(data)
    try:
        encoding = codecs.lookup(declared.group(1).decode("ascii")).name
    except LookupError:
        return decode(data)
    # HTML reads "latin-1" and "ascii" as windows-1252; a declared UTF-16 is always wrong.
    if encoding in ("iso8859-1", "ascii"):
        encoding = "cp1252"
    if encoding.startswith(("utf-16", "utf-32")):
        return decode(data)
    return decode_declared(data, encoding)


def html_text(markup: str, sink: TextSink) -> None:
    parser = _HtmlText(sink)
    for start in range(0, len(markup), _HTML_CHUNK):
        parser.feed(markup[start : start + _HTML_CHUNK])
        if sink.full:
            return
    parser.close()
    parser.flush_line()


class _HtmlText(HTMLParser):
    """Visible text and the title, one line per block element."""

    def __init__(self, sink: TextSink) -> None:
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
        self._line.append(data if self._in_pre else WHITESPACE.sub(" ", data))

    def flush_line(self) -> None:
        line = "".join(self._line)
        self._line.clear()
        if not self._in_pre:
            line = _SPACED_TAB.sub("\t", _SPACES.sub(" ", line))
        self._sink.add(line.strip())
