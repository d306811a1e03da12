"""The acceptance walk-through of issue 3, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt


def test_a_clerk_files_a_case_file_that_another_department_cannot_see(town):
    """The town (tests/town.py) is made over the REST API as an integrator would, with
    users' tokens from the operator's channel (`eakte token create` in the README): an
    admin mints tokens only for service accounts and itself."""
    anna, ben = town.anna, town.ben

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
