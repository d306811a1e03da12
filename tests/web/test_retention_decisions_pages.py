"""Aufbewahrung as the Registratur reads it: plurals, previews, the question before
anything is destroyed, "already approved", and the certificate PDF for the paper file."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from eakte.services import retention
from eakte.web.formatting import count_text
from tests.api.support import closed_file
from tests.helpers import audit_events, years_ago
from tests.web.support import approve_proposal, csrf, post_form

MUNICIPALITY = "Gemeinde Lindenhof"


@pytest.fixture
def storage_env() -> dict[str, str]:
    """The conftest's hook for extra settings: here the municipality's name."""
    return {"EAKTE_ARCHIVE_SENDER": MUNICIPALITY}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def due_day(closed: dict) -> dt.date:
    return dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)


def test_counts_are_said_in_the_right_number() -> None:
    assert count_text(0, "Akte", "Akten") == "0 Akten"
    assert count_text(1, "Akte", "Akten") == "1 Akte"
    assert count_text(2, "Akte", "Akten") == "2 Akten"


def test_a_future_stichtag_is_a_preview_and_the_run_proposes_nothing(browser_for, town) -> None:
    later, _ = closed_file(town, "Wohngeld Familie Winter", long_ago=False)  # due in 7 years
    due_now, _ = closed_file(town)
    future = due_day(later)
    rita = browser_for("rita")
    page = text(rita.get("/aufbewahrung", query_string={"stichtag": future.isoformat()}))
    words = re.sub(r"<[^>]+>", "", page)
    assert f"Vorschau: am {future:%d.%m.%Y} wären 2 Akten fällig" in words
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    [later_row] = [row for row in rows if later["reference"] in row]
    [now_row] = [row for row in rows if due_now["reference"] in row]
    assert "Vorschau: noch nicht fällig" in later_row
    assert not re.search(r">\s*fällig\s*<", later_row)
    assert re.search(r">\s*fällig\s*<", now_row)  # due today already: said so
    assert "Vorschau berechnen (schlägt nichts vor)" in page
    assert "Retention-Lauf starten" not in page

    ran = rita.post("/aufbewahrung/lauf", data={"csrf": csrf(page), "stichtag": str(future)})
    page = text(rita.get(ran.headers["Location"]))
    assert "vorzuschlagen wären 2 Akten" in page and "zurückgehalten würden 0 Akten" in page
    assert "Keine Aussonderungsvorschläge." in page
    assert town.rita.get("/disposition/proposals").get_json()["items"] == []

    today = text(rita.get("/aufbewahrung"))
    assert 'id="vorschau"' not in today and "Vorschau: noch nicht fällig" not in today
    assert "Retention-Lauf starten" in today


def test_the_deciding_approval_asks_first_and_destroys_only_when_confirmed(
    browser_for, town, ports, system
) -> None:
    closed, _ = closed_file(town)
    town.person("rolf", roles=["records_manager"])
    rita = browser_for("rita")
    ran = post_form(rita, "/aufbewahrung", "/aufbewahrung/lauf", {"stichtag": ""})
    page = text(rita.get(ran.headers["Location"]))
    assert "Vorgeschlagen: 1 Akte; wegen Aussonderungssperre zurückgehalten: 0 Akten." in page
    assert "1 Akte in diesem Vorschlag" in page
    [proposal_id] = re.findall(r'id="vorschlag-([0-9a-f-]{36})"', page)

    rolf = browser_for("rolf")
    path = f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben"
    asked = post_form(rolf, "/aufbewahrung", path, {})
    assert asked.status_code == 200
    question = text(asked)
    assert "<h1>Vernichtung freigeben</h1>" in question
    assert "Mit Ihrer Freigabe, der zweiten, wird 1 Akte sofort vernichtet." in question
    assert "Das lässt sich nicht rückgängig machen." in question
    assert closed["reference"] in question and "Wohngeldantrag Familie Sommer" in question
    assert "Ja, freigeben und 1 Akte vernichten" in question
    assert 'name="bestaetigt" value="ja"' in question and 'name="csrf"' in question
    assert f'href="/aufbewahrung#vorschlag-{proposal_id}">Abbrechen' in question
    # Nothing has happened yet: no approval, no disposition, the file is there.
    assert "1 von 2" in text(rolf.get("/aufbewahrung"))
    assert audit_events(ports, action="case_file.dispose") == []
    assert [e.actor_id for e in audit_events(ports, action="disposition.approve")] == []
    assert town.ben.get(f"/case-files/{closed['id']}").status_code == 200

    done = rolf.post(path, data={"csrf": csrf(question), "bestaetigt": "ja"})
    assert done.status_code == 302
    assert "freigegeben und ausgeführt" in text(rolf.get(done.headers["Location"]))
    assert len(audit_events(ports, action="case_file.dispose")) == 1
    assert town.ben.get(f"/case-files/{closed['id']}").status_code == 410


def test_a_first_approval_needs_no_question(browser_for, town, system) -> None:
    closed, _ = closed_file(town)
    [proposal_id] = retention.run_retention(system, as_of=due_day(closed)).proposals
    rita = browser_for("rita")
    saved = post_form(
        rita, "/aufbewahrung", f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben", {}
    )
    assert saved.status_code == 302
    page = text(rita.get(saved.headers["Location"]))
    assert "Eine zweite Person muss noch freigeben" in page and "1 von 2" in page


def test_approving_twice_from_a_stale_tab_says_so_in_german(browser_for, town, system) -> None:
    closed, _ = closed_file(town)
    [proposal_id] = retention.run_retention(system, as_of=due_day(closed)).proposals
    rita = browser_for("rita")
    stale = rita.get("/aufbewahrung").get_data(as_text=True)  # the tab opened before
    path = f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben"
    assert rita.post(path, data={"csrf": csrf(stale)}).status_code == 302
    again = rita.post(path, data={"csrf": csrf(stale)})
    assert again.status_code == 409
    page = text(again)
    assert (
        "Sie haben diesen Vorschlag bereits freigegeben; eine zweite Person muss freigeben." in page
    )
    assert f'id="freigabe-{proposal_id}-fehler"' in page
    assert "Keine Berechtigung" not in page


def test_the_archives_uebernahme_with_an_empty_box_is_confirmed_as_all_taken(
    browser_for, town, system, ports
) -> None:
    with years_ago(town.client):
        first = town.case_file(title="Gewerbeanmeldung Bäckerei Sommer")
        second = town.case_file(title="Gewerbeanmeldung Café Winter")
        for case_file in (first, second):
            assert town.anna.post(f"/case-files/{case_file['id']}/close").status_code == 200
    closed = town.anna.get(f"/case-files/{first['id']}").get_json()
    town.person("rolf", roles=["records_manager"])
    [proposal_id] = retention.run_retention(system, as_of=due_day(closed)).proposals
    rita, rolf = browser_for("rita"), browser_for("rolf")
    assert approve_proposal(rita, proposal_id).status_code == 302
    path = f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben"
    handover = post_form(rolf, "/aufbewahrung", path, {})
    assert "<h1>Abgabe an das Archiv freigeben</h1>" in text(handover)
    assert "werden 2 Akten sofort an das Archiv abgegeben" in text(handover)
    rolf.post(path, data={"csrf": csrf(text(handover)), "bestaetigt": "ja"})

    path = f"/aufbewahrung/vorschlaege/{proposal_id}/uebernahme"
    all_taken = post_form(rita, "/aufbewahrung", path, {"nicht_uebernommen": "  "})
    assert all_taken.status_code == 200
    page = text(all_taken)
    assert "Sie bestätigen: Das Archiv hat alle 2 Akten übernommen." in page
    assert "Ja, alle übernommen – hier vernichten" in page
    assert audit_events(ports, action="disposition.confirm_archive") == []
    assert town.anna.get(f"/case-files/{first['id']}").status_code == 200

    one_kept = post_form(rita, "/aufbewahrung", path, {"nicht_uebernommen": second["reference"]})
    page = text(one_kept)
    assert "Das Archiv hat 1 Akte übernommen, 1 Akte nicht." in page
    assert "Ja, Übernahme bestätigen und 1 Akte vernichten" in page
    assert f'name="nicht_uebernommen" value="{second["reference"]}"' in page
    done = rita.post(
        path,
        data={"csrf": csrf(page), "nicht_uebernommen": second["reference"], "bestaetigt": "ja"},
    )
    assert done.status_code == 302
    assert town.anna.get(f"/case-files/{first['id']}").status_code == 410
    assert town.anna.get(f"/case-files/{second['id']}").status_code == 200


def pdf_text(data: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_the_certificate_pdf_is_fit_for_the_paper_file(browser_for, town, ports) -> None:
    destroyed, _ = closed_file(town)
    kept, _ = closed_file(town, "Wohngeld Familie Winter")
    secret, _ = closed_file(town, "Wohngeld Familie Geheim", confidential=True)
    town.person("rolf", roles=["records_manager"])
    rita = browser_for("rita")
    ran = post_form(rita, "/aufbewahrung", "/aufbewahrung/lauf", {"stichtag": ""})
    page = text(rita.get(ran.headers["Location"]))
    assert "Vorgeschlagen: 3 Akten" in page
    [proposal_id] = re.findall(r'id="vorschlag-([0-9a-f-]{36})"', page)
    for case_file in (kept, secret):  # held after proposing: they stay, with their titles
        body = {"case_file": case_file["id"], "reason": "Klageverfahren"}
        assert town.rita.post("/legal-holds", body).status_code == 201
    assert approve_proposal(browser_for("rolf"), proposal_id).status_code == 302

    response = rita.get(f"/aufbewahrung/vorschlaege/{proposal_id}/nachweis")
    assert response.mimetype == "application/pdf"
    sheet = pdf_text(response.get_data())
    assert sheet.lstrip().startswith(MUNICIPALITY)
    assert "Vernichtungsnachweis" in sheet
    assert "Rita (rita)" in sheet and "Rolf (rolf)" in sheet
    for case_file in (destroyed, kept, secret):
        assert case_file["reference"] in sheet
    assert "Titel: Wohngeld Familie Winter" in sheet
    assert "Wohngeld Familie Geheim" not in sheet and "Titel: vertraulich" in sheet
    assert "Wohngeldantrag Familie Sommer" not in sheet  # destroyed with the file
    assert "Vermerk: Aussonderungssperre: die Akte bleibt erhalten." in sheet
    assert re.search(r"Ausgeführt am\s*\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr", sheet), sheet
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", sheet)  # no UTC instants
    assert "Dokument 1, Version 1, SHA-256" in sheet
    assert destroyed["id"] not in sheet

    # The signed JSON is the record as before: usernames and UTC, untouched.
    signed = rita.get(f"/aufbewahrung/vorschlaege/{proposal_id}/nachweis?format=json")
    assert '"username": "rita"' in signed.get_json()["certificate"].replace('":"', '": "')
    assert "Rita (rita)" not in signed.get_json()["certificate"]
