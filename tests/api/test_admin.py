"""Admin and records-manager work: departments, principals, memberships, roles, the file plan."""

from __future__ import annotations

import pytest

from tests.helpers import assert_problem, table_counts

# --- departments -------------------------------------------------------------------------


def test_admin_creates_a_department(town):
    created = town.admin.post("/departments", {"code": "20", "name": "Kämmerei"})
    assert created.status_code == 201
    assert created.get_json()["code"] == "20"
    assert created.get_json()["parent"] is None
    assert created.headers["Location"].endswith("/api/v1/departments/20")

    child = town.admin.post("/departments", {"code": "20.1", "name": "Stadtkasse", "parent": "20"})
    assert child.status_code == 201
    fetched = town.anna.get("/departments/20.1")  # everyone signed in may read
    assert fetched.status_code == 200
    assert fetched.get_json() == child.get_json()
    assert fetched.get_json()["parent"] == "20"
    assert fetched.get_json()["name"] == "Stadtkasse"


def test_a_duplicate_department_code_is_a_conflict_and_changes_nothing(town, ports):
    before = table_counts(ports)
    assert_problem(
        town.admin.post("/departments", {"code": "32", "name": "Anderes Amt"}), 409, "conflict"
    )
    assert town.admin.get("/departments/32").get_json()["name"] == "Ordnungsamt"
    assert table_counts(ports) == before


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"code": "33", "name": "Bürgeramt", "parent": "99"}, "#/parent"),
        ({"code": "33 1", "name": "Bürgeramt"}, "#/code"),
        ({"code": "33.", "name": "Bürgeramt"}, "#/code"),
        ({"code": "../33", "name": "Bürgeramt"}, "#/code"),
        ({"code": "", "name": "Bürgeramt"}, "#/code"),
        ({"code": "33", "name": " "}, "#/name"),
        ({"code": "33"}, "#/name"),
        ({"code": "33", "name": "Bürgeramt", "head": "Frau Schulz"}, "#/head"),
    ],
    ids=[
        "unknown-parent",
        "space",
        "trailing-dot",
        "path",
        "empty",
        "blank-name",
        "no-name",
        "unknown-field",
    ],
)
def test_bad_department_input_is_rejected_and_changes_nothing(town, ports, body, pointer):
    before = table_counts(ports)
    problem = assert_problem(town.admin.post("/departments", body), 422, "invalid-input")
    assert pointer in [item.get("pointer") for item in problem["errors"]]
    assert table_counts(ports) == before


def test_only_admins_create_departments(town, ports):
    before = table_counts(ports)
    for who in (town.lea, town.rita, town.audrey):
        assert_problem(
            who.post("/departments", {"code": "33", "name": "Bürgeramt"}), 403, "forbidden"
        )
    assert table_counts(ports) == before
    assert_problem(town.anna.get("/departments/33"), 404, "not-found")


def test_departments_list_is_paginated_and_ordered_by_code(town):
    for body in (
        {"code": "60", "name": "Bauamt"},
        {"code": "20", "name": "Kämmerei"},
        {"code": "20.1", "name": "Stadtkasse", "parent": "20"},
        {"code": "10", "name": "Hauptamt"},
    ):
        assert town.admin.post("/departments", body).status_code == 201
    expected = ["10", "20", "20.1", "32", "32.1", "50", "60"]

    codes: list[str] = []
    path = "/departments?limit=3"
    for _ in range(10):
        page = town.anna.get(path).get_json()
        assert len(page["items"]) <= 3
        codes += [item["code"] for item in page["items"]]
        if page["next"] is None:
            break
        path = f"/departments?limit=3&cursor={page['next']}"
    assert codes == expected
    assert [d["code"] for d in town.anna.get("/departments").get_json()["items"]] == expected


def test_an_unknown_department_is_not_found(town):
    assert_problem(town.anna.get("/departments/99"), 404, "not-found")


def test_departments_need_a_token(client, town):
    assert_problem(client.get("/api/v1/departments"), 401, "unauthenticated")


# --- principals --------------------------------------------------------------------------


def test_admin_creates_a_user_and_a_service_account(town):
    user = town.admin.post(
        "/principals", {"username": "sven", "display_name": "Sven Krüger", "kind": "user"}
    )
    assert user.status_code == 201
    assert user.headers["Location"].endswith("/api/v1/principals/sven")
    service = town.admin.post(
        "/principals",
        {"username": "buergerportal", "display_name": "Bürgerportal", "kind": "service"},
    )
    assert service.status_code == 201

    fetched = town.admin.get("/principals/buergerportal").get_json()
    assert fetched["kind"] == "service"
    assert fetched["display_name"] == "Bürgerportal"
    assert fetched["memberships"] == [] and fetched["roles"] == []
    usernames = [p["username"] for p in town.admin.get("/principals?limit=500").get_json()["items"]]
    assert {"sven", "buergerportal"} <= set(usernames)
    assert usernames == sorted(usernames)


