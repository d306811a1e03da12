"""Department-based access to case files, and the audit trail of every decision."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem, audit_events


def _patch(who, case_file, body):
    """PATCH with the If-Match a careful client would send."""
    return who.patch(f"/case-files/{case_file['id']}", body, headers={"If-Match": '"1"'})


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_a_clerk_creates_reads_and_changes_case_files_of_their_department(town, ports):
    created = town.case_file()
    assert created["department"] == "32"
    assert created["created_by"] == "anna"

    read = town.anna.get(f"/case-files/{created['id']}")
    assert read.status_code == 200
    assert read.get_json()["reference"] == created["reference"]

    changed = town.anna.patch(
        f"/case-files/{created['id']}",
        {"title": "Gewerbeummeldung Bäckerei Sommer"},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert changed.status_code == 200
    assert changed.get_json()["title"] == "Gewerbeummeldung Bäckerei Sommer"
    assert _ids(town.anna.get("/case-files")) == [created["id"]]

    [event] = audit_events(ports, action="case_file.create")
    assert (event.actor, event.object_id, event.department, event.outcome) == (
        "anna",
        created["id"],
        "32",
        "allowed",
    )
    [update] = audit_events(ports, action="case_file.update")
    assert (update.actor, update.object_id, update.outcome) == ("anna", created["id"], "allowed")


def test_a_reader_reads_but_may_not_create_change_or_close(town, ports):
    case_file = town.case_file()

    read = town.carla.get(f"/case-files/{case_file['id']}")
    assert read.status_code == 200
    assert _ids(town.carla.get("/case-files")) == [case_file["id"]]
    [event] = audit_events(ports, action="case_file.read", actor="carla")
    assert (event.object_id, event.department, event.outcome) == (case_file["id"], "32", "allowed")

    assert_problem(
        town.carla.post("/case-files", {"file_plan": "32.10", "department": "32", "title": "Neu"}),
        403,
        "forbidden",
    )
    assert_problem(_patch(town.carla, case_file, {"title": "Geändert"}), 403, "forbidden")
    assert_problem(town.carla.post(f"/case-files/{case_file['id']}/close"), 403, "forbidden")

    unchanged = town.anna.get(f"/case-files/{case_file['id']}").get_json()
    assert (unchanged["title"], unchanged["status"]) == (case_file["title"], "open")
    assert len(_ids(town.anna.get("/case-files"))) == 1
    for action in ("case_file.create", "case_file.update", "case_file.close"):
        [denied] = audit_events(ports, outcome="denied", action=action)
        assert denied.actor == "carla"
        assert denied.department == "32"
    [denied_close] = audit_events(ports, outcome="denied", action="case_file.close")
    assert denied_close.object_id == case_file["id"]


def test_another_department_cannot_find_the_case_file(town, ports):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"

    assert_problem(town.ben.get(path), 404, "not-found")
    assert_problem(_patch(town.ben, case_file, {"title": "Übernommen"}), 404, "not-found")
    assert_problem(town.ben.post(f"{path}/close"), 404, "not-found")
    assert_problem(town.ben.get(f"{path}/processes"), 404, "not-found")
    assert_problem(town.ben.post(f"{path}/processes", {"title": "Anhörung"}), 404, "not-found")

    assert _ids(town.ben.get("/case-files")) == []
    assert _ids(town.ben.get("/case-files?department=32")) == []
    assert town.anna.get(path).get_json()["status"] == "open"

    for action in ("case_file.read", "case_file.update", "case_file.close", "process.list"):
        [denied] = audit_events(ports, outcome="denied", action=action)
        assert (denied.actor, denied.object_id) == ("ben", case_file["id"])


def test_a_404_does_not_depend_on_whether_the_case_file_exists(town):
    """An outsider learns nothing from the answer: a foreign and a missing id look alike."""
    case_file = town.case_file()
    unknown = "00000000-0000-4000-8000-000000000000"
    foreign = assert_problem(town.ben.get(f"/case-files/{case_file['id']}"), 404, "not-found")
    missing = assert_problem(town.ben.get(f"/case-files/{unknown}"), 404, "not-found")

    assert foreign["title"] == missing["title"]
    assert foreign["detail"].replace(case_file["id"], unknown) == missing["detail"]
    assert case_file["reference"] not in foreign["detail"]


def test_membership_in_a_department_holds_in_its_sub_departments(town):
    case_file = town.case_file(department="32.1")
    assert case_file["department"] == "32.1"

    assert town.carla.get(f"/case-files/{case_file['id']}").status_code == 200
    assert _ids(town.lea.get("/case-files?department=32.1")) == [case_file["id"]]
    assert_problem(town.ben.get(f"/case-files/{case_file['id']}"), 404, "not-found")


def test_membership_in_a_sub_department_does_not_reach_up(town):
    gero = town.person("gero", member=("32.1", "clerk"))
    upstairs = town.case_file(department="32")

    assert_problem(gero.get(f"/case-files/{upstairs['id']}"), 404, "not-found")
    assert_problem(
        gero.post("/case-files", {"file_plan": "32.10", "department": "32", "title": "Neu"}),
        403,
        "forbidden",
    )
    assert town.case_file(gero, department="32.1")["created_by"] == "gero"


def test_an_admin_manages_principals_but_cannot_see_case_files(town, ports):
    case_file = town.case_file()

    assert_problem(town.admin.get(f"/case-files/{case_file['id']}"), 404, "not-found")
    assert _ids(town.admin.get("/case-files")) == []
    response = town.admin.post(
        "/case-files", {"file_plan": "32.10", "department": "32", "title": "Vom Admin"}
    )
    assert_problem(response, 403, "forbidden")

    [denied] = audit_events(ports, outcome="denied", action="case_file.create")
    assert (denied.actor, denied.department) == ("admin", "32")
    [denied_read] = audit_events(ports, outcome="denied", action="case_file.read")
    assert (denied_read.actor, denied_read.object_id) == ("admin", case_file["id"])
    assert len(_ids(town.anna.get("/case-files"))) == 1


@pytest.mark.parametrize("who", ["rita", "audrey"])
def test_records_managers_and_auditors_cannot_read_case_files(town, ports, who):
    case_file = town.case_file()
    caller = getattr(town, who)

    assert_problem(caller.get(f"/case-files/{case_file['id']}"), 404, "not-found")
    assert _ids(caller.get("/case-files")) == []
    assert_problem(
        caller.post("/case-files", {"file_plan": "32.10", "department": "32", "title": "Neu"}),
        403,
        "forbidden",
    )
    [denied] = audit_events(ports, outcome="denied", action="case_file.read")
    assert (denied.actor, denied.object_id) == (who, case_file["id"])


def test_a_lead_manages_grants(town, ports):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}/grants"

    assert town.lea.get(path).get_json() == {"items": [], "next": None}
    created = town.lea.post(path, {"department": "50", "permission": "read"})
    assert created.status_code == 201
    assert [g["department"] for g in town.lea.get(path).get_json()["items"]] == ["50"]

    [event] = audit_events(ports, action="grant.create")
    assert (event.actor, event.object_id, event.department, event.outcome) == (
        "lea",
        case_file["id"],
        "32",
        "allowed",
    )
    assert event.details["grantee_department"] == "50"


def test_a_clerk_may_not_manage_grants_of_their_own_case_file(town, ports):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}/grants"

    assert_problem(town.anna.get(path), 403, "forbidden")
    assert_problem(
        town.anna.post(path, {"department": "50", "permission": "read"}), 403, "forbidden"
    )

    assert_problem(town.ben.get(f"/case-files/{case_file['id']}"), 404, "not-found")
    assert town.lea.get(path).get_json()["items"] == []
    for action in ("grant.list", "grant.create"):
        [denied] = audit_events(ports, outcome="denied", action=action)
        assert (denied.actor, denied.object_id, denied.department) == (
            "anna",
            case_file["id"],
            "32",
        )


def test_an_outsider_cannot_find_the_grants(town, ports):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}/grants"

    assert_problem(town.ben.get(path), 404, "not-found")
    assert_problem(
        town.ben.post(path, {"department": "50", "permission": "write"}), 404, "not-found"
    )

    assert_problem(town.ben.get(f"/case-files/{case_file['id']}"), 404, "not-found")
    for action in ("grant.list", "grant.create"):
        [denied] = audit_events(ports, outcome="denied", action=action)
        assert (denied.actor, denied.object_id) == ("ben", case_file["id"])
