"""Every refusal leaves a `denied` event; idempotent replays are audited and re-check access."""

from __future__ import annotations

import io
import uuid

from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests.api.support import add_version, upload
from tests.helpers import assert_problem, audit_events


def _denied(ports, action: str) -> list:
    return [e for e in audit_events(ports, action=action) if e.outcome == "denied"]


def test_withdrawing_an_unknown_grant_is_a_denied_event(town, ports):
    case_file = town.case_file()
    missing = uuid.uuid4()
    assert_problem(town.lea.delete(f"/case-files/{case_file['id']}/grants/{missing}"), 404)
    [event] = _denied(ports, "grant.delete")
    assert (event.actor, event.object_id, event.department) == ("lea", str(missing), "32")


def test_releasing_an_unknown_or_released_hold_is_a_denied_event(town, ports):
    case_file = town.case_file()
    assert_problem(town.rita.post(f"/legal-holds/{uuid.uuid4()}/release", {"reason": "x"}), 404)
    hold = town.rita.post("/legal-holds", {"case_file": case_file["id"], "reason": "Klage"})
    path = f"/legal-holds/{hold.get_json()['id']}/release"
    assert town.rita.post(path, {"reason": "Verfahren beendet"}).status_code == 200
    assert_problem(town.rita.post(path, {"reason": "noch einmal"}), 409)
    denied = _denied(ports, "legal_hold.release")
    assert [e.details["reason"] for e in denied] == ["not-found", "conflict"]
    assert denied[-1].department == "32"


def test_filing_into_a_closed_case_file_is_a_denied_event(town, ports):
    case_file = town.case_file()
    document = upload(town.anna, case_file["id"], b"Bescheid").get_json()
    assert town.anna.post(f"/case-files/{case_file['id']}/close").status_code == 200
    assert_problem(upload(town.anna, case_file["id"], b"Nachtrag"), 409, "case-file-closed")
    assert_problem(add_version(town.anna, document["id"], b"v2"), 409, "case-file-closed")
    assert [e.details["reason"] for e in _denied(ports, "document.create")] == ["case-file-closed"]
    [event] = _denied(ports, "document.add_version")
    assert (event.object_id, event.department) == (document["id"], "32")


def test_an_unknown_version_is_a_denied_event(town, ports):
    case_file = town.case_file()
    document = upload(town.anna, case_file["id"], b"Bescheid").get_json()
    assert_problem(town.anna.get(f"/documents/{document['id']}/versions/9/content"), 404)
    [event] = _denied(ports, "document.download")
    assert (event.actor, event.object_id) == ("anna", document["id"])


def test_a_form_without_csrf_token_is_a_denied_event_without_the_token(app, town, ports):
    browser = app.test_client()
    forged = browser.post("/anmelden", data={"benutzername": "anna", "passwort": "x"})
    assert forged.status_code == 400
    assert "Formular" in forged.get_data(as_text=True)
    browser.set_cookie("eakte_formular", "cookie-wert-123")
    wrong = browser.post(
        "/anmelden", data={"csrf": "falscher-wert-456", "benutzername": "anna", "passwort": "x"}
    )
    assert wrong.status_code == 400
    events = _denied(ports, "web.csrf")
    assert len(events) == 2
    assert {(e.object_type, e.object_id) for e in events} == {("web_form", "web.sign_in")}
    logged = str([(e.object_id, e.details) for e in events])
    assert "cookie-wert" not in logged and "falscher" not in logged
    assert not audit_events(ports, action="auth.sign_in")  # the form was never looked at


def test_a_replay_is_audited_and_a_caller_who_lost_access_is_refused(town, ports):
    case_file = town.case_file(title="Bauantrag Lindenstraße 4")
    path = f"/case-files/{case_file['id']}"
    grant = town.lea.post(f"{path}/grants", {"principal": "ben", "permission": "write"})
    assert grant.status_code == 201

    def file_it():
        fields = {"file": FileStorage(io.BytesIO(b"Stellungnahme Amt 50"), "stellungnahme.txt")}
        return post_multipart_with_key(town.ben, f"{path}/documents", fields, "amt50-0815")

    first = file_it()
    assert first.status_code == 201
    again = file_it()
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    [replayed] = audit_events(ports, action="idempotency.replay")
    assert replayed.actor == "ben" and replayed.outcome == "allowed"
    assert replayed.object_id == "documents.CaseFileDocuments"
    assert replayed.details == {
        "location": first.headers["Location"],
        "status": 201,
        "token_issued_by": "system:test",  # ben's token came from the operator's channel
    }

    withdrawn = town.lea.delete(f"{path}/grants/{grant.get_json()['id']}")
    assert withdrawn.status_code == 204
    fresh = upload(town.ben, case_file["id"], b"Stellungnahme Amt 50")
    refused = file_it()
    assert refused.status_code == fresh.status_code == 404
    body = assert_problem(refused, 404, "not-found")
    assert body["detail"] == fresh.get_json()["detail"]
    assert "stellungnahme" not in refused.get_data(as_text=True)
    assert len(audit_events(ports, action="idempotency.replay")) == 1
    assert len(_denied(ports, "document.create")) == 2  # the fresh one and the replay


def test_a_replayed_case_file_creation_rechecks_the_department_role(town, ports):
    body = {"file_plan": "32.10", "department": "32", "title": "Gewerbeanmeldung Café Linde"}
    headers = {"Idempotency-Key": "portal-1"}
    assert town.anna.post("/case-files", body, headers=headers).status_code == 201
    assert town.anna.post("/case-files", body, headers=headers).status_code == 201
    assert town.admin.delete("/principals/anna/memberships/32").status_code == 204
    fresh = town.anna.post("/case-files", body)
    refused = town.anna.post("/case-files", body, headers=headers)
    assert_problem(fresh, 403, "forbidden")
    assert assert_problem(refused, 403, "forbidden")["detail"] == fresh.get_json()["detail"]
    assert "Café Linde" not in refused.get_data(as_text=True)
    assert len(audit_events(ports, action="idempotency.replay")) == 1


def post_multipart_with_key(who, path: str, fields: dict, key: str):
    boundary, body = encode_multipart(fields, boundary="eakte-test")  # same bytes each time
    return who.client.post(
        "/api/v1" + path,
        data=body,
        headers={"Authorization": f"Bearer {who.token}", "Idempotency-Key": key},
        content_type=f"multipart/form-data; boundary={boundary}",
    )
