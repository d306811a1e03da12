"""The acceptance walk-through of issue 3, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt

from eakte.services.tokens import create_token
from tests.helpers import ApiClient


def test_a_clerk_files_a_case_file_that_another_department_cannot_see(client, admin_token, system):
    """Tokens for users come from the operator's CLI (`eakte token create`), as in the README:
    an admin mints tokens only for service accounts and itself."""
    admin = ApiClient(client, admin_token)
    assert admin.post("/departments", {"code": "32", "name": "Ordnungsamt"}).status_code == 201
    assert admin.post("/departments", {"code": "50", "name": "Sozialamt"}).status_code == 201
    assert (
        admin.post(
            "/principals", {"username": "rita", "display_name": "Rita", "kind": "user"}
        ).status_code
        == 201
    )
    assert admin.post("/principals/rita/roles", {"role": "records_manager"}).status_code == 201
    rita = ApiClient(client, create_token(system, "rita")[0])
    node = rita.post(
        "/file-plan",
        {"code": "32.10", "title": "Gewerbe", "retention_years": 10, "disposition": "archive"},
    )
    assert node.status_code == 201
    tokens = {}
    for username, department in (("anna", "32"), ("ben", "50")):
        assert (
            admin.post(
                "/principals", {"username": username, "display_name": username, "kind": "user"}
            ).status_code
            == 201
        )
        assert (
            admin.post(
                f"/principals/{username}/memberships", {"department": department, "role": "clerk"}
            ).status_code
            == 201
        )
        tokens[username] = create_token(system, username)[0]
    anna, ben = ApiClient(client, tokens["anna"]), ApiClient(client, tokens["ben"])

    created = anna.post(
        "/case-files", {"file_plan": "32.10", "department": "32", "title": "Gewerbeanmeldung"}
    )
    assert created.status_code == 201
    case_file = created.get_json()
    year = dt.datetime.now(dt.UTC).year
    assert case_file["reference"] == f"32.10-0001/{year}"
    assert created.headers["Location"].endswith(f"/api/v1/case-files/{case_file['id']}")

    assert ben.get(f"/case-files/{case_file['id']}").status_code == 404
    assert ben.get("/case-files").get_json() == {"items": [], "next": None}
    assert [c["id"] for c in anna.get("/case-files").get_json()["items"]] == [case_file["id"]]

    closed = anna.post(f"/case-files/{case_file['id']}/close")
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["retain_until"] == f"{year + 10}-12-31"