def test_a_duplicate_username_is_a_conflict(town, ports):
    before = table_counts(ports)
    duplicate = town.admin.post(
        "/principals", {"username": "anna", "display_name": "Andere Anna", "kind": "user"}
    )
    assert_problem(duplicate, 409, "conflict")
    assert town.admin.get("/principals/anna").get_json()["display_name"] == "Anna"
    assert table_counts(ports) == before


@pytest.mark.parametrize(
    "username",
    ["Anna", "anna maria", "a", "-anna", "anna/../admin", "ännä", "x" * 65],
)
def test_an_invalid_username_is_rejected(town, ports, username):
    before = table_counts(ports)
    response = town.admin.post(
        "/principals", {"username": username, "display_name": "X", "kind": "user"}
    )
    problem = assert_problem(response, 422, "invalid-input")
    assert "#/username" in [item.get("pointer") for item in problem["errors"]]
    assert table_counts(ports) == before


def test_an_unknown_principal_kind_is_rejected(town, ports):
    before = table_counts(ports)
    response = town.admin.post(
        "/principals", {"username": "robot", "display_name": "Robot", "kind": "robot"}
    )
    assert_problem(response, 422, "invalid-input")
    assert table_counts(ports) == before


def test_only_admins_list_or_create_principals(town, ports):
    assert_problem(town.anna.get("/principals"), 403, "forbidden")
    assert_problem(town.audrey.get("/principals"), 403, "forbidden")
    before = table_counts(ports)
    assert_problem(
        town.lea.post("/principals", {"username": "mallory", "display_name": "M", "kind": "user"}),
        403,
        "forbidden",
    )
    assert table_counts(ports) == before


def test_a_user_reads_their_own_principal_but_nobody_elses(town):
    own = town.anna.get("/principals/anna")
    assert own.status_code == 200
    assert [_brief(m) for m in own.get_json()["memberships"]] == [
        {"department": "32", "role": "clerk", "state": "active"}
    ]
    assert_problem(town.anna.get("/principals/ben"), 403, "forbidden")
    assert_problem(town.anna.get("/principals/admin"), 403, "forbidden")
    assert_problem(town.admin.get("/principals/nobody"), 404, "not-found")


# --- memberships -------------------------------------------------------------------------


def _brief(membership: dict) -> dict:
    return {key: membership[key] for key in ("department", "role", "state")}


def test_a_membership_role_change_changes_what_the_user_may_do(town):
    """A promotion in Amt 32 (which has a lead) holds once lea confirms it."""
    body = {"file_plan": "32.10", "department": "32", "title": "Von Carla"}
    assert_problem(town.carla.post("/case-files", body), 403, "forbidden")

    changed = town.admin.post(
        "/principals/carla/memberships", {"department": "32", "role": "clerk"}
    )
    assert changed.status_code == 200
    assert changed.get_json()["role"] == "reader"
    assert changed.get_json()["pending_role"] == "clerk"
    assert_problem(town.carla.post("/case-files", body), 403, "forbidden")
    assert town.lea.post("/principals/carla/memberships/32/approve").status_code == 200
    assert [_brief(m) for m in town.admin.get("/principals/carla").get_json()["memberships"]] == [
        {"department": "32", "role": "clerk", "state": "active"}
    ]
    assert town.carla.post("/case-files", body).status_code == 201


def test_a_demotion_holds_at_once(town):
    changed = town.admin.post(
        "/principals/anna/memberships", {"department": "32", "role": "reader"}
    )
    assert changed.status_code == 200
    assert _brief(changed.get_json()) == {"department": "32", "role": "reader", "state": "active"}
    body = {"file_plan": "32.10", "department": "32", "title": "Von Anna"}
    assert_problem(town.anna.post("/case-files", body), 403, "forbidden")


