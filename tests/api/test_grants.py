"""Grants open a case file to another department or a named principal, maybe until a time."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import assert_problem, audit_events, table_counts


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _grant(who, case_file, **body):
    return who.post(f"/case-files/{case_file['id']}/grants", body)


def _ids(who) -> list[str]:
    response = who.get("/case-files")
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def _rename(who, case_file, title: str):
    """PATCH the title with the ETag from a fresh GET, as a client would."""
    path = f"/case-files/{case_file['id']}"
    read = who.get(path)
    etag = read.headers.get("ETag", '"1"')  # a denied GET has none
    return who.patch(path, {"title": title}, headers={"If-Match": etag})


def test_a_read_grant_opens_the_case_file_until_it_expires(town, clock, ports):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    granted = _grant(
        town.lea,
        case_file,
        department="50",
        permission="read",
        expires_at=_iso(clock() + dt.timedelta(hours=1)),
    )
    assert granted.status_code == 201
    assert granted.get_json()["department"] == "50"

    assert town.ben.get(path).status_code == 200
    assert _ids(town.ben) == [case_file["id"]]
    assert town.ben.get(f"{path}/processes").status_code == 200
    assert_problem(_rename(town.ben, case_file, "Übernommen"), 403, "forbidden")
    assert_problem(town.ben.post(f"{path}/close"), 403, "forbidden")
    [denied] = audit_events(ports, outcome="denied", action="case_file.update")
    assert (denied.actor, denied.department) == ("ben", "32")

    clock.advance(hours=2)
    assert_problem(town.ben.get(path), 404, "not-found")
    assert _ids(town.ben) == []
    assert town.anna.get(path).get_json()["title"] == case_file["title"]


def test_a_write_grant_lets_clerks_change_but_readers_only_read(town):
    case_file = town.case_file()
    assert _grant(town.lea, case_file, department="50", permission="write").status_code == 201

    changed = _rename(town.ben, case_file, "Gewerbeummeldung Bäckerei Sommer")
    assert changed.status_code == 200
    assert changed.get_json()["title"] == "Gewerbeummeldung Bäckerei Sommer"

    assert town.bea.get(f"/case-files/{case_file['id']}").status_code == 200
    assert _ids(town.bea) == [case_file["id"]]
    assert_problem(_rename(town.bea, case_file, "Von Bea"), 403, "forbidden")
    assert town.anna.get(f"/case-files/{case_file['id']}").get_json()["title"] == (
        "Gewerbeummeldung Bäckerei Sommer"
    )


def test_a_department_grant_gives_no_right_to_manage_grants(town):
    case_file = town.case_file()
    assert _grant(town.lea, case_file, department="50", permission="write").status_code == 201
    sabine = town.person("sabine", member=("50", "lead"))

    assert sabine.get(f"/case-files/{case_file['id']}").status_code == 200
    assert_problem(sabine.get(f"/case-files/{case_file['id']}/grants"), 403, "forbidden")
    assert_problem(_grant(sabine, case_file, principal="bea", permission="write"), 403, "forbidden")


def test_a_grant_to_one_principal_opens_the_case_file_to_that_principal_only(town):
    case_file = town.case_file()
    granted = _grant(town.lea, case_file, principal="ben", permission="write")
    assert granted.status_code == 201
    assert (granted.get_json()["principal"], granted.get_json()["department"]) == ("ben", None)

    assert _ids(town.ben) == [case_file["id"]]
    assert _rename(town.ben, case_file, "Von Ben geändert").status_code == 200
    assert_problem(town.bea.get(f"/case-files/{case_file['id']}"), 404, "not-found")
    assert _ids(town.bea) == []


def test_deleting_a_grant_withdraws_the_access(town, ports):
    case_file = town.case_file()
    grant = _grant(town.lea, case_file, principal="ben", permission="read").get_json()
    assert town.ben.get(f"/case-files/{case_file['id']}").status_code == 200

    deleted = town.lea.delete(f"/case-files/{case_file['id']}/grants/{grant['id']}")
    assert deleted.status_code == 204

    assert_problem(town.ben.get(f"/case-files/{case_file['id']}"), 404, "not-found")
    assert _ids(town.ben) == []
    assert town.lea.get(f"/case-files/{case_file['id']}/grants").get_json()["items"] == []
    [event] = audit_events(ports, action="grant.delete")
    assert (event.actor, event.object_id, event.outcome) == ("lea", case_file["id"], "allowed")
    assert event.details["grant"] == grant["id"]


def test_only_a_lead_may_delete_a_grant(town):
    case_file = town.case_file()
    grant = _grant(town.lea, case_file, principal="ben", permission="read").get_json()

    assert_problem(
        town.anna.delete(f"/case-files/{case_file['id']}/grants/{grant['id']}"), 403, "forbidden"
    )
    assert_problem(
        town.ben.delete(f"/case-files/{case_file['id']}/grants/{grant['id']}"), 403, "forbidden"
    )
    assert town.ben.get(f"/case-files/{case_file['id']}").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"department": "50", "permission": "read", "expires_at": "2001-01-01T00:00:00Z"},
            "expires_at",
        ),
        ({"department": "50", "principal": "ben", "permission": "read"}, None),
        ({"permission": "read"}, None),
        ({"department": "99", "permission": "read"}, "department"),
        ({"principal": "nobody", "permission": "read"}, "principal"),
        ({"department": "50", "permission": "admin"}, "permission"),
    ],
    ids=[
        "expired",
        "both-grantees",
        "no-grantee",
        "unknown-department",
        "unknown-principal",
        "bad-permission",
    ],
)
def test_bad_grants_are_refused_and_change_nothing(town, ports, body, field):
    case_file = town.case_file()
    before = table_counts(ports)

    problem = assert_problem(_grant(town.lea, case_file, **body), 422, "invalid-input")

    assert table_counts(ports) == before
    if field is not None:
        assert any(item.get("pointer") == f"#/{field}" for item in problem.get("errors", [])), (
            problem
        )
    assert_problem(town.ben.get(f"/case-files/{case_file['id']}"), 404, "not-found")


def test_a_second_grant_to_the_same_grantee_replaces_the_first(town, clock):
    case_file = town.case_file()
    first = _grant(town.lea, case_file, department="50", permission="write")
    second = _grant(
        town.lea,
        case_file,
        department="50",
        permission="read",
        expires_at=_iso(clock() + dt.timedelta(hours=1)),
    )
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.get_json()["id"] == first.get_json()["id"]

    [grant] = town.lea.get(f"/case-files/{case_file['id']}/grants").get_json()["items"]
    assert grant["permission"] == "read"
    assert_problem(_rename(town.ben, case_file, "Von Ben"), 403, "forbidden")


# -- confidential case files --------------------------------------------------


def test_a_confidential_case_file_is_hidden_from_its_own_department(town):
    case_file = town.case_file(confidential=True)
    assert case_file["confidential"] is True
    path = f"/case-files/{case_file['id']}"

    assert town.anna.get(path).status_code == 200
    assert _ids(town.anna) == [case_file["id"]]
    for outsider in (town.carla, town.lea):
        assert_problem(outsider.get(path), 404, "not-found")
        assert _ids(outsider) == []


def test_a_principal_grant_keeps_a_confidential_case_file_open_to_its_grantee(town):
    """carla, named before the file turned confidential, still reads it; her department does not."""
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    assert _grant(town.lea, case_file, principal="carla", permission="read").status_code == 201
    assert _grant(town.lea, case_file, department="50", permission="read").status_code == 201
    etag = town.lea.get(path).headers["ETag"]
    assert (
        town.lea.patch(path, {"confidential": True}, headers={"If-Match": etag}).status_code == 200
    )

    assert town.carla.get(path).status_code == 200
    assert _ids(town.carla) == [case_file["id"]]
    assert_problem(town.ben.get(path), 404, "not-found")  # the department grant no longer counts
    assert _ids(town.ben) == []
    assert_problem(town.anna.get(path), 404, "not-found")


def test_a_lead_named_on_a_confidential_case_file_manages_its_grants(town):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    etag = town.lea.get(path).headers["ETag"]
    assert (
        town.lea.patch(path, {"confidential": True}, headers={"If-Match": etag}).status_code == 200
    )
    assert_problem(town.carla.get(path), 404, "not-found")

    assert town.lea.get(f"{path}/grants").status_code == 200
    assert_problem(
        _grant(town.lea, case_file, department="32", permission="read"), 422, "invalid-input"
    )
    assert _grant(town.lea, case_file, principal="carla", permission="read").status_code == 201
    assert town.carla.get(path).status_code == 200


def test_the_lead_who_made_a_case_file_confidential_can_lift_it_again(town):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    made = town.lea.patch(
        path, {"confidential": True}, headers={"If-Match": town.lea.get(path).headers["ETag"]}
    )
    assert made.status_code == 200

    lifted = town.lea.patch(
        path, {"confidential": False}, headers={"If-Match": made.headers["ETag"]}
    )

    assert lifted.status_code == 200
    assert town.carla.get(path).status_code == 200


def test_making_a_case_file_confidential_needs_a_lead(town, ports):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    etag = town.anna.get(path).headers["ETag"]

    assert_problem(
        town.anna.patch(path, {"confidential": True}, headers={"If-Match": etag}), 403, "forbidden"
    )
    assert town.carla.get(path).status_code == 200

    made = town.lea.patch(path, {"confidential": True}, headers={"If-Match": etag})
    assert made.status_code == 200
    assert made.get_json()["confidential"] is True

    assert town.lea.get(path).status_code == 200  # lea was named on the file
    assert_problem(town.carla.get(path), 404, "not-found")
    assert_problem(town.anna.get(path), 404, "not-found")
    [denied] = audit_events(ports, outcome="denied", action="case_file.update")
    assert (denied.actor, denied.object_id) == ("anna", case_file["id"])
