"""Structured logs: one JSON object per line, each with the request id it belongs to.

Operators feed these lines into Loki, Graylog or an ELK stack and follow one
request across the access line, warnings and errors by `request_id`. Log calls
name what happened and add fields through `extra=`; only the fields listed in
FIELDS are written, so a careless `extra` cannot put a token, a search text or
document content into the log.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from typing import Any

# The request being served by this thread (gthread workers serve one per thread).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "eakte_request_id", default=None
)
# Fields a log call may add with `extra=`; anything else is dropped.
FIELDS = (
    "method",
    "path",
    "endpoint",
    "status",
    "duration_ms",
    "bytes",
    "actor",
    "task",
    "error",
    "retry_seconds",
)
FORMATS = ("json", "text")
# Their INFO lines carry URLs with query strings, per request: WARNING and up only.
CHATTY_LIBRARIES = ("urllib3", "elastic_transport", "elasticsearch", "minio", "PIL")


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message", "request_id", ...FIELDS, "exception"}`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            line["request_id"] = request_id
        for field in FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _TextFormatter(logging.Formatter):
    """For people at a terminal: time, level, logger, message, request id."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = REQUEST_ID.get()
        text = super().format(record)
        return f"{text} [{request_id}]" if request_id else text


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter()
    return _TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def configure(fmt: str, level: str = "INFO") -> None:
    """Send every logger's records to standard error in `fmt` ("json" or "text")."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def gunicorn_config(fmt: str, level: str = "INFO") -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its own lines and the app's, in `fmt`, on stderr."""
    handler = {"class": "logging.StreamHandler", "formatter": "eakte", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"eakte": {"()": formatter, "fmt": fmt}},
        "handlers": {"stderr": handler},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            # Our app writes its own access line (with request id and duration).
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            **{name: {"level": "WARNING"} for name in CHATTY_LIBRARIES},
        },
    }
