"""E-mail (.eml): headers, the body and the text of every attachment, recursively."""

from __future__ import annotations

import email
import email.errors
import functools
from collections.abc import Callable, Iterator
from dataclasses import replace
from email import policy
from email.message import EmailMessage, MIMEPart

import magic

from eakte.search.extract.core import (
    EMAIL,
    EXTRACTED,
    FORMAT_BY_MEDIA_TYPE,
    GENERIC_MEDIA_TYPES,
    TEXT,
    WHITESPACE,
    Job,
    Rejected,
    base_media_type,
    extract,
    format_of,
    run,
)
from eakte.search.extract.text import decode_declared, head, html_text

# --- e-mail -------------------------------------------------------------------------------

_EMAIL_HEADERS = ("Subject", "From", "To", "Cc", "Date")
_HEADER_ERRORS = (email.errors.MessageError, ValueError, TypeError, IndexError, AttributeError)
_MAGIC_SNIFF_BYTES = 1024 * 1024


def email_message(content: bytes, job: Job) -> None:
    # policy.default parses into EmailMessage (get_body, iter_parts, decoded headers).
    message = email.message_from_bytes(content, policy=policy.default)
    _email_message(message, job)


def _email_message(message: MIMEPart, job: Job) -> None:
    for name in _EMAIL_HEADERS:
        try:
            value = message.get(name)
        except _HEADER_ERRORS:
            continue  # a malformed header costs that line only
        if value:
            job.sink.add(f"{name}: {WHITESPACE.sub(' ', str(value)).strip()}")
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        _email_body(body, job)
    for number, part in enumerate(_attachments(message, body), start=1):
        if job.sink.full:
            return
        _email_attachment(part, number, job)


def _attachments(
    part: MIMEPart, body: MIMEPart | None, container: str = "mixed"
) -> Iterator[MIMEPart]:
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


def _email_body(body: MIMEPart, job: Job) -> None:
    payload = body.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    if not job.claim_unpacked(len(data)):
        job.notes.append(f"body skipped: {job.over_unpacked_limit('e-mail')}")
        return
    try:
        text = decode_declared(head(data, job.limits.max_chars), body.get_content_charset())
    except Rejected as verdict:
        job.notes.append(f"body skipped: {verdict.detail}")  # headers and attachments still count
        return
    if body.get_content_subtype() == "html":
        html_text(text, job.sink)
    else:
        job.sink.add(text)


def _email_attachment(part: MIMEPart, number: int, job: Job) -> None:
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
        nested: Callable[[Job], None] = functools.partial(_email_message, inner)
        result = run(nested, EMAIL, "message/rfc822", budget, job.depth + 1)
    else:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            return
        # Decoding base64 cannot outgrow the e-mail, so counting afterwards is safe.
        if not job.claim_unpacked(len(data)):
            job.notes.append(f"attachment {number} skipped: {job.over_unpacked_limit('e-mail')}")
            return
        media_type = _sniff_media_type(data, part.get_content_type(), filename)
        result = extract(data, media_type, filename, budget, job.depth + 1)
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
        sniffed = base_media_type(magic.from_buffer(data[:_MAGIC_SNIFF_BYTES], mime=True))
    except magic.MagicException:
        sniffed = ""
    declared = base_media_type(declared)
    vague = sniffed in GENERIC_MEDIA_TYPES and format_of(sniffed, filename) in (None, TEXT)
    if vague and declared in FORMAT_BY_MEDIA_TYPE:
        return declared
    return sniffed or declared