def test_a_new_membership_gives_access_to_the_department(town):
    case_file = town.case_file(town.ben, file_plan="50.30", department="50")
    assert_problem(town.anna.get(f"/case-files/{case_file['id']}"), 404, "not-found")

    added = town.admin.post("/principals/anna/memberships", {"department": "50", "role": "reader"})
    assert added.status_code == 201
    # Amt 50 has no lead yet: the membership holds at once.
    assert _brief(added.get_json()) == {"department": "50", "role": "reader", "state": "active"}
    assert town.anna.get(f"/case-files/{case_file['id']}").status_code == 200
    memberships = town.anna.get("/principals/anna").get_json()["memberships"]
    assert sorted((_brief(m) for m in memberships), key=lambda m: m["department"]) == [
        {"department": "32", "role": "clerk", "state": "active"},
        {"department": "50", "role": "reader", "state": "active"},
    ]


def test_deleting_a_membership_by_path_takes_access_away(town):
    case_file = town.case_file()
    assert town.carla.get(f"/case-files/{case_file['id']}").status_code == 200

    assert town.admin.delete("/principals/carla/memberships/32").status_code == 204
    assert_problem(town.carla.get(f"/case-files/{case_file['id']}"), 404, "not-found")
    assert town.admin.get("/principals/carla").get_json()["memberships"] == []
    # a second delete finds nothing to end
    assert_problem(town.admin.delete("/principals/carla/memberships/32"), 404, "not-found")


def test_deleting_a_membership_by_body_takes_access_away(town):
    case_file = town.case_file()
    response = town.admin.delete("/principals/carla/memberships", json={"department": "32"})
    assert response.status_code == 204
    assert_problem(town.carla.get(f"/case-files/{case_file['id']}"), 404, "not-found")
    assert town.carla.get("/case-files").get_json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"department": "32", "role": "boss"},
        {"department": "99", "role": "clerk"},
        {"department": "32"},
    ],
    ids=["unknown-role", "unknown-department", "no-role"],
)
def test_bad_membership_input_is_rejected(town, ports, body):
    before = table_counts(ports)
    assert_problem(town.admin.post("/principals/carla/memberships", body), 422, "invalid-input")
    assert [_brief(m) for m in town.admin.get("/principals/carla").get_json()["memberships"]] == [
        {"department": "32", "role": "reader", "state": "active"}
    ]
    assert table_counts(ports) == before


def test_only_admins_manage_memberships(town, ports):
    before = table_counts(ports)
    assert_problem(
        town.lea.post("/principals/carla/memberships", {"department": "32", "role": "lead"}),
        403,
        "forbidden",
    )
    assert_problem(town.lea.delete("/principals/carla/memberships/32"), 403, "forbidden")
    assert table_counts(ports) == before


def test_a_membership_for_an_unknown_principal_is_not_found(town):
    assert_problem(
        town.admin.post("/principals/nobody/memberships", {"department": "32", "role": "clerk"}),
        404,
        "not-found",
    )


# --- global roles ------------------------------------------------------------------------


def test_global_roles_are_granted_once_and_revoked(town):
    path = "/principals/anna/roles"
    assert town.admin.post(path, {"role": "records_manager"}).status_code == 201
    again = town.admin.post(path, {"role": "records_manager"})
    assert again.status_code == 200 and again.get_json()["state"] == "pending"
    assert town.admin.get("/principals/anna").get_json()["roles"] == []
    assert town.rita.post(f"{path}/records_manager/approve").status_code == 200
    assert town.admin.get("/principals/anna").get_json()["roles"] == ["records_manager"]
    node = {
        "code": "32.20",
        "title": "Gaststätten",
        "retention_years": 10,
        "disposition": "archive",
    }
    assert town.anna.post("/file-plan", node).status_code == 201

    assert town.admin.delete(f"{path}/records_manager").status_code == 204
    assert town.admin.get("/principals/anna").get_json()["roles"] == []
    assert_problem(town.anna.post("/file-plan", {**node, "code": "32.30"}), 403, "forbidden")
    assert_problem(town.admin.delete(f"{path}/records_manager"), 404, "not-found")


@pytest.mark.parametrize("role", ["superuser", "clerk", "ADMIN", ""])
def test_an_invalid_global_role_is_rejected(town, ports, role):
    before = table_counts(ports)
    assert_problem(town.admin.post("/principals/anna/roles", {"role": role}), 422, "invalid-input")
    assert table_counts(ports) == before


def test_only_admins_grant_roles(town, ports):
    before = table_counts(ports)
    assert_problem(
        town.rita.post("/principals/anna/roles", {"role": "records_manager"}), 403, "forbidden"
    )
    assert_problem(town.anna.post("/principals/anna/roles", {"role": "admin"}), 403, "forbidden")
    assert table_counts(ports) == before


