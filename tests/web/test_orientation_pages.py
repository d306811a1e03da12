"""Finding one's way: the start page and menu by role, breadcrumbs, Vorgänge as groups,
one status region for every confirmation, and all errors of a form at once."""

from __future__ import annotations

import re

import pytest

from tests.web.support import csrf, document_ids, file_stream, grant_on_page, page_of, text_of

STATUS_REGION = re.compile(r'<div id="meldung" role="status" aria-live="polite">(.*?)</div>', re.S)


def menu(page: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Hauptnavigation">(.*?)</nav>', page, re.S).group(1)
    return [
        re.sub(r"<[^>]+>", "", label).strip() for label in re.findall(r"<a [^>]*>(.*?)</a>", nav)
    ]


def status_text(page: str) -> str:
    return re.sub(r"<[^>]+>", "", STATUS_REGION.search(page).group(1)).strip()


@pytest.fixture
def akte(town):
    return town.case_file(title="Gaststättenerlaubnis Hirschwirt")


@pytest.mark.parametrize(
    ("username", "start", "items"),
    [
        ("anna", "/akten", ["Meine Akten", "Akte anlegen", "Suche"]),
        ("carla", "/akten", ["Meine Akten", "Suche"]),  # a reader creates nothing
        ("lea", "/akten", ["Meine Akten", "Akte anlegen", "Suche", "Bestätigungen"]),
        ("rita", "/aufbewahrung", ["Aufbewahrung", "Bestätigungen"]),
        ("audrey", "/protokoll", ["Protokoll"]),
        ("admin", "/verwaltung", ["Verwaltung"]),
    ],
)
def test_each_role_starts_on_its_page_and_sees_only_its_menu(browser_for, username, start, items):
    browser = browser_for(username)
    landing = browser.get("/")
    assert landing.status_code == 302 and landing.headers["Location"] == start
    assert menu(page_of(browser, start)) == items


def test_a_clerk_with_a_second_role_starts_with_her_files(town, browser_for) -> None:
    town.person("paula", member=("32", "clerk"), roles=["auditor"])
    paula = browser_for("paula")
    assert paula.get("/").headers["Location"] == "/akten"
    assert menu(page_of(paula, "/akten")) == ["Meine Akten", "Akte anlegen", "Suche", "Protokoll"]


def test_signing_in_leads_to_the_start_page_of_the_role(app, town, browser_for) -> None:
    assert app.test_client().get("/").headers["Location"].startswith("/anmelden")
    rita = browser_for("rita")  # signed in through the form without a `weiter`
    assert rita.get("/").headers["Location"] == "/aufbewahrung"


def test_vorgaenge_group_their_documents_and_uploads_choose_one(browser_for, akte) -> None:
    anna = browser_for("anna")
    path = f"/akten/{akte['id']}"
    page = page_of(anna, path)
    assert "Noch keine Dokumente." in page
    created = anna.post(f"{path}/vorgaenge", data={"csrf": csrf(page), "vorgang_titel": "Anhörung"})
    assert created.status_code == 302 and "meldung=vorgang" in created.headers["Location"]
    page = page_of(anna, created.headers["Location"])
    assert status_text(page) == "Der Vorgang wurde angelegt."
    # The new Vorgang is where the user is: chosen in the upload form (so is the one a
    # group's upload link names).
    process_id = re.search(r'<option value="([0-9a-f-]{36})" selected>Anhörung<', page).group(1)
    assert f'<option value="{process_id}" selected>' in page_of(
        anna, f"{path}?vorgang={process_id}"
    )
    assert f'<option value="{process_id}" selected>' not in page_of(anna, path)

    sent = anna.post(
        f"{path}/dokumente",
        data={
            "csrf": csrf(page),
            "vorgang": process_id,
            "datei": [(file_stream(b"Stellungnahme"), "stellungnahme.txt")],
        },
        content_type="multipart/form-data",
    )
    assert sent.headers["Location"].endswith(f"#vorgang-{process_id}")
    anna.post(
        f"{path}/dokumente",
        data={"csrf": csrf(page), "datei": [(file_stream(b"Lose"), "notiz.txt")]},
        content_type="multipart/form-data",
    )
    page = page_of(anna, sent.headers["Location"])
    assert status_text(page) == "1 Dokument wurde hochgeladen."
    group = re.search(
        rf'<section class="akte-gruppe" id="vorgang-{process_id}".*?</section>', page, re.S
    )
    assert "Vorgang „Anhörung“" in group.group(0) and "stellungnahme.txt" in group.group(0)
    assert "notiz.txt" not in group.group(0)
    loose = re.search(r'<section class="akte-gruppe" id="vorgang-ohne".*?</section>', page, re.S)
    assert "Ohne Vorgang" in loose.group(0) and "notiz.txt" in loose.group(0)
    # The fragment the upload script fetches: the same groups, nothing else of the page.
    fragment = page_of(anna, f"{path}/dokumentliste")
    assert "<html" not in fragment
    assert (
        "stellungnahme.txt" in fragment
        and "notiz.txt" in fragment
        and "data-document-list" in fragment
    )
    assert browser_for("ben").get(f"{path}/dokumentliste").status_code == 404

    # Breadcrumbs: Meine Akten › Akte › Vorgang › Dokument.
    assert 'aria-current="page">Akte ' + akte["reference"] in page
    document_id = next(i for i in document_ids(group.group(0)))
    document = text_of(anna.get(f"/dokumente/{document_id}"))
    trail = re.search(
        r'<nav class="brotkrumen" aria-label="Brotkrumen">(.*?)</nav>', document, re.S
    )
    labels = [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r"<li>(.*?)</li>", trail.group(1))
    ]
    assert labels == [
        "Meine Akten",
        f"Akte {akte['reference']}",
        "Vorgang „Anhörung“",
        "stellungnahme.txt",
    ]
    assert f'href="/akten/{akte["id"]}#vorgang-{process_id}"' in trail.group(1)


