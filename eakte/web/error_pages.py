"""The web client's answer to an error: which HTTP status the German page gets.

The web's own table, beside the API's (`eakte.api.problems`): the two faces know
nothing of each other. Errors raised by a page come here through the blueprint's
handler; errors outside any page (an unknown address, a method the route lacks)
through the `eakte.html_errors` hook the API's handlers consult for non-API paths.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, redirect, render_template, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from eakte import errors
from eakte.web.messages import status_message
from eakte.web.session import wants_json

# error class → status of the page; the first matching class in MRO order wins.
STATUS_OF: dict[type[errors.EakteError], int] = {
    errors.AuthenticationError: 401,
    errors.AccessDeniedError: 403,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.IdempotencyConflictError: 409,
    errors.PreconditionFailedError: 412,
    errors.SearchQueryError: 400,
    errors.FormTokenError: 400,
    errors.InvalidInputError: 422,
    errors.PreconditionRequiredError: 428,
    errors.GoneError: 410,
    errors.PayloadTooLargeError: 413,
    errors.RangeNotSatisfiableError: 416,
    errors.TooManyRequestsError: 429,
    errors.IntegrityFailureError: 500,
    errors.StorageFullError: 507,
    errors.StorageError: 500,
    errors.DependencyUnavailableError: 503,
    errors.EakteError: 500,
}


def register(app: Flask) -> None:
    # The API's error handlers answer problem+json; pages outside /api/ get these instead.
    app.extensions["eakte.html_errors"] = error_page


def status_of(error: errors.EakteError) -> int:
    return next(STATUS_OF[cls] for cls in type(error).__mro__ if cls in STATUS_OF)


def error_text(error: errors.EakteError) -> str:
    """One German sentence for an error, for a message next to a form or file."""
    return status_message(status_of(error))[1]


def error_page(error: Exception) -> BaseResponse:
    if isinstance(error, errors.EakteError):
        status = status_of(error)
    elif isinstance(error, HTTPException):
        status = error.code or 500
    else:
        status = 500
    title, text = status_message(status)
    response: BaseResponse
    if wants_json():
        response = jsonify(ok=False, error=text)
        response.status_code = status
    elif status == 401:
        return redirect(url_for("web.sign_in"))
    else:
        body = render_template("fehler.html", status=status, title=title, text=text)
        response = Response(body, status=status, mimetype="text/html")
    if isinstance(error, errors.TooManyRequestsError):
        response.headers["Retry-After"] = str(error.retry_after)
    return response