def test_an_admin_cannot_remove_their_own_admin_role(town):
    assert_problem(town.admin.delete("/principals/admin/roles/admin"), 403, "separation-of-duties")
    assert town.admin.get("/principals/admin").get_json()["roles"] == ["admin"]
    assert town.admin.get("/principals").status_code == 200


def test_an_admin_can_remove_another_admins_role(town):
    assert town.admin.post("/principals/lea/roles", {"role": "admin"}).status_code == 201
    assert town.admin.delete("/principals/lea/roles/admin").status_code == 204
    assert_problem(town.lea.get("/principals"), 403, "forbidden")


# --- file plan ---------------------------------------------------------------------------


def test_records_manager_builds_a_nested_file_plan(town):
    parent = town.rita.post(
        "/file-plan",
        {"code": "32.20", "title": "Gaststätten", "retention_years": 10, "disposition": "archive"},
    )
    assert parent.status_code == 201
    assert parent.headers["Location"].endswith("/api/v1/file-plan/32.20")
    child = town.rita.post(
        "/file-plan",
        {
            "code": "32.20.1",
            "title": "Konzessionen",
            "parent": "32.20",
            "retention_years": 30,
            "disposition": "destroy",
        },
    )
    assert child.status_code == 201
    assert child.get_json()["parent"] == "32.20"

    tree = town.anna.get("/file-plan")
    assert tree.status_code == 200
    roots = tree.get_json()["items"]
    assert [node["code"] for node in roots] == ["32.10", "32.20", "50.30"]
    node = roots[1]
    assert node["children"][0]["code"] == "32.20.1"
    assert node["children"][0]["retention_years"] == 30
    assert node["children"][0]["disposition"] == "destroy"
    assert node["children"][0]["children"] == []
    assert roots[0]["children"] == []


def test_a_case_file_under_a_child_node_gets_its_code_in_the_reference(town):
    node = {
        "code": "32.10.5",
        "title": "Reisegewerbe",
        "parent": "32.10",
        "retention_years": 5,
        "disposition": "destroy",
    }
    assert town.rita.post("/file-plan", node).status_code == 201
    case_file = town.case_file(file_plan="32.10.5")
    assert case_file["reference"].startswith("32.10.5-0001/")
    assert case_file["retention_years"] == 5


def test_clerks_cannot_change_the_file_plan(town, ports):
    before = table_counts(ports)
    node = {
        "code": "32.20",
        "title": "Gaststätten",
        "retention_years": 10,
        "disposition": "archive",
    }
    assert_problem(town.anna.post("/file-plan", node), 403, "forbidden")
    assert_problem(
        town.admin.post("/file-plan", node), 403, "forbidden"
    )  # admin is not records manager
    assert table_counts(ports) == before


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"retention_years": -1}, "#/retention_years"),
        ({"retention_years": "10"}, "#/retention_years"),
        ({"retention_years": 10.5}, "#/retention_years"),
        ({"retention_years": None}, "#/retention_years"),
        ({"disposition": "shred"}, "#/disposition"),
        ({"parent": "99"}, "#/parent"),
        ({"title": ""}, "#/title"),
        ({"code": "32 20"}, "#/code"),
    ],
    ids=[
        "negative-years",
        "string-years",
        "fractional-years",
        "null-years",
        "shred",
        "unknown-parent",
        "no-title",
        "bad-code",
    ],
)
def test_bad_file_plan_input_is_rejected_and_changes_nothing(town, ports, change, pointer):
    before = table_counts(ports)
    body = {
        "code": "32.20",
        "title": "Gaststätten",
        "retention_years": 10,
        "disposition": "archive",
        **change,
    }
    problem = assert_problem(town.rita.post("/file-plan", body), 422, "invalid-input")
    assert pointer in [item.get("pointer") for item in problem["errors"]]
    assert table_counts(ports) == before


def test_a_duplicate_file_plan_code_is_a_conflict(town, ports):
    before = table_counts(ports)
    duplicate = {
        "code": "32.10",
        "title": "Doppelt",
        "retention_years": 1,
        "disposition": "destroy",
    }
    assert_problem(town.rita.post("/file-plan", duplicate), 409, "conflict")
    assert table_counts(ports) == before
    node = town.anna.get("/file-plan/32.10").get_json()
    assert (node["title"], node["retention_years"], node["disposition"]) == (
        "Gewerbeangelegenheiten",
        10,
        "archive",
    )


def test_an_unknown_file_plan_node_is_not_found(town):
    assert_problem(town.anna.get("/file-plan/99.99"), 404, "not-found")
