"""Protokoll (auditors) and Verwaltung (admins) in the web client, over the real stack."""

from __future__ import annotations

import html
import json
import re

import pytest
import sqlalchemy as sa

from tests.helpers import audit_events
from tests.web.support import csrf, post_form, sign_in, text_of

PASSWORD = "Lindenhof-Sommer-2026"


def activity(town) -> dict:
    case_file = town.case_file()
    town.ben.get(f"/case-files/{case_file['id']}")  # denied
    town.carla.get("/case-files")
    return case_file


@pytest.fixture
def audrey(browser_for):
    return browser_for("audrey")


@pytest.fixture
def admin(browser_for):
    return browser_for("admin")


# --- Protokoll ---------------------------------------------------------------------


def test_the_auditor_sees_events_in_german_without_links_to_content(town, audrey) -> None:
    case_file = activity(town)
    response = audrey.get("/protokoll")
    assert response.status_code == 200
    page = text_of(response)
    for heading in ("Nr.", "Zeitpunkt", "Person", "Aktion", "Objekt", "Amt", "Ergebnis"):
        assert f'<th scope="col">{heading}</th>' in page
    assert "Akte angelegt" in page and "abgelehnt" in page and "erlaubt" in page
    assert f"Akte {case_file['reference']}" in page and case_file["id"] not in page
    # Europe/Berlin time in German notation, e.g. 05.03.2026 14:07:09
    assert re.search(r"<time datetime=\"[^\"]+\">\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d</time>", page)
    # who did what, never the content: no links to case files or documents, no titles
    main = page.split('<main id="inhalt"', 1)[1]
    assert all(link.startswith("/protokoll") for link in re.findall(r'href="([^"]+)"', main))
    assert "Gewerbeanmeldung Bäckerei Sommer" not in page
    assert 'href="/protokoll/export?format=jsonl"' in page
    assert 'href="/protokoll/export?format=csv"' in page
    assert "Protokoll" in page and 'aria-current="page"' in page


def test_the_auditor_filters_by_action_person_and_outcome(town, audrey) -> None:
    case_file = activity(town)
    page = text_of(audrey.get("/protokoll?aktion=case_file.create"))
    rows = re.findall(r"<tr>\s*<td>\d+</td>.*?</tr>", page, re.S)
    assert rows and all("Akte angelegt" in row for row in rows)
    assert not [row for row in rows if "Aktenliste abgerufen" in row]
    assert '<option value="case_file.create" selected>' in page  # the filter stays filled in
    denied = text_of(audrey.get("/protokoll?person=ben&ergebnis=denied"))
    rows = re.findall(r"<tr>\s*<td>\d+</td>.*?</tr>", denied, re.S)
    assert len(rows) == 1 and case_file["reference"] in rows[0] and "abgelehnt" in rows[0]
    unknown = audrey.get("/protokoll?person=niemand")
    assert unknown.status_code == 422
    assert "Keine Person mit diesem Namen oder Benutzernamen gefunden." in text_of(unknown)


def test_date_filters_are_checked_in_german(town, audrey) -> None:
    activity(town)
    bad = audrey.get("/protokoll?von=gestern")
    assert bad.status_code == 422
    assert "Bitte geben Sie ein Datum ein (TT.MM.JJJJ)" in text_of(bad)
    assert 'aria-invalid="true"' in text_of(bad)
    assert "Akte angelegt</td>" in text_of(audrey.get("/protokoll?von=01.01.2000&bis=2999-12-31"))
    assert "Keine Ereignisse gefunden" in text_of(audrey.get("/protokoll?bis=2000-01-01"))


def test_pages_of_events_follow_the_cursor(town, audrey) -> None:
    for _ in range(30):
        town.carla.get("/case-files")
    first = text_of(audrey.get("/protokoll?person=carla"))
    seqs = [int(s) for s in re.findall(r"<tr>\s*<td>(\d+)</td>", first)]
    assert len(seqs) == 30  # one page holds 50
    for _ in range(30):
        town.carla.get("/case-files")
    first = text_of(audrey.get("/protokoll?person=carla"))
    following = re.search(r'href="(/protokoll\?[^"]*weiter=[^"]+)"', first).group(1)
    assert "person=carla" in following
    second = text_of(audrey.get(html.unescape(following)))
    more = [int(s) for s in re.findall(r"<tr>\s*<td>(\d+)</td>", second)]
    before = [int(s) for s in re.findall(r"<tr>\s*<td>(\d+)</td>", first)]
    assert len(before) == 50 and len(more) == 10 and max(more) < min(before)  # newest first
    assert before == sorted(before, reverse=True)
    assert "Zu den neuesten" in second


