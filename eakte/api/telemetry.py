"""What operators see of each request: an access log line, metrics, and `/metrics`.

The access line names the route template (`/api/v1/documents/<uuid:document_id>`),
never the query string (search texts may be personal data) nor any header.
`/metrics` is for the monitoring host: it answers only addresses listed in
EAKTE_METRICS_ALLOW (loopback by default) and, like the health checks, is not
audited (Prometheus scrapes every few seconds; the figures hold no personal data).
"""

from __future__ import annotations

import ipaddress
import logging
import time

from flask import Flask, Response, g, request

from eakte import metrics
from eakte.api.requests import ports
from eakte.errors import AccessDeniedError
from eakte.services.health import operational_gauges

log = logging.getLogger("eakte.access")


def register(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", _metrics_endpoint, methods=["GET"])


def _start() -> None:
    g.started = time.perf_counter()


def _route() -> str:
    return request.url_rule.rule if request.url_rule is not None else "(unmatched)"


def _finish(response: Response) -> Response:
    started = g.get("started")
    if started is None or request.endpoint == "metrics":
        return response
    seconds = time.perf_counter() - started
    route = _route()
    metrics.observe_request(request.method, route, response.status_code, seconds)
    log.info(
        "%s %s %s",
        request.method,
        route,
        response.status_code,
        extra={
            "method": request.method,
            "path": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "bytes": response.content_length,
            "actor": _actor(),
        },
    )
    return response


def _actor() -> str | None:
    ctx = g.get("ctx")
    actor = getattr(ctx, "actor", None) if ctx is not None else None
    return getattr(actor, "username", None)


def _metrics_endpoint() -> Response:
    if not _allowed(request.remote_addr):
        raise AccessDeniedError(
            "metrics are only served to the monitoring host (EAKTE_METRICS_ALLOW)"
        )
    body, content_type = metrics.render(operational_gauges(ports()))
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _allowed(address: str | None) -> bool:
    if not address:
        return False
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        client in ipaddress.ip_network(network, strict=False)
        for network in ports().settings.metrics_allow
    )
