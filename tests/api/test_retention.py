"""Retention clock, legal holds, the retention run and four-eyes destruction, through the API.

Decisions with nothing to see over HTTP are tested on the use cases
(tests/services/test_retention.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest

from eakte.evidence.signing import verify_signature
from eakte.models import CaseFile, Tombstone
from eakte.services import retention
from tests.api.support import closed_file, drain, search, stored_version
from tests.helpers import assert_problem, audit_events


@pytest.fixture
def rolf(town):
    """A second records manager, for the four eyes."""
    return town.person("rolf", roles=["records_manager"])


def run_as_system(system, as_of: dt.date):
    return retention.run_retention(system, as_of=as_of)


def test_a_rule_change_reevaluates_closed_files_and_is_audited(town, ports) -> None:
    closed, _ = closed_file(town)
    year = int(closed["closed_at"][:4])
    assert_problem(town.ben.patch("/file-plan/50.30", {"retention_years": 30}), 403)
    response = town.rita.patch("/file-plan/50.30", {"retention_years": 30})
    assert response.status_code == 200
    assert response.get_json()["retention_years"] == 30
    assert response.headers["X-Reevaluated-Case-Files"] == "1"
    assert town.ben.get(f"/case-files/{closed['id']}").get_json()["retain_until"] == (
        f"{year + 30}-12-31"
    )
    event = audit_events(ports, action="file_plan.update")[-1]
    assert event.details["case_files_reevaluated"] == 1


def test_legal_holds_are_placed_listed_released_and_audited(town, ports) -> None:
    closed, _ = closed_file(town)
    body = {"case_file": closed["id"], "reason": "Klageverfahren VG Musterstadt 3 K 12/26"}
    assert_problem(town.ben.post("/legal-holds", body), 403)
    placed = town.rita.post("/legal-holds", body)
    assert placed.status_code == 201
    hold = placed.get_json()
    assert hold["active"] is True and hold["placed_by"] == "rita"
    listed = town.rita.get("/legal-holds", query_string={"active": "true"}).get_json()["items"]
    assert [h["id"] for h in listed] == [hold["id"]]
    assert_problem(town.rita.post(f"/legal-holds/{hold['id']}/release", {}), 422)
    released = town.rita.post(f"/legal-holds/{hold['id']}/release", {"reason": "Verfahren beendet"})
    assert released.get_json()["active"] is False
    assert_problem(town.rita.post(f"/legal-holds/{hold['id']}/release", {"reason": "x"}), 409)
    events = audit_events(ports, object_type="legal_hold")
    assert [(e.action, e.outcome) for e in events] == [
        ("legal_hold.place", "allowed"),
        ("legal_hold.release", "allowed"),
        ("legal_hold.release", "denied"),  # the second release
    ]


def test_the_run_proposes_due_unheld_files_once(town, system) -> None:
    due, _ = closed_file(town)
    held, _ = closed_file(town, title="Wohngeld Familie Winter")
    not_due = town.case_file(title="Noch offen")
    town.rita.post("/legal-holds", {"case_file": held["id"], "reason": "Prüfung"})
    as_of = dt.date.fromisoformat(due["retain_until"]) + dt.timedelta(days=1)
    dry = retention.run_retention(system, as_of=as_of, dry_run=True)
    assert (dry.proposed, dry.held, dry.proposals) == (1, 1, [])
    first = run_as_system(system, as_of)
    assert (first.proposed, first.held, len(first.proposals)) == (1, 1, 1)
    again = run_as_system(system, as_of)
    assert (again.proposed, again.proposals) == (0, [])
    [proposal] = town.rita.get("/disposition/proposals").get_json()["items"]
    assert [item["reference"] for item in proposal["items"]] == [due["reference"]]
    assert proposal["created_by"] == "system:retention-run"
    assert proposal["approvals"] == [] and proposal["approvals_needed"] == 2
    assert not_due["reference"] not in json.dumps(proposal)


def test_four_eyes_destroy_the_file_and_leave_a_tombstone_and_certificate(
    town,
    ports,
    system,
    rolf,
) -> None:
    closed, document = closed_file(town)
    drain(ports)
    assert search(town.ben, "Wohngeldantrag").get_json()["total"] == 1
    stored = stored_version(ports, document["id"])
    as_of = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    [proposal_id] = run_as_system(system, as_of).proposals

    first = town.rita.post(f"/disposition/proposals/{proposal_id}/approve")
    assert first.status_code == 200
    assert first.get_json()["status"] == "pending"
    assert town.ben.get(f"/documents/{document['id']}/content").status_code == 200
    twice = town.rita.post(f"/disposition/proposals/{proposal_id}/approve")
    assert "second records manager" in assert_problem(twice, 403)["detail"]
    assert_problem(town.ben.post(f"/disposition/proposals/{proposal_id}/approve"), 403)

    done = rolf.post(f"/disposition/proposals/{proposal_id}/approve")
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "completed"
    assert [item["state"] for item in body["items"]] == ["destroyed"]

    for path in (
        f"/case-files/{closed['id']}",
        f"/documents/{document['id']}",
        f"/documents/{document['id']}/content",
        f"/documents/{document['id']}/versions",
    ):
        problem = assert_problem(town.ben.get(path), 410, "gone")
        assert proposal_id.hex[:8] in problem["detail"].replace("-", "")
        assert "destroyed" in problem["detail"]
    assert stored.object_key not in set(ports.blob_store.keys_older_than("v1", _tomorrow()))
    drain(ports)
    assert search(town.ben, "Wohngeldantrag").get_json()["total"] == 0

    certificate = town.rita.get(f"/disposition/proposals/{proposal_id}/certificate").get_json()
    signed = certificate["certificate"].encode()
    assert verify_signature(
        certificate["public_key"], signed, base64.b64decode(certificate["signature"])
    )
    content = json.loads(signed)
    assert [a["username"] for a in content["approvers"]] == ["rita", "rolf"]
    assert content["case_files"][0]["reference"] == closed["reference"]
    assert content["case_files"][0]["destroyed"][0]["sha256"] == stored.sha256
    assert town.audrey.get("/audit/verify").get_json()["ok"] is True
    with ports.session_factory() as session:
        tombstone = session.get(Tombstone, uuid.UUID(closed["id"]))
        case_file = session.get(CaseFile, uuid.UUID(closed["id"]))
        assert (tombstone.reference, tombstone.disposition) == (closed["reference"], "destroy")
        assert tombstone.approvers == ["rita", "rolf"]
        assert tombstone.destroyed == content["case_files"][0]["destroyed"]
        assert case_file.title == ""  # personal metadata removed; the reference stays
    actions = {e.action for e in audit_events(ports)}
    assert {"case_file.dispose", "disposition.certificate"} <= actions


def _tomorrow() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=1)


def test_a_proposal_by_a_person_needs_one_more_approval(town, ports, rolf) -> None:
    closed, document = closed_file(town)
    as_of = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    ran = town.rita.post("/retention/run", {"as_of": as_of.isoformat()}).get_json()
    [proposal_id] = ran["proposals"]
    proposal = town.rita.get(f"/disposition/proposals/{proposal_id}").get_json()
    assert [a["by"] for a in proposal["approvals"]] == ["rita"]
    assert_problem(town.rita.post(f"/disposition/proposals/{proposal_id}/approve"), 403)
    assert rolf.post(f"/disposition/proposals/{proposal_id}/approve").get_json()["status"] == (
        "completed"
    )
    assert_problem(town.ben.get(f"/documents/{document['id']}"), 410)


def test_a_hold_placed_after_the_proposal_keeps_the_file(town, system, rolf) -> None:
    closed, document = closed_file(town)
    as_of = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    [proposal_id] = run_as_system(system, as_of).proposals
    town.rita.post("/legal-holds", {"case_file": closed["id"], "reason": "Akteneinsicht"})
    town.rita.post(f"/disposition/proposals/{proposal_id}/approve")
    body = rolf.post(f"/disposition/proposals/{proposal_id}/approve").get_json()
    [item] = body["items"]
    assert item["state"] == "skipped"
    assert "legal hold" in item["note"]
    assert town.ben.get(f"/documents/{document['id']}/content").status_code == 200


def test_a_rejected_proposal_keeps_the_files_and_is_not_repeated(town, system) -> None:
    closed, document = closed_file(town)
    as_of = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    [proposal_id] = run_as_system(system, as_of).proposals
    assert_problem(town.rita.post(f"/disposition/proposals/{proposal_id}/reject", {}), 422)
    rejected = town.rita.post(
        f"/disposition/proposals/{proposal_id}/reject", {"reason": "Archiv prüft noch"}
    ).get_json()
    assert rejected["status"] == "rejected"
    assert rejected["items"][0]["note"] == "proposal rejected: Archiv prüft noch"
    assert_problem(town.rita.post(f"/disposition/proposals/{proposal_id}/approve"), 409)
    assert run_as_system(system, as_of).proposed == 0
    assert town.ben.get(f"/documents/{document['id']}/content").status_code == 200


def test_bad_input_changes_nothing(town) -> None:
    assert_problem(town.rita.get("/retention/due", query_string={"as_of": "gestern"}), 422)
    assert_problem(town.rita.post("/legal-holds", {"case_file": "x", "reason": "r"}), 422)
    unknown = {"case_file": "00000000-0000-0000-0000-000000000000", "reason": "r"}
    assert_problem(town.rita.post("/legal-holds", unknown), 422)
    assert_problem(town.rita.patch("/file-plan/50.30", {"disposition": "verbrennen"}), 422)
    assert_problem(town.rita.patch("/file-plan/50.30", {"retention_years": -1}), 422)
    assert_problem(town.rita.post("/disposition/proposals/not-a-uuid/approve"), 404)
    assert_problem(
        town.rita.post("/disposition/proposals/00000000-0000-0000-0000-000000000000/approve"),
        404,
    )


def test_a_run_may_look_past_today_only_as_a_preview(town, ports, clock) -> None:
    closed, document = closed_file(town, long_ago=False)  # due in seven years
    future = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    problem = assert_problem(town.rita.post("/retention/run", {"as_of": future.isoformat()}), 422)
    assert [error["pointer"] for error in problem["errors"]] == ["#/as_of"]
    assert "dry run" in problem["detail"]
    assert town.rita.get("/disposition/proposals").get_json()["items"] == []
    [denied] = [e for e in audit_events(ports, action="retention.run") if e.outcome == "denied"]
    assert denied.actor == "rita"
    preview = town.rita.post("/retention/run", {"as_of": future.isoformat(), "dry_run": True})
    assert preview.status_code == 200
    assert (preview.get_json()["proposed"], preview.get_json()["proposals"]) == (1, [])
    assert town.rita.get("/disposition/proposals").get_json()["items"] == []
    assert town.ben.get(f"/documents/{document['id']}/content").status_code == 200

    # "Today" is the municipality's day: 23:30 UTC is already tomorrow in Berlin.
    evening = clock().replace(hour=23, minute=30, second=0) - dt.timedelta(days=2)
    clock.set(evening)
    berlin_today = (evening + dt.timedelta(days=1)).date()
    allowed = town.rita.post("/retention/run", {"as_of": berlin_today.isoformat()})
    assert allowed.status_code == 200 and allowed.get_json()["proposed"] == 0
    day_after = (berlin_today + dt.timedelta(days=1)).isoformat()
    assert_problem(town.rita.post("/retention/run", {"as_of": day_after}), 422)


def test_nothing_is_destroyed_before_its_date_whatever_the_proposal_said(
    town,
    ports,
    system,
    rolf,
) -> None:
    closed, document = closed_file(town)
    [proposal_id] = retention.run_retention(system).proposals  # due today
    # The period grows after the proposal was made: the file runs until 30 years on.
    assert town.rita.patch("/file-plan/50.30", {"retention_years": 30}).status_code == 200
    town.rita.post(f"/disposition/proposals/{proposal_id}/approve")
    body = rolf.post(f"/disposition/proposals/{proposal_id}/approve").get_json()
    assert body["status"] == "completed"
    [item] = body["items"]
    assert item["state"] == "skipped"
    assert "has not run out" in item["note"]
    content = town.ben.get(f"/documents/{document['id']}/content")
    assert content.status_code == 200
    assert content.data == "Die Wohngeldanträge liegen vor.".encode()
    assert town.ben.get(f"/case-files/{closed['id']}").get_json()["status"] == "closed"
    [skipped] = audit_events(ports, action="case_file.dispose", object_id=closed["id"])
    assert skipped.details["outcome_note"].startswith("skipped: its retention period")
    certificate = town.rita.get(f"/disposition/proposals/{proposal_id}/certificate").get_json()
    assert json.loads(certificate["certificate"])["case_files"][0]["destroyed"] == []


def test_the_due_list_hides_confidential_titles_from_who_may_not_read_them(town) -> None:
    plain, _ = closed_file(town)
    secret, _ = closed_file(town, title="Wohngeld Familie Geheim", confidential=True)
    listed = town.rita.get("/retention/due").get_json()["items"]
    rows = {item["reference"]: item for item in listed}
    assert rows[plain["reference"]]["title"] == "Wohngeldantrag Familie Sommer"
    assert rows[secret["reference"]]["title"] is None
    assert rows[secret["reference"]]["confidential"] is True
    assert rows[secret["reference"]]["retain_until"] == secret["retain_until"]
    assert "Geheim" not in json.dumps(listed)
