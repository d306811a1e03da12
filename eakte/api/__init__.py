"""The REST API v1: blueprints, schemas, auth header parsing and problem+json."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api

from eakte.api import (
    audit_trail,
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
    telemetry,
)
from eakte.api.schemas.common import ProblemSchema


class ProblemApi(Api):  # type: ignore[misc]  # flask-smorest is untyped
    """flask-smorest with RFC 9457 errors instead of its own error body."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        problems.register(self._app)

    def _register_responses(self) -> None:
        """flask-smorest's reusable error responses, documented as what they are:
        `application/problem+json` (its default would claim `application/json`)."""

        def problem(description: str) -> dict[str, Any]:
            content = {problems.MEDIA_TYPE: {"schema": self.ERROR_SCHEMA}}
            return {"description": description, "content": content}

        for status in http.HTTPStatus:
            if 100 <= status < 200 or status in (204, 304):
                response = {"description": status.phrase}
            else:
                response = problem(status.phrase)
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response("DEFAULT_ERROR", problem("An RFC 9457 problem"), lazy=True)


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
    telemetry.register(app)  # first: its clock starts before anything else runs
    blueprints = [
        module.blp
        for module in (
            health,
            departments,
            principals,
            file_plan,
            case_files,
            documents,
            search,
            retention,
            audit_trail,
        )
    ]
    requests.register(app, [blp.name for blp in blueprints])
    for blp in blueprints:
        api.register_blueprint(blp)
