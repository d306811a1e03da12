"""No one alone: an admin (or any one person) cannot give itself a way to content.

Each test is an attack path that worked before issue 13: an admin's own membership
or role, a token minted for a user, a service account put into a department, a
records_manager grant without a second records manager, a token that never expires,
a password reset that leaves the user's tokens alive, a principal that cannot be
stopped. Who confirms a membership or a role is tested on the use cases
(tests/services/test_memberships_and_roles.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from eakte.services import tokens
from tests.api.support import upload
from tests.helpers import ApiClient, assert_problem, audit_events

SECRET = b"Gewerbeuntersagung: vertrauliche Angaben zur Zuverlaessigkeit"


@pytest.fixture
def document(town):
    """A document in Ordnungsamt 32 (which has a lead, lea), and its content path."""
    case_file = town.case_file()
    response = upload(town.anna, case_file["id"], SECRET, title="Anhörung")
    assert response.status_code == 201, response.get_json()
    return {"case_file": case_file, "content": f"/documents/{response.get_json()['id']}/content"}


def _denied(ports, action: str, who: str = "admin") -> list:
    return [e for e in audit_events(ports, action=action, outcome="denied") if e.actor == who]


def test_an_admin_changes_neither_its_own_memberships_nor_its_own_roles(town, document, ports):
    body = {"department": "32", "role": "reader"}
    assert_problem(
        town.admin.post("/principals/admin/memberships", body), 403, "separation-of-duties"
    )
    assert_problem(
        town.admin.post("/principals/admin/roles", {"role": "auditor"}),
        403,
        "separation-of-duties",
    )
    assert_problem(town.admin.get(document["content"]), 404, "not-found")
    own = town.admin.get("/principals/admin").get_json()
    assert own["memberships"] == [] and own["roles"] == ["admin"]
    assert _denied(ports, "membership.add") and _denied(ports, "role.grant")


def test_an_admin_mints_tokens_for_service_accounts_and_itself_never_for_a_user(town, ports):
    assert_problem(town.admin.post("/principals/anna/tokens", {}), 403, "separation-of-duties")
    assert _denied(ports, "token.create")
    town.admin.post("/principals", {"username": "portal", "display_name": "P", "kind": "service"})
    minted = town.admin.post("/principals/portal/tokens", {})
    assert minted.status_code == 201
    assert town.admin.post("/principals/admin/tokens", {}).status_code == 201
    issued = {t["issued_by"] for t in town.admin.get("/principals/portal/tokens").get_json()}
    assert issued == {"admin"}


def test_a_membership_waits_for_a_lead_of_the_department_and_opens_nothing_before(
    town, document, ports
):
    """The admin's own service account put into Amt 32: pending until lea confirms."""
    town.admin.post("/principals", {"username": "robot", "display_name": "R", "kind": "service"})
    added = town.admin.post("/principals/robot/memberships", {"department": "32", "role": "clerk"})
    assert added.status_code == 201
    assert added.get_json()["state"] == "pending"
    robot = ApiClient(
        town.client, town.admin.post("/principals/robot/tokens", {}).get_json()["token"]
    )

    assert_problem(robot.get(document["content"]), 404, "not-found")
    assert robot.get(f"/case-files/{document['case_file']['id']}").status_code == 404
    assert robot.get("/case-files").get_json()["items"] == []

    # Neither the admin, nor a clerk of 32, nor robot itself confirms it; a lead does.
    approve = "/principals/robot/memberships/32/approve"
    assert_problem(town.admin.post(approve), 403, "forbidden")
    assert_problem(town.anna.post(approve), 403, "forbidden")
    assert_problem(town.ben.post(approve), 403, "forbidden")
    assert_problem(robot.post(approve), 403)
    confirmed = town.lea.post(approve)
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json() | {"requested_by": "admin", "approved_by": "lea"} == {
        "department": "32",
        "role": "clerk",
        "state": "active",
        "pending_role": None,
        "requested_by": "admin",
        "approved_by": "lea",
    }
    assert robot.get(document["content"]).data == SECRET
    assert_problem(town.lea.post(approve), 409, "conflict")


def test_only_records_manager_grants_have_an_approve_address(town):
    """The rules of who confirms what are tested on the use cases (tests/services)."""
    town.person("rolf")
    town.admin.post("/principals/rolf/roles", {"role": "records_manager"})
    assert_problem(town.rita.post("/principals/rolf/roles/auditor/approve"), 404)