def test_verification_is_green_then_red_naming_the_changed_event(town, ports, audrey) -> None:
    activity(town)
    page = text_of(post_form(audrey, "/protokoll", "/protokoll/pruefen", {}))
    match = re.search(r"Protokoll unversehrt \((\d+) Ereignisse geprüft\)", page)
    assert match and int(match.group(1)) > 5
    assert "pruefung-ok" in page and "✔" in page
    assert "Protokoll verändert" not in page

    with ports.session_factory() as session, session.begin():
        session.execute(
            sa.text("UPDATE audit_event SET details = :forged WHERE seq = 4"),
            {"forged": json.dumps({"forged": True})},
        )
    response = post_form(audrey, "/protokoll", "/protokoll/pruefen", {})
    page = text_of(response)
    assert "Protokoll verändert ab Ereignis Nr. 4" in page
    assert "pruefung-fehler" in page and 'role="alert"' in page and "✖" in page
    assert "Protokoll unversehrt" not in page
    verified = audit_events(ports, actor="audrey", action="audit.verify")
    assert [e.outcome for e in verified] == ["allowed", "failed"]


def test_verification_keeps_the_filters_and_needs_the_form_token(town, audrey) -> None:
    activity(town)
    page = audrey.get("/protokoll?aktion=case_file.create").get_data(as_text=True)
    assert 'action="/protokoll/pruefen?aktion=case_file.create"' in page
    assert audrey.post("/protokoll/pruefen", data={}).status_code == 400
    answer = audrey.post("/protokoll/pruefen?aktion=case_file.create", data={"csrf": csrf(page)})
    assert answer.status_code == 200
    assert "Protokoll unversehrt" in text_of(answer)
    assert 'value="case_file.create"' in text_of(answer)


def test_export_streams_jsonl_and_csv_and_is_audited(town, ports, audrey) -> None:
    activity(town)
    jsonl = audrey.get("/protokoll/export?format=jsonl")
    assert jsonl.status_code == 200
    assert jsonl.mimetype == "application/jsonl"
    assert "attachment" in jsonl.headers["Content-Disposition"]
    lines = [json.loads(line) for line in jsonl.get_data(as_text=True).splitlines()]
    assert len(lines) > 5
    assert [line["seq"] for line in lines] == list(range(len(lines)))
    assert {"actor", "action", "leaf_hash", "canonical"} <= set(lines[0])
    rows = audrey.get("/protokoll/export?format=csv").get_data(as_text=True).splitlines()
    assert rows[0].startswith("\ufeffNr.;Zeitpunkt;Person;Benutzername;Aktion")
    assert len(rows) > 5
    exports = audit_events(ports, actor="audrey", action="audit.export")
    assert [e.details["format"] for e in exports] == ["jsonl", "csv"]


def test_others_get_the_german_403_page(browser_for) -> None:
    anna = browser_for("anna")
    for path in ("/protokoll", "/protokoll/export?format=jsonl", "/verwaltung"):
        response = anna.get(path)
        assert response.status_code == 403, path
        assert response.mimetype == "text/html"
        assert "Keine Berechtigung" in text_of(response)
    page = anna.get("/akten").get_data(as_text=True)
    assert 'href="/protokoll"' not in page and 'href="/verwaltung"' not in page
    refused = anna.post("/protokoll/pruefen", data={"csrf": csrf(page)})
    assert refused.status_code == 403
    refused = anna.post(
        "/verwaltung/aemter", data={"csrf": csrf(page), "code": "70", "name": "Umweltamt"}
    )
    assert refused.status_code == 403
    assert "Keine Berechtigung" in text_of(refused)


def test_admins_do_not_read_the_protokoll(admin) -> None:
    assert admin.get("/protokoll").status_code == 403


