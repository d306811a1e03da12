"""Per-request plumbing: request id, database session, service context, bearer auth."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import IO

from flask import Flask, Request, Response, current_app, g, request

from eakte import logs
from eakte.errors import AuthenticationError
from eakte.services import audit, throttling, tokens
from eakte.services.context import Context, Ports

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
# Endpoints that take file uploads (the JSON body limit would refuse them).
UPLOAD_ENDPOINTS = {"documents.CaseFileDocuments", "documents.DocumentVersions"}
# Endpoints of the API's blueprints without a bearer token; the others need one.
# (The OpenAPI document and /metrics lie outside them; /metrics checks the caller's
# network address instead: Prometheus scrapes it, see eakte.api.telemetry.)
PUBLIC_ENDPOINTS = {"health.health", "health.ready"}


def ports() -> Ports:
    the_ports: Ports = current_app.extensions["eakte"]
    return the_ports


def context() -> Context:
    """The authenticated service context of this request."""
    ctx: Context = g.ctx
    return ctx


def register(app: Flask, blueprints: Iterable[str]) -> None:
    """Request ids for every request; bearer auth for the API's own `blueprints`.

    Other faces of the app (the web client) bring their own sign-in.
    """
    app.request_class = UploadAwareRequest
    app.extensions["eakte.api_blueprints"] = frozenset(blueprints)
    app.before_request(_begin)
    app.after_request(_stamp)
    app.teardown_request(_end)


def _begin() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_id_token = logs.REQUEST_ID.set(g.request_id)
    if request.blueprint not in current_app.extensions["eakte.api_blueprints"]:
        return
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = ports().settings.max_upload_bytes
    the_ports = ports()
    session = the_ports.session_factory()
    g.db = session
    ctx = Context(
        ports=the_ports,
        session=session,
        request_id=g.request_id,
        client_address=request.remote_addr,
    )
    g.ctx = ctx
    throttles = current_app.extensions["eakte.throttles"]
    throttling.guard(ctx, throttles.api_requests, "api.request")
    throttling.count(ctx, throttles.api_requests)
    # Authenticate first: a valid token is never refused by the failure limit, which
    # only turns further failures from a guessing address into 429.
    try:
        ctx.actor = tokens.authenticate(ctx, _bearer_token(ctx))
    except AuthenticationError:
        throttling.refuse_failure(ctx, throttles.token_failures, "auth.token")
        raise


def _bearer_token(ctx: Context) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise audit.deny(
            ctx,
            "auth.token",
            AuthenticationError("send `Authorization: Bearer <token>`"),
        )
    return token.strip()


def _stamp(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    return response


def _end(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        logs.REQUEST_ID.reset(token)
    session = g.pop("db", None)
    if session is not None:
        session.close()


class UploadAwareRequest(Request):
    """Closes every upload spool it made, also when the client vanished mid-upload
    (werkzeug then never hands the half-written spool to `files`, so nobody else would)."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        stream = super()._get_file_stream(
            total_content_length, content_type, filename, content_length
        )
        self.__dict__.setdefault("_upload_spools", []).append(stream)
        return stream

    def close(self) -> None:
        super().close()
        for stream in self.__dict__.get("_upload_spools", []):
            stream.close()
