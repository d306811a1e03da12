"""Confirmations after an action, one way for every page.

A form posts, the use case runs, and the page redirects with a key
(`?meldung=freigabe`); base.html shows the key's fixed German text in the one
status region (role=status, announced by screen readers). Only registered texts
are shown, never text from the URL. A page whose confirmation needs figures or
names computes the text itself and passes it to `show`; the upload script writes
into the same region (`#meldung`).
"""

from __future__ import annotations

from typing import Any

from flask import g, redirect, request, url_for
from werkzeug.wrappers import Response

PARAM = "meldung"
_TEXTS: dict[str, str] = {}


def register(texts: dict[str, str]) -> None:
    """Add a page module's confirmations; a key means one text on every page."""
    for key, text in texts.items():
        if _TEXTS.setdefault(key, text) != text:
            raise ValueError(f"confirmation key {key!r} registered twice with different texts")


def redirect_with(key: str, endpoint: str, *, anchor: str | None = None, **values: Any) -> Response:
    """Back to a page after an action, with the confirmation `key` (registered)."""
    if key not in _TEXTS:
        raise KeyError(f"unknown confirmation key {key!r}")
    values[PARAM] = key
    return redirect(url_for(endpoint, _anchor=anchor, **values))


def show(text: str) -> None:
    """A confirmation this page composes itself (with a number or a date)."""
    g.notice = text


def current() -> str | None:
    """The text for the status region of this page, if any."""
    text: str | None = g.get("notice")
    return text or _TEXTS.get(request.args.get(PARAM, ""))
