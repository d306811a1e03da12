"""Every error leaves as `application/problem+json` (RFC 9457); this table is the one map."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from eakte import errors, metrics
from eakte.db import UNAVAILABLE_ERRORS

log = logging.getLogger(__name__)

PROBLEM_BASE = "urn:eakte:problem:"
MEDIA_TYPE = "application/problem+json"

# error class → (status, title); the first matching class in MRO order wins.
STATUS_OF: dict[type[errors.EakteError], tuple[int, str]] = {
    errors.AuthenticationError: (401, "Authentication required"),
    errors.AccessDeniedError: (403, "Forbidden"),
    errors.NotFoundError: (404, "Not found"),
    errors.CaseFileClosedError: (409, "Case file is closed"),
    errors.RoutingRunningError: (409, "A routing is running"),
    errors.DocumentFinalError: (409, "Document is final"),
    errors.TaskClosedError: (409, "Task is closed"),
    errors.ConflictError: (409, "Conflict"),
    errors.IdempotencyConflictError: (409, "Idempotency key conflict"),
    errors.PreconditionFailedError: (412, "Precondition failed"),
    errors.SearchQueryError: (400, "Invalid search query"),
    errors.FormTokenError: (400, "Form token missing or wrong"),
    errors.InvalidInputError: (422, "Invalid input"),
    errors.PreconditionRequiredError: (428, "Precondition required"),
    errors.GoneError: (410, "Gone"),
    errors.PayloadTooLargeError: (413, "Payload too large"),
    errors.RangeNotSatisfiableError: (416, "Range not satisfiable"),
    errors.TooManyRequestsError: (429, "Too many requests"),
    errors.IntegrityFailureError: (500, "Integrity failure"),
    errors.StorageFullError: (507, "Insufficient storage"),
    errors.StorageError: (500, "Storage error"),
    errors.DependencyUnavailableError: (503, "Service unavailable"),
    errors.EakteError: (500, "Internal error"),
}

# Framework errors keep their status; they get a stable type too.
HTTP_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    408: "request-timeout",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    431: "headers-too-large",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    field_errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": g.get("request_id"),
    }
    if field_errors:
        body["errors"] = field_errors
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register(app: Flask) -> None:
    app.register_error_handler(errors.EakteError, _from_domain)
    app.register_error_handler(HTTPException, _from_http)
    for error_class in UNAVAILABLE_ERRORS:
        app.register_error_handler(error_class, _from_database)
    app.register_error_handler(Exception, _from_unexpected)


def _status_and_title(error: errors.EakteError) -> tuple[int, str]:
    return next(STATUS_OF[cls] for cls in type(error).__mro__ if cls in STATUS_OF)


def _from_domain(error: errors.EakteError) -> BaseResponse:
    html = _html_instead(error)
    if html is not None:
        return html
    status, title = _status_and_title(error)
    headers = {}
    if isinstance(error, errors.AuthenticationError):
        headers["WWW-Authenticate"] = 'Bearer realm="eakte"'
    if isinstance(error, errors.DependencyUnavailableError | errors.TooManyRequestsError):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, errors.StorageUnavailableError | errors.StorageError):
        metrics.count_storage_error(error.code)
    if isinstance(error, errors.RangeNotSatisfiableError):
        headers["Content-Range"] = f"bytes */{error.size}"
    if status >= 500:
        log.error("%s (request %s): %s", error.code, g.get("request_id"), error.detail)
    field_errors = _pointers(error.errors, "json") if error.errors else None
    return problem(
        status, error.code, title, error.detail, field_errors=field_errors, headers=headers
    )


def _html_instead(error: Exception) -> BaseResponse | None:
    """Paths outside the API (/api/, /metrics) belong to another face of the app; it may
    answer errors its own way through the `eakte.html_errors` hook (the web: German HTML)."""
    render: Callable[[Exception], BaseResponse] | None = current_app.extensions.get(
        "eakte.html_errors"
    )
    if render is None or request.path.startswith(("/api/", "/metrics")):
        return None
    return render(error)


def _from_http(error: HTTPException) -> BaseResponse:
    html = _html_instead(error)
    if html is not None:
        return html
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    field_errors = None
    if "messages" in data:  # webargs/marshmallow validation failure
        field_errors = [
            item
            for location, messages in data["messages"].items()
            for item in _pointers(messages, location)
        ]
    detail = data.get("message") or error.description or error.name
    if status == 422 and field_errors:
        detail = "The request has invalid fields; see `errors`."
    elif field_errors:  # e.g. a body that is not JSON, or a missing upload part
        detail = "; ".join(
            f"{_field_name(item)}: {item['detail']}" if _field_name(item) else item["detail"]
            for item in field_errors
        )
    headers = dict(data.get("headers") or {})
    if status == 405 and error.get_response().headers.get("Allow"):
        headers["Allow"] = error.get_response().headers["Allow"]
    code = HTTP_CODES.get(status, "http-error")
    return problem(status, code, error.name, detail, field_errors=field_errors, headers=headers)


def _from_database(error: Exception) -> Response:
    log.warning("database unavailable: %s", type(error).__name__)
    return problem(
        503,
        errors.DependencyUnavailableError.code,
        "Service unavailable",
        "The database cannot be reached right now; nothing was changed. Retry shortly.",
        headers={"Retry-After": "5"},
    )


def _from_unexpected(error: Exception) -> BaseResponse:
    if isinstance(error, HTTPException):
        return _from_http(error)
    log.exception("unexpected error (request %s)", g.get("request_id"))
    html = _html_instead(error)
    if html is not None:
        return html
    return problem(500, "internal-error", "Internal server error", "An unexpected error occurred.")


def _field_name(item: dict[str, str]) -> str:
    return item.get("parameter") or item.get("pointer", "").removeprefix("#/").removeprefix("#")


def _pointers(messages: Any, location: str, prefix: str = "") -> list[dict[str, str]]:
    """Flatten marshmallow's nested message dicts into RFC 9457 `errors` items."""
    items: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = "" if key == "_schema" else str(key)
            path = f"{prefix}/{name}" if name else prefix
            items.extend(_pointers(value, location, path))
    elif isinstance(messages, list | tuple):
        for message in messages:
            items.extend(_pointers(message, location, prefix))
    else:
        if location in ("query", "querystring"):
            items.append({"parameter": prefix.lstrip("/"), "detail": str(messages)})
        else:
            items.append({"pointer": "#" + prefix, "detail": str(messages)})
    return items