def test_a_new_version_from_the_akte_table_is_confirmed_there(browser_for, akte) -> None:
    anna = browser_for("anna")
    path = f"/akten/{akte['id']}"
    page = page_of(anna, path)
    anna.post(
        f"{path}/dokumente",
        data={"csrf": csrf(page), "datei": [(file_stream(b"Entwurf"), "bescheid.txt")]},
        content_type="multipart/form-data",
    )
    page = page_of(anna, path)
    (document_id,) = document_ids(page)
    back = re.search(r'name="weiter" value="([^"]+)"', page).group(1)
    assert back == f"{path}#vorgang-ohne"
    response = anna.post(
        f"/dokumente/{document_id}/versionen",
        data={"csrf": csrf(page), "weiter": back, "datei": (file_stream(b"Final"), "b.txt")},
        content_type="multipart/form-data",
    )
    assert response.headers["Location"] == f"{path}?neue_version=2#vorgang-ohne"
    assert (
        status_text(page_of(anna, response.headers["Location"])) == "Version 2 wurde hochgeladen."
    )


def test_the_status_region_shows_only_registered_texts(browser_for, akte) -> None:
    anna = browser_for("anna")
    assert status_text(page_of(anna, f"/akten/{akte['id']}?meldung=<b>Gehackt</b>")) == ""
    assert status_text(page_of(anna, "/akten?meldung=vorgang")) == "Der Vorgang wurde angelegt."


def test_the_grant_form_shows_all_its_errors_at_once(browser_for, akte) -> None:
    lea = browser_for("lea")
    response = grant_on_page(
        lea,
        akte["id"],
        freigabe_amt="Raumfahrtamt",  # no Amt has that name or code
        freigabe_bis="01.01.2020",
    )
    assert response.status_code == 422
    page = text_of(response)
    summary = re.search(r'<div class="fehlerliste" role="alert">(.*?)</div>', page, re.S).group(1)
    assert "Bitte prüfen Sie diese 2 Angaben:" in summary
    assert '<a href="#freigabe_amt">Dieses Amt gibt es nicht.</a>' in summary
    assert '<a href="#freigabe_bis">Das Datum muss in der Zukunft liegen.</a>' in summary
    # The first wrong field gets the focus when the page loads, and only that one.
    assert page.count(" autofocus") == 1
    assert re.search(r'<input id="freigabe_amt"[^>]*aria-invalid="true" autofocus', page)


def test_the_create_form_shows_all_its_errors_at_once(browser_for) -> None:
    anna = browser_for("anna")
    form = page_of(anna, "/akten/neu")
    response = anna.post(
        "/akten/neu", data={"csrf": csrf(form), "aktenplan": "Raumfahrt", "amt": "32", "titel": ""}
    )
    assert response.status_code == 422
    page = text_of(response)
    assert "Diesen Eintrag gibt es im Aktenplan nicht." in page
    assert "Bitte geben Sie einen Titel ein." in page
    assert "Bitte prüfen Sie diese 2 Angaben:" in page
    assert page.count(" autofocus") == 1
    assert re.search(r'<input id="aktenplan"[^>]*autofocus', page, re.S)


def test_someone_without_an_amt_is_told_why_instead_of_an_empty_form(browser_for) -> None:
    page = page_of(browser_for("rita"), "/akten/neu")
    assert "Sie gehören keinem Amt an" in page
    assert 'action="/akten/neu"' not in page
