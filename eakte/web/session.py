"""Per-request plumbing of the web client: the session cookie, CSRF, safe redirects."""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from eakte.errors import FormTokenError
from eakte.models import Principal
from eakte.services import audit, web_sessions
from eakte.services.context import Context

COOKIE = "eakte_sitzung"
# Pages that take files: they take what the API takes (EAKTE_MAX_UPLOAD_BYTES), not the
# small limit of other bodies. werkzeug spools the parts to disk as they arrive.
UPLOAD_ENDPOINTS = {"web.upload", "web.new_version"}
FORM_COOKIE = "eakte_formular"  # CSRF before sign-in: double submit
CSRF_FIELD = "csrf"


def ctx() -> Context:
    context: Context = g.ctx
    return context


def actor() -> Principal:
    """The signed-in user, on pages behind `signed_in`."""
    principal: Principal = g.web_session.principal
    return principal


def begin() -> None:
    """Runs before every page: a context for the caller, signed in or not."""
    ports = current_app.extensions["eakte"]
    if request.endpoint in UPLOAD_ENDPOINTS:  # before the CSRF check reads the form
        request.max_content_length = ports.settings.max_upload_bytes
    session = ports.session_factory()
    g.db = session
    g.ctx = Context(
        ports=ports,
        session=session,
        request_id=g.get("request_id"),
        client_address=request.remote_addr,
    )
    g.web_session = web_sessions.resume(g.ctx, request.cookies.get(COOKIE))
    if g.web_session is not None:
        g.ctx.actor = g.web_session.principal
    if request.method == "POST" and not _csrf_ok():
        # Audited: a cross-site forgery shows up in the trail (never the token itself).
        raise audit.deny(
            g.ctx,
            "web.csrf",
            FormTokenError("the form's CSRF token is missing or wrong"),
            object_type="web_form",
            object_id=request.endpoint,  # the form's page; bounded, unlike the path
        )


def _csrf_ok() -> bool:
    submitted = request.form.get(CSRF_FIELD)
    if g.web_session is not None:
        return web_sessions.csrf_ok(g.web_session, submitted)
    expected = request.cookies.get(FORM_COOKIE)
    return (
        bool(expected)
        and bool(submitted)
        and hmac.compare_digest((expected or "").encode(), (submitted or "").encode())
    )


def csrf_token() -> str:
    """For the forms of this page; before sign-in a double-submit cookie backs it."""
    if g.get("web_session") is not None:
        token: str = g.web_session.csrf_token
        return token
    if "form_token" not in g:
        g.form_token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)
    form_token: str = g.form_token
    return form_token


def finish(response: Response) -> Response:
    token = g.get("form_token")
    if token and request.cookies.get(FORM_COOKIE) != token:
        _cookie(response, FORM_COOKIE, token)
    return response  # security headers: eakte.api.security_headers, for every response


def set_session_cookie(response: Response, token: str) -> None:
    _cookie(response, COOKIE, token)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(
        COOKIE, path="/", secure=request.is_secure, httponly=True, samesite="Lax"
    )


def _cookie(response: Response, name: str, value: str) -> None:
    # No max-age: the cookie ends with the browser; the server ends the session earlier.
    response.set_cookie(
        name, value, path="/", httponly=True, samesite="Lax", secure=request.is_secure
    )


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages for signed-in users; others go to the sign-in page and come back."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("web_session") is None:
            return redirect(url_for("web.sign_in", weiter=request.full_path.rstrip("?")))
        # A password an admin set is temporary: nothing else works until it is replaced.
        if g.web_session.principal.password_temporary and request.endpoint != "web.own_password":
            return redirect(url_for("web.own_password"))
        return view(*args, **kwargs)

    return wrapper


def session_hash(token: str | None) -> str | None:
    return web_sessions.token_hash(token) if token else None


def safe_next(target: str | None, default: str | None = None) -> str:
    """Only an absolute path on this site; anything else goes to `default` (Meine Akten).

    Strict by itself rather than trusting how the framework encodes `Location`:
    browsers read `/\\host` and `//host` as another host, and strip tabs and
    newlines before they parse, so such characters are refused outright.
    """
    if not target or not _is_local_path(target):
        return default or url_for("web.case_files")
    return target


def _is_local_path(target: str) -> bool:
    if not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ch.isspace() or not ch.isprintable() for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def wants_json() -> bool:
    """The upload script asks for JSON; it shows the error next to the file."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"
