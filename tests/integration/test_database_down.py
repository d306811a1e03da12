"""With the database unreachable, callers get 503 + Retry-After, never a crash page."""

from __future__ import annotations

from eakte import create_app
from eakte.config import Settings
from tests.helpers import assert_problem
from tests.processes import free_port as closed_port  # nothing listens there


def test_requests_get_503_with_retry_after_when_postgresql_is_down(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/eakte"
    app = create_app(
        Settings.from_env({"EAKTE_INSTANCE_PATH": str(tmp_path), "EAKTE_DATABASE_URL": url})
    )
    client = app.test_client()

    response = client.get("/api/v1/case-files", headers={"Authorization": "Bearer eakte_x"})
    body = assert_problem(response, 503, "dependency-unavailable")
    assert response.headers["Retry-After"].isdigit()
    assert "database" in body["detail"]

    ready = client.get("/api/v1/health/ready")
    assert ready.status_code == 503
    assert ready.headers["Retry-After"].isdigit()
    assert ready.get_json()["checks"]["database"] == "unreachable"

    assert client.get("/api/v1/health").status_code == 200  # liveness needs no database