def test_token_lifetime_is_capped_except_for_service_accounts_minted_by_an_admin(
    town, ports, clock
):
    now = dt.datetime(2026, 12, 6, 9, tzinfo=dt.UTC)
    clock.set(now)
    far = (now + dt.timedelta(days=366)).isoformat()
    near = (now + dt.timedelta(days=364)).isoformat()
    assert_problem(town.anna.post("/principals/anna/tokens", {"expires_at": far}), 422)
    assert_problem(town.anna.post("/principals/anna/tokens", {"never_expires": True}), 422)
    assert town.anna.post("/principals/anna/tokens", {"expires_at": near}).status_code == 201

    town.admin.post("/principals", {"username": "erp", "display_name": "ERP", "kind": "service"})
    long = town.admin.post("/principals/erp/tokens", {"expires_at": far})
    assert long.status_code == 201
    forever = town.admin.post("/principals/erp/tokens", {"never_expires": True})
    assert forever.status_code == 201 and forever.get_json()["expires_at"] is None
    erp = ApiClient(town.client, forever.get_json()["token"])
    assert_problem(erp.post("/principals/erp/tokens", {"expires_at": far}), 422)


def test_an_admin_reset_is_temporary_and_ends_the_users_tokens_and_sessions(town, ports):
    response = town.admin.post("/principals/anna/password", {"password": "Vorlaeufig-2026!"})
    assert response.status_code == 204
    assert_problem(town.anna.get("/case-files"), 401, "unauthenticated")
    shown = town.admin.get("/principals/anna").get_json()
    assert shown["password_temporary"] is True
    (event,) = audit_events(ports, action="principal.password_set")
    assert event.details["temporary"] is True and event.details["tokens_revoked"] == 1

    # Anna (from a fresh token the operator gives her) replaces it with the current one.
    anna = ApiClient(town.client, tokens.create_token(town.system, "anna")[0])
    assert_problem(anna.post("/principals/anna/password", {"password": "Neues-Passwort-77"}), 422)
    changed = anna.post(
        "/principals/anna/password",
        {"password": "Neues-Passwort-77", "current_password": "Vorlaeufig-2026!"},
    )
    assert changed.status_code == 204
    assert anna.get("/principals/anna").get_json()["password_temporary"] is False
    # The admin cannot set its own password without the current one either.
    assert_problem(
        town.admin.post("/principals/admin/password", {"password": "Admin-Passwort-99"}), 422
    )


def test_events_with_a_token_someone_else_minted_name_both(town, ports):
    town.admin.post("/principals", {"username": "erp", "display_name": "ERP", "kind": "service"})
    erp = ApiClient(town.client, town.admin.post("/principals/erp/tokens", {}).get_json()["token"])
    assert erp.get("/departments").status_code == 200
    (event,) = audit_events(ports, action="department.list", actor="erp")
    assert event.details["token_issued_by"] == "admin"
    own = ApiClient(town.client, erp.post("/principals/erp/tokens", {}).get_json()["token"])
    own.get("/departments")
    latest = audit_events(ports, action="department.list", actor="erp")[-1]
    assert "token_issued_by" not in latest.details


def test_a_deactivated_principal_is_stopped_at_once_and_its_history_stays(town, ports):
    case_file = town.case_file()
    assert town.anna.get(f"/case-files/{case_file['id']}").status_code == 200
    assert_problem(town.admin.post("/principals/admin/deactivate"), 403, "separation-of-duties")
    assert_problem(town.anna.post("/principals/ben/deactivate"), 403, "forbidden")

    response = town.admin.post("/principals/anna/deactivate")
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert_problem(town.anna.get(f"/case-files/{case_file['id']}"), 401)
    assert audit_events(ports, action="case_file.create", actor="anna")

    assert town.admin.post("/principals/anna/reactivate").get_json()["active"] is True
    assert_problem(town.anna.get("/case-files"), 401)  # old tokens stay revoked
    fresh = ApiClient(town.client, tokens.create_token(town.system, "anna")[0])
    assert fresh.get(f"/case-files/{case_file['id']}").status_code == 200


def test_no_path_gives_an_admin_alone_a_documents_content(town, document, ports):
    """Every path of issue 13 point 1, one after the other, as one admin would try."""
    content = document["content"]
    attempts = [
        town.admin.post("/principals/admin/memberships", {"department": "32", "role": "lead"}),
        town.admin.post("/principals/admin/roles", {"role": "records_manager"}),
        town.admin.post("/principals/anna/tokens", {}),
        town.admin.post("/principals/lea/tokens", {}),
    ]
    assert [a.status_code for a in attempts] == [403, 403, 403, 403]
    town.admin.post("/principals", {"username": "helfer", "display_name": "H", "kind": "service"})
    town.admin.post("/principals/helfer/memberships", {"department": "32", "role": "lead"})
    helfer = ApiClient(
        town.client, town.admin.post("/principals/helfer/tokens", {}).get_json()["token"]
    )
    assert_problem(helfer.get(content), 404)
    assert_problem(helfer.post("/principals/helfer/memberships/32/approve"), 403)
    # A password reset ends anna's tokens; the temporary password opens no API.
    town.admin.post("/principals/anna/password", {"password": "Uebernahme-2026!"})
    assert_problem(town.anna.get(content), 401)
    assert_problem(town.admin.get(content), 404)
