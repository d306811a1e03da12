"""The REST API v1: blueprints, schemas, auth header parsing and problem+json."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from eakte.api import (
    audit,
    case_files,
    departments,
    documents,
    file_plan,
    health,
    principals,
    problems,
    requests,
    retention,
    search,
)
from eakte.api.schemas.common import ProblemSchema


class ProblemApi(Api):
    """flask-smorest with RFC 9457 errors instead of its own error body."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        problems.register(self._app)


def init_api(app: Flask) -> None:
    app.config.update(
        API_TITLE="eakte",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = ProblemApi(
        app,
        spec_kwargs={
            "info": {"description": "Electronic records (E-Akte) for German municipalities"},
            "security": [{"bearer": []}],
        },
    )
    api.spec.components.security_scheme(
        "bearer", {"type": "http", "scheme": "bearer", "description": "An eakte API token"}
    )
    requests.register(app)
    for module in (
        health,
        departments,
        principals,
        file_plan,
        case_files,
        documents,
        search,
        retention,
        audit,
    ):
        api.register_blueprint(module.blp)
