"""The API's outer shell: OpenAPI document, problem+json for every error, request ids, health."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ApiClient, assert_problem, audit_events, table_counts

CONTRACT_PATHS = [
    "/api/v1/health",
    "/api/v1/health/ready",
    "/api/v1/departments",
    "/api/v1/principals",
    "/api/v1/principals/{username}/memberships",
    "/api/v1/principals/{username}/roles",
    "/api/v1/principals/{username}/tokens",
    "/api/v1/file-plan",
    "/api/v1/case-files",
    "/api/v1/case-files/{case_file_id}",
    "/api/v1/case-files/{case_file_id}/close",
    "/api/v1/case-files/{case_file_id}/grants",
    "/api/v1/case-files/{case_file_id}/processes",
]


def _assert_request_id(response, body: dict) -> None:
    assert body["request_id"]
    assert response.headers["X-Request-Id"] == body["request_id"]


# --- OpenAPI -----------------------------------------------------------------------------


def test_openapi_document_is_public_and_lists_the_contract(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["version"] == "v1"
    missing = [path for path in CONTRACT_PATHS if path not in spec["paths"]]
    assert missing == []

    schemes = spec["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"].lower() == "bearer" for s in schemes.values())
    assert spec["security"] == [{name: []} for name in schemes]


def test_openapi_documents_methods_and_path_parameters(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/case-files"])
    assert {"get", "patch"} <= set(paths["/api/v1/case-files/{case_file_id}"])
    assert "post" in paths["/api/v1/case-files/{case_file_id}/close"]
    assert {"get", "post"} <= set(paths["/api/v1/case-files/{case_file_id}/processes"])
    assert {"post", "delete"} <= set(paths["/api/v1/principals/{username}/memberships"])
    parameters = paths["/api/v1/case-files/{case_file_id}"]["parameters"]
    assert [(p["name"], p["in"]) for p in parameters] == [("case_file_id", "path")]
    # list filters and paging are documented as query parameters
    query = {
        p["name"] for p in paths["/api/v1/case-files"]["get"]["parameters"] if p["in"] == "query"
    }
    assert {"department", "status", "file_plan", "limit", "cursor"} <= query


def test_health_endpoints_need_no_token_and_are_documented_as_public(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert paths["/api/v1/health"]["get"]["security"] == []
    assert paths["/api/v1/health/ready"]["get"]["security"] == []


# --- problem+json ------------------------------------------------------------------------


def test_an_unknown_route_is_a_not_found_problem(client):
    response = client.get("/api/v1/no-such-thing")
    body = assert_problem(response, 404, "not-found")
    assert body["instance"] == "/api/v1/no-such-thing"
    _assert_request_id(response, body)


def test_a_wrong_method_is_a_problem_with_allow(client, admin_token, ports):
    before = table_counts(ports)
    response = ApiClient(client, admin_token).delete("/departments")
    body = assert_problem(response, 405, "method-not-allowed")
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert "DELETE" not in allowed
    _assert_request_id(response, body)
    assert table_counts(ports) == before


def test_no_token_is_an_unauthenticated_problem(client):
    response = client.get("/api/v1/case-files")
    body = assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")
    _assert_request_id(response, body)


def test_a_wrong_token_is_an_unauthenticated_problem(client, admin_token):
    response = ApiClient(client, "not-a-real-token").get("/departments")
    assert_problem(response, 401, "unauthenticated")


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (
            lambda t: t.anna.get("/case-files/00000000-0000-0000-0000-000000000000"),
            404,
            "not-found",
        ),
        (lambda t: t.anna.get("/principals"), 403, "forbidden"),
        (lambda t: t.anna.post("/case-files", {"title": 5}), 422, "invalid-input"),
        (
            lambda t: t.anna.post("/case-files", data="{bad", content_type="application/json"),
            400,
            "bad-request",
        ),
        (
            lambda t: t.admin.post("/departments", {"code": "32", "name": "Doppelt"}),
            409,
            "conflict",
        ),
        (lambda t: t.anna.get("/case-files?limit=0"), 422, "invalid-input"),
    ],
    ids=["not-found", "forbidden", "invalid-input", "bad-json", "conflict", "bad-query"],
)
def test_every_problem_has_the_rfc_9457_members_and_a_request_id(town, call, status, code):
    response = call(town)
    body = assert_problem(response, status, code)
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["instance"] == response.request.path
    _assert_request_id(response, body)


def test_request_ids_differ_between_requests(client):
    first = client.get("/api/v1/nowhere").headers["X-Request-Id"]
    second = client.get("/api/v1/nowhere").headers["X-Request-Id"]
    assert first and second and first != second


def test_an_incoming_request_id_is_echoed_and_audited(town, ports):
    request_id = "portal-2026.05-abc_123"
    response = town.admin.post(
        "/departments", {"code": "20", "name": "Kämmerei"}, headers={"X-Request-Id": request_id}
    )
    assert response.status_code == 201
    assert response.headers["X-Request-Id"] == request_id

    events = audit_events(ports, request_id=request_id)
    assert [(e.action, e.actor, e.object_id) for e in events] == [
        ("department.create", "admin", "20")
    ]


def test_an_incoming_request_id_appears_in_a_problem_and_its_denial(town, ports):
    request_id = "denied-req-1"
    response = town.anna.get("/principals", headers={"X-Request-Id": request_id})
    body = assert_problem(response, 403, "forbidden")
    assert body["request_id"] == request_id == response.headers["X-Request-Id"]
    events = audit_events(ports, request_id=request_id)
    assert [(e.action, e.actor, e.outcome) for e in events] == [
        ("principal.list", "anna", "denied")
    ]


@pytest.mark.parametrize(
    "incoming",
    ["has space", "a" * 129, "<script>", "x\u00e4y"],
    ids=["space", "too-long", "markup", "non-ascii"],
)
def test_an_unsafe_incoming_request_id_is_replaced(town, ports, incoming):
    response = town.admin.get(
        "/departments", headers={"X-Request-Id": incoming.encode().decode("latin-1")}
    )
    assert response.status_code == 200
    generated = response.headers["X-Request-Id"]
    assert generated and generated != incoming
    assert [e.action for e in audit_events(ports, request_id=generated)] == ["department.list"]


def test_a_body_over_the_size_limit_is_a_payload_too_large_problem(town, app, ports):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 1024 * 1024
    before = table_counts(ports)
    payload = json.dumps({"code": "20", "name": "x" * limit})
    response = town.admin.post("/departments", data=payload, content_type="application/json")
    body = assert_problem(response, 413, "payload-too-large")
    _assert_request_id(response, body)
    assert table_counts(ports) == before


def test_a_body_just_under_the_limit_is_read(town, app):
    # not refused for its size: the schema answers instead (name longer than 200)
    payload = json.dumps({"code": "20", "name": "x" * (app.config["MAX_CONTENT_LENGTH"] - 100)})
    response = town.admin.post("/departments", data=payload, content_type="application/json")
    assert_problem(response, 422, "invalid-input")


# --- health ------------------------------------------------------------------------------


def test_health_says_ok_without_a_token(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["X-Request-Id"]


def test_ready_checks_the_database(client):
    response = client.get("/api/v1/health/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["checks"]["database"] == "ok"
    assert all(state == "ok" for state in body["checks"].values())
