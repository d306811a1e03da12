"""The Akte pages: anlegen, ansehen, hochladen, Versionen, Vorschau, zdA, Freigaben."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from tests.web.support import PDF, csrf, document_ids, file_stream, grant_on_page, page_of, upload

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def anna(browser_for):
    return browser_for("anna")


@pytest.fixture
def akte(town):
    return town.case_file(title="Gaststättenerlaubnis Hirschwirt")


def test_anna_creates_a_case_file_through_the_form(town, anna, clock) -> None:
    clock.set(dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC))
    form = page_of(anna, "/akten/neu")
    assert "32.10 Gewerbeangelegenheiten" in form
    assert 'value="32"' in form and 'value="50"' not in form  # only her own departments
    created = anna.post(
        "/akten/neu",
        data={
            "csrf": csrf(form),
            "aktenplan": "32.10 Gewerbeangelegenheiten",
            "amt": "32",
            "titel": "Gewerbeanmeldung Café Linde",
        },
    )
    assert created.status_code == 302
    page = page_of(anna, created.headers["Location"])
    reference = re.search(r'class="akte-neues-az">([^<]+)<', page).group(1)
    assert reference.startswith("32.10") and "2026" in reference
    assert "Die Akte wurde angelegt" in page and "Gewerbeanmeldung Café Linde" in page
    listing = page_of(anna, "/akten")
    assert reference in listing and created.headers["Location"].split("?")[0] in listing


def test_a_missing_title_is_shown_in_german_next_to_the_field(anna) -> None:
    form = page_of(anna, "/akten/neu")
    response = anna.post(
        "/akten/neu", data={"csrf": csrf(form), "aktenplan": "32.10", "amt": "32", "titel": ""}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert re.search(r'id="titel"[^>]*aria-invalid="true"', page, re.S)
    assert '<span class="feldfehler" id="titel-fehler">Bitte geben Sie einen Titel ein.' in page
    unknown = anna.post(
        "/akten/neu", data={"csrf": csrf(form), "aktenplan": "99.99", "amt": "32", "titel": "X"}
    )
    assert unknown.status_code == 422
    assert "Diesen Eintrag gibt es im Aktenplan nicht." in unknown.get_data(as_text=True)


def test_forms_without_csrf_are_refused(anna, akte) -> None:
    refused = anna.post("/akten/neu", data={"aktenplan": "32.10", "amt": "32", "titel": "X"})
    assert refused.status_code == 400
    assert "Formular" in refused.get_data(as_text=True)
    refused = anna.post(
        f"/akten/{akte['id']}/dokumente",
        data={"datei": (file_stream(b"hallo"), "a.txt")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400


def test_two_files_uploaded_without_javascript_both_appear(anna, akte) -> None:
    response = upload(anna, akte, [(b"Antrag", "antrag.txt"), (PDF, "bescheid.pdf")])
    assert response.status_code == 302
    page = page_of(anna, response.headers["Location"])
    assert "2 Dokumente wurden hochgeladen" in page
    assert "antrag.txt" in page and "bescheid.pdf" in page
    assert len(document_ids(page)) == 2
    empty = upload(anna, akte, [(b"", "leer.txt")])
    assert empty.status_code == 422
    assert "Die Datei ist leer." in empty.get_data(as_text=True)


def test_the_script_upload_gets_json(anna, akte) -> None:
    page = page_of(anna, f"/akten/{akte['id']}")
    assert 'src="/static/upload.js"' in page and "data-upload" in page
    headers = {"X-Requested-With": "XMLHttpRequest"}
    response = anna.post(
        f"/akten/{akte['id']}/dokumente",
        data={"csrf": csrf(page), "titel": "Lageplan", "datei": (file_stream(PNG), "plan.png")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["document"] in page_of(anna, f"/akten/{akte['id']}")
    empty = anna.post(
        f"/akten/{akte['id']}/dokumente",
        data={"csrf": csrf(page), "datei": (file_stream(b""), "leer.txt")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert empty.status_code == 422
    assert empty.get_json() == {
        "ok": False,
        "error": "Die Datei ist leer. Leere Dateien werden nicht angenommen.",
    }


def test_a_new_version_shows_on_the_dokument_page(anna, akte) -> None:
    page = page_of(anna, upload(anna, akte, [(b"Entwurf", "bescheid.txt")]).headers["Location"])
    (document_id,) = document_ids(page)
    second = b"Bescheid, endgueltige Fassung"
    response = anna.post(
        f"/dokumente/{document_id}/versionen",
        data={"csrf": csrf(page), "datei": (file_stream(second), "bescheid-final.txt")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    document = page_of(anna, response.headers["Location"])
    assert "Version 2 wurde hochgeladen" in document
    assert re.search(r"<td>2</td>\s*<td>bescheid-final.txt</td>", document)
    assert hashlib.sha256(second).hexdigest() in document
    assert hashlib.sha256(b"Entwurf").hexdigest() in document
    assert "Anna" in document and "29 Byte" in document
    first = anna.get(f"/dokumente/{document_id}/inhalt?version=1")
    assert first.status_code == 200 and first.data == b"Entwurf"
    assert first.headers["Content-Disposition"].startswith('attachment; filename="bescheid.txt"')


def test_preview_and_download_send_the_bytes_with_their_type(anna, akte) -> None:
    page = page_of(anna, upload(anna, akte, [(PNG, "plan.png")]).headers["Location"])
    (document_id,) = document_ids(page)
    document = page_of(anna, f"/dokumente/{document_id}")
    assert f'src="/dokumente/{document_id}/inhalt?version=1&amp;inline=1"' in document
    assert "<img" in document
    inline = anna.get(f"/dokumente/{document_id}/inhalt?version=1&inline=1")
    assert inline.status_code == 200 and inline.data == PNG
    assert inline.mimetype == "image/png"
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert inline.headers["X-Content-Type-Options"] == "nosniff"
    pdf_page = page_of(anna, upload(anna, akte, [(PDF, "bescheid.pdf")]).headers["Location"])
    pdf_id = next(i for i in document_ids(pdf_page) if i != document_id)
    assert "<iframe" in page_of(anna, f"/dokumente/{pdf_id}")
    pdf = anna.get(f"/dokumente/{pdf_id}/inhalt")
    assert pdf.data == PDF and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    # uploaded HTML is never shown inline in our origin
    html_page = upload(anna, akte, [(b"<html><script>alert(1)</script></html>", "x.html")])
    html_id = [i for i in document_ids(page_of(anna, html_page.headers["Location"]))][-1]
    risky = anna.get(f"/dokumente/{html_id}/inhalt?inline=1")
    assert risky.headers["Content-Disposition"].startswith("attachment;")
    assert anna.get(f"/dokumente/{document_id}/inhalt?version=abc").status_code == 404


def test_closing_shows_the_retention_date_then_closes(anna, akte, ports) -> None:
    today = ports.clock().astimezone(ports.timezone).date()
    page = page_of(anna, f"/akten/{akte['id']}")
    assert "Akte abschließen" in page
    confirm = page_of(anna, f"/akten/{akte['id']}/abschliessen")
    assert f"Aufbewahrung bis 31.12.{today.year + 10}" in confirm
    assert page_of(anna, f"/akten/{akte['id']}") and "data-upload" in page
    closed = anna.post(f"/akten/{akte['id']}/abschliessen", data={"csrf": csrf(confirm)})
    assert closed.status_code == 302
    after = page_of(anna, closed.headers["Location"])
    assert "zdA" in after and f"31.12.{today.year + 10}" in after
    assert "data-upload" not in after and "Akte abschließen (zdA" not in after
    again = upload(anna, akte, [(b"zu spaet", "spaet.txt")])
    assert again.status_code == 409 and "Nicht möglich" in again.get_data(as_text=True)
    assert "zdA" in page_of(anna, "/akten?status=closed")
    assert akte["reference"] not in page_of(anna, "/akten?status=open")


def test_the_lead_grants_department_50_and_ben_sees_the_case_file(
    akte,
    browser_for,
    anna,
) -> None:
    ben = browser_for("ben")
    assert akte["reference"] not in page_of(ben, "/akten")
    assert 'id="freigaben"' not in page_of(anna, f"/akten/{akte['id']}")  # clerks: no section
    lea = browser_for("lea")
    page = page_of(lea, f"/akten/{akte['id']}")
    assert 'id="freigaben"' in page and "Keine Freigaben" in page
    response = grant_on_page(lea, akte["id"], freigabe_amt="50")
    assert response.status_code == 302
    page = page_of(lea, f"/akten/{akte['id']}")
    assert "Amt 50 Sozialamt" in page and "lesen" in page
    listing = page_of(ben, "/akten")
    assert akte["reference"] in listing and "Gaststättenerlaubnis Hirschwirt" in listing
    assert "data-upload" not in page_of(ben, f"/akten/{akte['id']}")  # read only
    unknown = lea.post(
        f"/akten/{akte['id']}/freigaben",
        data={"csrf": csrf(page), "freigabe_art": "person", "freigabe_person": "niemand"},
    )
    assert unknown.status_code == 422
    assert "Diese Person ist nicht bekannt." in unknown.get_data(as_text=True)
    grant_id = re.search(r"/freigaben/([0-9a-f-]{36})/entfernen", page).group(1)
    removed = lea.post(
        f"/akten/{akte['id']}/freigaben/{grant_id}/entfernen", data={"csrf": csrf(page)}
    )
    assert removed.status_code == 302
    assert akte["reference"] not in page_of(ben, "/akten")


def test_a_reader_sees_no_upload_form_and_cannot_upload(akte, browser_for) -> None:
    carla = browser_for("carla")
    page = page_of(carla, f"/akten/{akte['id']}")
    assert "Gaststättenerlaubnis Hirschwirt" in page
    assert "data-upload" not in page and "Vorgang anlegen" not in page
    refused = upload(carla, akte, [(b"heimlich", "x.txt")])
    assert refused.status_code == 403
    assert "Keine Berechtigung" in refused.get_data(as_text=True)


def test_another_department_cannot_open_the_case_file_or_its_document(
    anna,
    akte,
    browser_for,
) -> None:
    page = page_of(anna, upload(anna, akte, [(b"geheim", "intern.txt")]).headers["Location"])
    (document_id,) = document_ids(page)
    ben = browser_for("ben")
    for path in (
        f"/akten/{akte['id']}",
        f"/akten/{akte['id']}/abschliessen",
        f"/dokumente/{document_id}",
        f"/dokumente/{document_id}/inhalt",
    ):
        response = ben.get(path)
        assert response.status_code == 404, path
        text = response.get_data(as_text=True)
        assert "Nicht gefunden" in text
        assert "Hirschwirt" not in text and "intern.txt" not in text and "geheim" not in text


def test_meine_akten_filters_sorts_and_links(town, anna) -> None:
    first = town.case_file(title="Gewerbeanmeldung Bäckerei Sommer")
    second = town.case_file(title="Gaststättenerlaubnis Hirschwirt")
    page = page_of(anna, "/akten?text=hirsch")
    assert second["reference"] in page and first["reference"] not in page
    assert f'href="/akten/{second["id"]}"' in page
    sorted_page = page_of(anna, "/akten?sortierung=titel&richtung=auf")
    assert sorted_page.index("Gaststättenerlaubnis") < sorted_page.index("Gewerbeanmeldung")
    assert 'aria-sort="ascending"' in sorted_page
    assert first["reference"] in page_of(anna, "/akten?aktenplan=32.10")
    assert first["reference"] not in page_of(anna, "/akten?aktenplan=50.30")
