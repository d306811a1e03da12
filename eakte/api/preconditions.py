"""Conditional requests: our entity tags, and what If-Match and If-Range accept (RFC 9110 §13.1).

If-Match = "*" / #entity-tag, compared strongly: a weak tag (W/"3") never
matches, and a value that is not a valid list of tags matches nothing. So
every present If-Match that does not name the current version answers 412,
whatever its form; only a missing header answers 428.

A document version's content is immutable, so its ETag is its id; an
If-Range that is not exactly such a tag (a date, a weak or foreign tag)
never matches, and the whole content is sent.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from flask import request

# entity-tag = [ W/ ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text
_ENTITY_TAG = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*')


def strong_etag(version: int) -> str:
    """The ETag we send for a versioned resource."""
    return f'"{version}"'


def content_etag(version_id: uuid.UUID) -> str:
    """The strong ETag of one version's content."""
    return f'"{version_id}"'


def if_range_version(value: str) -> uuid.UUID | None:
    """The version whose content ETag an If-Range header names exactly; None otherwise."""
    tag = value.strip()
    try:
        version_id = uuid.UUID(tag[1:-1])
    except ValueError:
        return None
    return version_id if content_etag(version_id) == tag else None


def if_match() -> Callable[[int], bool] | None:
    """For the current version: does this request's If-Match hold? None: no If-Match sent."""
    values = request.headers.getlist("If-Match")
    if not values:
        return None
    accepted = _accepted(",".join(values))
    if accepted is None:  # "*": any current representation will do
        return lambda version: True
    return lambda version: strong_etag(version) in accepted


def _accepted(value: str) -> frozenset[str] | None:
    """The strong tags the header names; None for "*"; empty when nothing can match."""
    if value.strip() == "*":
        return None
    tags: set[str] = set()
    position = 0
    while position < len(value):
        if value[position] in " \t,":  # empty list elements are allowed (RFC 9110 §5.6.1)
            position += 1
            continue
        found = _ENTITY_TAG.match(value, position)
        if found is None:
            return frozenset()  # not a list of entity tags: matches nothing
        if not found.group(1):  # weak tags never match strongly
            tags.add(f'"{found.group(2)}"')
        position = found.end()
        if position < len(value) and value[position] != ",":
            return frozenset()
    return frozenset(tags)