def test_signed_out_visitors_go_to_the_sign_in_page(client) -> None:
    for path in ("/protokoll", "/verwaltung"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/anmelden")


# --- Verwaltung ----------------------------------------------------------------------


def test_the_admin_sees_departments_and_people(town, admin) -> None:
    response = admin.get("/verwaltung")
    assert response.status_code == 200
    page = text_of(response)
    for words in ("Ämter", "Personen", "Ordnungsamt", "Sozialamt", "Gewerbe"):
        assert words in page
    assert 'href="/verwaltung/personen/anna"' in page
    assert "32: Sachbearbeitung" in page
    assert "Revision (Protokoll)" in page  # audrey's role
    assert 'href="/verwaltung"' in page and 'aria-current="page"' in page


def test_the_admin_creates_a_department_with_a_parent(admin, ports) -> None:
    response = post_form(
        admin,
        "/verwaltung",
        "/verwaltung/aemter",
        {"code": "32.2", "name": "Verkehr", "parent": "32"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/verwaltung?meldung=amt")
    page = text_of(admin.get(response.headers["Location"]))
    assert "Das Amt wurde angelegt." in page
    assert re.search(r"<td>32\.2</td><td>Verkehr</td>\s*<td>32</td>", page)
    assert audit_events(ports, actor="admin", action="department.create")[-1].object_id == "32.2"


def test_department_errors_are_shown_in_german_next_to_the_field(admin) -> None:
    taken = post_form(
        admin, "/verwaltung", "/verwaltung/aemter", {"code": "32", "name": "Noch eins"}
    )
    assert taken.status_code == 409
    page = text_of(taken)
    assert "Dieses Kürzel ist schon vergeben." in page
    assert 'aria-describedby="amt-code-fehler' in page and 'value="Noch eins"' in page
    bad = post_form(admin, "/verwaltung", "/verwaltung/aemter", {"code": "3 2", "name": ""})
    assert bad.status_code == 422
    page = text_of(bad)
    assert "Bitte ein Kürzel aus Ziffern oder Buchstaben" in page and "Bitte ausfüllen." in page
    unknown = post_form(
        admin, "/verwaltung", "/verwaltung/aemter", {"code": "99", "name": "X", "parent": "98"}
    )
    assert unknown.status_code == 422
    assert "Dieses übergeordnete Amt gibt es nicht." in text_of(unknown)


def test_forms_without_the_csrf_token_are_refused(admin) -> None:
    for path, data in (
        ("/verwaltung/aemter", {"code": "70", "name": "Umweltamt"}),
        ("/verwaltung/personen", {"username": "otto", "display_name": "Otto", "kind": "user"}),
        ("/verwaltung/personen/anna/schluessel", {}),
    ):
        response = admin.post(path, data=data)
        assert response.status_code == 400, path
        assert "Formular" in text_of(response)
    assert "Umweltamt" not in text_of(admin.get("/verwaltung"))


def test_a_new_user_gets_a_password_a_membership_and_a_role_then_signs_in(
    app, admin, ports
) -> None:
    created = post_form(
        admin,
        "/verwaltung",
        "/verwaltung/personen",
        {"username": "m.mueller", "display_name": "Maria Müller", "kind": "user"},
    )
    assert created.status_code == 302
    person_page = "/verwaltung/personen/m.mueller"
    assert created.headers["Location"].startswith(person_page)
    page = text_of(admin.get(created.headers["Location"]))
    assert "Die Person wurde angelegt." in page and "Maria Müller" in page
    assert "Noch kein Passwort" in page

    weak = post_form(admin, person_page, f"{person_page}/passwort", {"passwort": "kurz"})
    assert weak.status_code == 422
    assert "Mindestens 12 Zeichen." in text_of(weak)
    same = post_form(
        admin, person_page, f"{person_page}/passwort", {"passwort": "xx-m.mueller-xx-2026"}
    )
    assert "darf den Benutzernamen nicht enthalten" in text_of(same)
    done = post_form(admin, person_page, f"{person_page}/passwort", {"passwort": PASSWORD})
    assert done.status_code == 302
    assert "Das vorläufige Passwort wurde gesetzt" in text_of(admin.get(done.headers["Location"]))

    joined = post_form(
        admin,
        person_page,
        f"{person_page}/mitgliedschaften",
        {"department": "50", "role": "clerk"},
    )
    assert joined.status_code == 302
    granted = post_form(admin, person_page, f"{person_page}/rollen", {"role": "records_manager"})
    assert granted.status_code == 302
    page = text_of(admin.get(person_page))
    assert "50 Sozialamt" in page and "Sachbearbeitung" in page
    assert "Schriftgutverwaltung (Aufbewahrung)" in page
    actions = [e.action for e in audit_events(ports, actor="admin", object_id="m.mueller")]
    for action in ("principal.create", "principal.password_set", "membership.add", "role.grant"):
        assert action in actions

    maria = app.test_client()
    assert sign_in(maria, "m.mueller", PASSWORD).status_code == 302
    # The admin's password is temporary: Maria chooses her own first.
    assert maria.get("/akten").headers["Location"] == "/passwort"
    # The header says who is signed in ("Angemeldet als" for screen readers only).
    assert "Angemeldet als </span>Maria Müller" in text_of(maria.get("/passwort"))


def test_memberships_and_roles_are_removed_again(admin, ports) -> None:
    page_path = "/verwaltung/personen/anna"
    page = text_of(admin.get(page_path))
    assert "32 Ordnungsamt" in page
    removed = post_form(admin, page_path, f"{page_path}/mitgliedschaften/32/entfernen", {})
    assert removed.status_code == 302
    page = text_of(admin.get(removed.headers["Location"]))
    assert "Die Mitgliedschaft wurde beendet." in page and "Noch in keinem Amt." in page

    post_form(admin, page_path, f"{page_path}/rollen", {"role": "auditor"})
    revoked = post_form(admin, page_path, f"{page_path}/rollen/auditor/entziehen", {})
    assert revoked.status_code == 302
    assert "Keine besonderen Rollen." in text_of(admin.get(page_path))
    own = post_form(
        admin,
        "/verwaltung/personen/admin",
        "/verwaltung/personen/admin/rollen/admin/entziehen",
        {},
    )
    assert own.status_code == 403
    assert "immer eine andere Person" in text_of(own)
    removals = audit_events(ports, actor="admin", action="membership.remove")
    assert removals[-1].department == "32"


def test_a_service_account_token_is_shown_once_and_never_again(admin, client, ports) -> None:
    created = post_form(
        admin,
        "/verwaltung",
        "/verwaltung/personen",
        {"username": "fachverfahren", "display_name": "Gewerbe-Fachverfahren", "kind": "service"},
    )
    assert created.status_code == 302
    page_path = "/verwaltung/personen/fachverfahren"
    page = text_of(admin.get(page_path))
    assert "Dienstkonto" in page
    assert 'id="passwort"' not in page  # service accounts have no password
    shown = post_form(admin, page_path, f"{page_path}/schluessel", {})
    assert shown.status_code == 201
    assert "no-store" in shown.headers["Cache-Control"]
    answer = text_of(shown)
    assert "Jetzt kopieren – er wird nicht noch einmal angezeigt" in answer
    token = re.search(r'value="(eakte_[^"]+)"', answer).group(1)

    # the token works against the API ...
    works = client.get("/api/v1/departments", headers={"Authorization": f"Bearer {token}"})
    assert works.status_code == 200
    # ... and is never shown again
    listing = text_of(admin.get(page_path))
    assert token not in listing and token[6:20] not in listing
    assert "gültig" in listing
    assert token not in text_of(admin.get("/verwaltung"))

    revoke = re.search(r'action="(/verwaltung/personen/fachverfahren/schluessel/[^"]+)"', listing)
    done = post_form(admin, page_path, revoke.group(1), {})
    assert done.status_code == 302
    assert "widerrufen" in text_of(admin.get(page_path))
    refused = client.get("/api/v1/departments", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert audit_events(ports, actor="admin", action="token.revoke")


def test_a_token_with_an_end_date_in_the_past_is_refused_in_german(admin) -> None:
    page_path = "/verwaltung/personen/admin"
    refused = post_form(admin, page_path, f"{page_path}/schluessel", {"bis": "2000-01-01"})
    assert refused.status_code == 422
    page = text_of(refused)
    assert "Das Datum muss in der Zukunft liegen." in page
    assert "eakte_" not in page


def test_new_person_errors_are_shown_in_german(admin) -> None:
    taken = post_form(
        admin,
        "/verwaltung",
        "/verwaltung/personen",
        {"username": "anna", "display_name": "Noch eine Anna", "kind": "user"},
    )
    assert taken.status_code == 409
    assert "Diesen Benutzernamen gibt es schon." in text_of(taken)
    bad = post_form(
        admin,
        "/verwaltung",
        "/verwaltung/personen",
        {"username": "Anna Müller", "display_name": "", "kind": "robot"},
    )
    assert bad.status_code == 422
    page = text_of(bad)
    assert "Kleinbuchstaben" in page and "Bitte ausfüllen." in page
    assert "Bitte wählen Sie die Art des Kontos." in page


def test_an_unknown_person_is_a_german_404(admin) -> None:
    response = admin.get("/verwaltung/personen/niemand")
    assert response.status_code == 404
    assert "Nicht gefunden" in text_of(response)
