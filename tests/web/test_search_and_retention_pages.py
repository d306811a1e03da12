"""The Suche and Aufbewahrung pages over the real stack: rights, escaping, four eyes, PDFs."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from eakte.services import retention
from tests.api.support import LETTER, closed_file, drain, upload_text
from tests.helpers import years_ago
from tests.web.support import approve_proposal, csrf


def text(response) -> str:
    return response.get_data(as_text=True)


# -- Suche -------------------------------------------------------------------------


@pytest.fixture
def letter(town, ports):
    case_file = town.case_file(title="Bauantrag Sommer")
    document = upload_text(town.anna, case_file["id"], LETTER, title="Bescheid Bauantrag")
    drain(ports)
    return case_file, document


def test_anna_finds_the_letter_with_marked_words_and_links(browser_for, letter) -> None:
    case_file, document = letter
    anna = browser_for("anna")
    response = anna.get("/suche", query_string={"q": "Genehmigung"})
    assert response.status_code == 200
    page = text(response)
    assert "1 Treffer" in page
    assert "<mark>Genehmigungen</mark>" in page
    assert case_file["reference"] in page and "Bescheid Bauantrag" in page
    assert "bescheid.txt" in page
    assert f'href="/akten/{case_file["id"]}"' in page
    assert f'href="/dokumente/{document["id"]}"' in page
    assert 'label for="q">Suchbegriff</label>' in page


def test_ben_of_another_department_sees_no_hit_and_no_snippet(browser_for, letter) -> None:
    case_file, _ = letter
    page = text(browser_for("ben").get("/suche", query_string={"q": "Genehmigung"}))
    assert "0 Treffer" in page
    assert "<mark>" not in page and "Genehmigungen" not in page
    assert case_file["reference"] not in page and "Bescheid Bauantrag" not in page


def test_markup_in_a_document_is_shown_escaped(browser_for, town, ports) -> None:
    case_file = town.case_file()
    # An HTML page whose text (after extraction) holds a literal script tag.
    page_text = (
        "<html><body><p>Widerspruch: der Antragsteller schrieb "
        "&lt;script&gt;alert(1)&lt;/script&gt; in das Formular.</p></body></html>"
    )
    upload_text(
        town.anna,
        case_file["id"],
        page_text,
        title='Titel <img src=x onerror="alert(1)">',
        filename="<i>name</i>.html",
    )
    drain(ports)
    page = text(browser_for("anna").get("/suche", query_string={"q": "Widerspruch"}))
    assert "1 Treffer" in page and "<mark>Widerspruch</mark>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    scripts = re.findall(r"<script[^>]*>", page)
    assert scripts == ['<script src="/static/kopf.js">']  # only our own header script
    assert "<img" not in page and "<i>" not in page


def test_filters_narrow_the_search_and_keep_their_values(browser_for, letter) -> None:
    anna = browser_for("anna")
    pdf_only = text(anna.get("/suche", query_string={"q": "Genehmigung", "art": "application/pdf"}))
    assert "0 Treffer" in pdf_only
    assert '<option value="application/pdf" selected>' in pdf_only
    text_only = anna.get(
        "/suche", query_string={"q": "Genehmigung", "art": "text/plain", "amt": "32"}
    )
    assert "1 Treffer" in text(text_only)
    other = text(anna.get("/suche", query_string={"q": "Genehmigung", "aktenplan": "50.30"}))
    assert "0 Treffer" in other
    bad = anna.get("/suche", query_string={"q": "Genehmigung", "von": "gestern"})
    assert bad.status_code == 400
    assert "Bitte geben Sie ein Datum ein" in text(bad)


def test_an_unclosed_quote_is_explained_in_german_next_to_the_field(browser_for, letter) -> None:
    response = browser_for("anna").get("/suche", query_string={"q": '"Grundstück in'})
    assert response.status_code == 400
    page = text(response)
    assert "Anführungszeichen" in page
    assert 'aria-describedby="q-fehler"' in page and 'id="q-fehler"' in page
    assert "not closed" not in page and "Treffer" not in page


def test_results_are_paged_with_the_next_cursor(browser_for, town, ports) -> None:
    from eakte.web import search as search_page

    case_file = town.case_file()
    for number in range(search_page.PAGE_SIZE + 2):
        upload_text(town.anna, case_file["id"], f"Genehmigung Nummer {number}")
    drain(ports)
    anna = browser_for("anna")
    first = text(anna.get("/suche", query_string={"q": "Genehmigung"}))
    assert f"{search_page.PAGE_SIZE + 2} Treffer" in first
    assert first.count('class="fundstellen"') == search_page.PAGE_SIZE
    link = html.unescape(re.search(r'href="(/suche\?[^"]*weiter=[^"]+)">Weitere', first).group(1))
    second = text(anna.get(link))
    assert second.count('class="fundstellen"') == 2
    assert "Weitere Treffer</a>" not in second and "Zum Anfang der Treffer" in second


def test_the_search_page_needs_sign_in(client) -> None:
    response = client.get("/suche?q=Genehmigung")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden")


# -- Aufbewahrung -----------------------------------------------------------------


def form_csrf(browser) -> str:
    return csrf(text(browser.get("/aufbewahrung")))


def proposal_ids(page: str) -> list[str]:
    return re.findall(r'id="vorschlag-([0-9a-f-]{36})"', page)


@pytest.fixture
def due_file(town):
    closed, _ = closed_file(town)
    as_of = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    return closed, as_of


def test_rita_sees_due_files_places_and_releases_a_hold(
    browser_for, town, system, due_file
) -> None:
    closed, as_of = due_file
    rita = browser_for("rita")
    page = text(rita.get("/aufbewahrung", query_string={"stichtag": as_of.isoformat()}))
    assert "Fällige Akten" in page and closed["reference"] in page
    assert "Wohngeldantrag Familie Sommer" in page and "vernichten" in page
    assert "Keine aktiven Aussonderungssperren" in page
    token = csrf(page)

    missing_reason = rita.post(
        "/aufbewahrung/sperren",
        data={"csrf": token, "akte": closed["id"], "grund": " ", "formular": "sperre"},
    )
    assert missing_reason.status_code == 422
    assert "Bitte geben Sie einen Grund an." in text(missing_reason)

    placed = rita.post(
        "/aufbewahrung/sperren",
        data={
            "csrf": token,
            "akte": closed["id"],
            "grund": "Klageverfahren VG 3 K 12/26",
            "formular": f"sperre-{closed['id']}",
        },
    )
    assert placed.status_code == 302
    page = text(rita.get(placed.headers["Location"]))
    assert "Die Aussonderungssperre ist gesetzt." in page
    assert "Klageverfahren VG 3 K 12/26" in page
    hold_id = re.search(r"/aufbewahrung/sperren/([0-9a-f-]{36})/aufheben", page).group(1)

    # A held file is not proposed by the run.
    assert retention.run_retention(system, as_of=as_of).proposed == 0

    released = rita.post(
        f"/aufbewahrung/sperren/{hold_id}/aufheben",
        data={"csrf": token, "grund": "Verfahren beendet"},
    )
    assert released.status_code == 302
    page = text(rita.get(released.headers["Location"]))
    assert "Die Aussonderungssperre ist aufgehoben." in page
    assert "Keine aktiven Aussonderungssperren" in page


def test_a_hold_by_aktenzeichen_or_the_address_of_the_case_file(browser_for, town) -> None:
    case_file = town.case_file(title="Noch offen")
    other = town.case_file(title="Auch offen")
    rita = browser_for("rita")
    token = form_csrf(rita)
    unknown = rita.post(
        "/aufbewahrung/sperren",
        data={"csrf": token, "akte": "99.99-0001/2026", "grund": "Prüfung", "formular": "sperre"},
    )
    assert unknown.status_code == 422
    assert "Diese Akte gibt es nicht" in text(unknown)
    by_reference = rita.post(
        "/aufbewahrung/sperren",
        data={"csrf": token, "akte": other["reference"], "grund": "Prüfung", "formular": "sperre"},
    )
    assert by_reference.status_code == 302
    assert other["reference"] in text(rita.get("/aufbewahrung"))
    placed = rita.post(
        "/aufbewahrung/sperren",
        data={
            "csrf": token,
            "akte": f"http://127.0.0.1:8000/akten/{case_file['id']}",
            "grund": "Prüfung",
            "formular": "sperre",
        },
    )
    assert placed.status_code == 302
    assert case_file["reference"] in text(rita.get("/aufbewahrung"))


def test_four_eyes_destroy_and_the_certificate_pdf(browser_for, town, ports, due_file) -> None:
    closed, as_of = due_file
    town.person("rolf", roles=["records_manager"])
    rita = browser_for("rita")
    token = form_csrf(rita)
    ran = rita.post("/aufbewahrung/lauf", data={"csrf": token, "stichtag": as_of.isoformat()})
    assert ran.status_code == 302
    page = text(rita.get(ran.headers["Location"]))
    assert "Der Retention-Lauf ist abgeschlossen. Vorgeschlagen: 1 Akte;" in page
    [proposal_id] = proposal_ids(page)
    assert "wartet auf Freigabe" in page and "1 von 2" in page
    assert "Sie haben bereits freigegeben" in page  # the run counted as rita's approval
    assert f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben" not in page

    rolf = browser_for("rolf")
    page = text(rolf.get("/aufbewahrung"))
    assert f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben" in page
    approved = approve_proposal(rolf, proposal_id)  # with its confirmation page
    assert approved.status_code == 302
    page = text(rolf.get(approved.headers["Location"]))
    assert "freigegeben und ausgeführt" in page
    assert "erledigt" in page and "vernichtet" in page and "2 von 2" in page

    certificate = rolf.get(f"/aufbewahrung/vorschlaege/{proposal_id}/nachweis")
    assert certificate.status_code == 200
    assert certificate.mimetype == "application/pdf"
    assert certificate.get_data().startswith(b"%PDF")
    signed = rolf.get(f"/aufbewahrung/vorschlaege/{proposal_id}/nachweis?format=json")
    assert signed.get_json()["signature"]
    assert town.ben.get(f"/case-files/{closed['id']}").status_code == 410


def test_rita_approves_a_run_by_the_system_and_rolf_completes_it(
    browser_for,
    town,
    system,
    due_file,
) -> None:
    _, as_of = due_file
    town.person("rolf", roles=["records_manager"])
    [proposal_id] = retention.run_retention(system, as_of=as_of).proposals
    rita = browser_for("rita")
    page = text(rita.get("/aufbewahrung"))
    assert "automatischem Retention-Lauf" in page and "0 von 2" in page
    approved = rita.post(
        f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben", data={"csrf": csrf(page)}
    )
    page = text(rita.get(approved.headers["Location"]))
    assert "Eine zweite Person muss noch freigeben" in page and "1 von 2" in page
    assert approve_proposal(browser_for("rolf"), proposal_id).status_code == 302
    page = text(rita.get("/aufbewahrung?status=completed"))
    assert "erledigt" in page and f"/aufbewahrung/vorschlaege/{proposal_id}/nachweis" in page


def test_rejecting_needs_a_reason_and_keeps_the_files(browser_for, town, system, due_file) -> None:
    closed, as_of = due_file
    [proposal_id] = retention.run_retention(system, as_of=as_of).proposals
    rita = browser_for("rita")
    token = form_csrf(rita)
    path = f"/aufbewahrung/vorschlaege/{proposal_id}/ablehnen"
    missing = rita.post(path, data={"csrf": token, "grund": ""})
    assert missing.status_code == 422
    assert f'id="ablehnen-{proposal_id}-fehler"' in text(missing)
    rejected = rita.post(path, data={"csrf": token, "grund": "Archiv prüft noch"})
    page = text(rita.get(rejected.headers["Location"]))
    assert "abgelehnt" in page and "Vorschlag abgelehnt: Archiv prüft noch" in page
    assert town.ben.get(f"/case-files/{closed['id']}").status_code == 200


def test_an_archive_handover_is_downloaded_and_confirmed(browser_for, town, system) -> None:
    with years_ago(town.client):
        case_file = town.case_file(title="Gewerbeanmeldung Bäckerei Sommer")
        assert town.anna.post(f"/case-files/{case_file['id']}/close").status_code == 200
    closed = town.anna.get(f"/case-files/{case_file['id']}").get_json()
    as_of = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    town.person("rolf", roles=["records_manager"])
    [proposal_id] = retention.run_retention(system, as_of=as_of).proposals
    rita, rolf = browser_for("rita"), browser_for("rolf")
    for browser in (rita, rolf):
        assert approve_proposal(browser, proposal_id).status_code == 302
    page = text(rita.get("/aufbewahrung"))
    assert "beim Archiv" in page and "an das Archiv übergeben" in page
    package = rita.get(f"/aufbewahrung/vorschlaege/{proposal_id}/paket")
    assert package.status_code == 200 and package.mimetype == "application/zip"
    assert package.get_data().startswith(b"PK")
    path = f"/aufbewahrung/vorschlaege/{proposal_id}/uebernahme"
    wrong = rita.post(path, data={"csrf": csrf(page), "nicht_uebernommen": "99.99-1/2000"})
    assert wrong.status_code == 422
    assert "gehören nicht zu dieser Abgabe: 99.99-1/2000" in text(wrong)
    asked = rita.post(path, data={"csrf": csrf(page), "nicht_uebernommen": ""})
    assert asked.status_code == 200 and "Ja, alle übernommen" in text(asked)
    confirmed = rita.post(
        path, data={"csrf": csrf(page), "nicht_uebernommen": "", "bestaetigt": "ja"}
    )
    page = text(rita.get(confirmed.headers["Location"]))
    assert "Übernahme durch das Archiv ist bestätigt" in page
    assert "erledigt" in page and "vom Archiv übernommen" in page


def test_a_run_with_a_day_after_today_only_previews(browser_for, town) -> None:
    closed, _ = closed_file(town, long_ago=False)  # due in seven years
    future = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    rita = browser_for("rita")
    preview = text(rita.get("/aufbewahrung", query_string={"stichtag": future.isoformat()}))
    assert closed["reference"] in preview  # looking ahead is fine
    ran = rita.post("/aufbewahrung/lauf", data={"csrf": csrf(preview), "stichtag": str(future)})
    assert ran.status_code == 302
    page = text(rita.get(ran.headers["Location"]))
    assert f"Vorschau zum Stichtag {future:%d.%m.%Y}: vorzuschlagen wären 1 Akte" in page
    assert "Es wurde nichts vorgeschlagen" in page
    assert proposal_ids(page) == []
    assert town.rita.get("/disposition/proposals").get_json()["items"] == []


def test_others_get_the_german_403_page(browser_for) -> None:
    response = browser_for("anna").get("/aufbewahrung")
    assert response.status_code == 403
    page = text(response)
    assert "Keine Berechtigung" in page and "Fällige Akten" not in page
    assert 'href="/aufbewahrung"' not in page  # not in her navigation either


def test_forms_without_the_csrf_token_are_refused(browser_for, town, system, due_file) -> None:
    _, as_of = due_file
    [proposal_id] = retention.run_retention(system, as_of=as_of).proposals
    rita = browser_for("rita")
    refused = rita.post(f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben")
    assert refused.status_code == 400
    assert "Formular" in text(refused)
    assert rita.post("/aufbewahrung/lauf", data={"csrf": "gefälscht"}).status_code == 400
    assert "0 von 2" in text(rita.get("/aufbewahrung"))
