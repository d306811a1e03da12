"""A clerk's whole day in the browser, and what another department must not see."""

from __future__ import annotations

import datetime as dt
import re
import time

from tests.browser.support import playwright_or_skip

expect = playwright_or_skip().expect

TITLE = "Gewerbeanmeldung Café Linde, Marktplatz 3"
LETTER = "Die Baugenehmigungen wurden erteilt."
SEARCH_TIMEOUT = 20


def search_until_hit(page, base_url: str, query: str, reference: str):
    """Search through the header box until the worker has indexed the hit (poll, max 20 s)."""
    page.fill("#kopf-suche", query)
    page.press("#kopf-suche", "Enter")
    page.wait_for_url(re.compile(r"/suche\?"))
    hit = page.locator(".trefferliste > li").filter(has_text=reference)
    deadline = time.monotonic() + SEARCH_TIMEOUT
    while hit.count() == 0:
        assert time.monotonic() < deadline, f"no search hit in {reference} after 20 s"
        time.sleep(0.3)
        page.reload()
    return hit.first


def test_clerk_day_and_another_department_sees_nothing(site, page_for):
    year = dt.date.today().year
    page = page_for("a.schmidt")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Akten")

    # Akte anlegen: file plan 32.10, department 32.1, a title; the new Aktenzeichen is shown.
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Akte anlegen"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Akte anlegen")
    choice = page.eval_on_selector(
        "#aktenplan-liste",
        "list => [...list.options].find(o => o.value.startsWith('32.10 ')).value",
    )
    page.fill("#aktenplan", choice)
    page.select_option("#amt", "32.1")
    page.fill("#titel", TITLE)
    page.get_by_role("button", name="Akte anlegen").click()
    reference = page.locator(".akte-neues-az").inner_text().strip()
    assert re.fullmatch(rf"32\.10-\d{{4}}/{year}", reference), reference
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    case_file_url = page.url.split("?")[0]

    # Two files at once, each with its own progress bar that reaches 100 %.
    page.set_input_files(
        "#datei",
        [
            {"name": "bescheid.txt", "mimeType": "text/plain", "buffer": LETTER.encode()},
            {
                "name": "anmeldung.txt",
                "mimeType": "text/plain",
                "buffer": "Anmeldung eines Cafés mit 20 Plätzen.".encode(),
            },
        ],
    )
    page.get_by_role("button", name="Hochladen", exact=True).click()
    progress = page.locator("[data-progress]")
    expect(progress.get_by_text("2 von 2 Dateien hochgeladen.")).to_be_visible()
    bars = progress.locator("progress")
    expect(bars).to_have_count(2)
    for index in range(2):
        expect(bars.nth(index)).to_have_attribute("value", "100")
    expect(progress.get_by_text("fertig", exact=True)).to_have_count(2)
    # The list shows them at once, without a reload.
    documents = page.locator("[data-document-list] tbody tr")
    expect(documents).to_have_count(2)
    expect(documents.filter(has_text="bescheid.txt")).to_have_count(1)

    # A new version of one document.
    row = documents.filter(has_text="anmeldung.txt")
    row.locator("summary").click()
    row.locator("input[type=file]").set_input_files(
        {"name": "anmeldung.txt", "mimeType": "text/plain", "buffer": b"Korrigiert: 24 Plaetze."}
    )
    row.get_by_role("button", name="Version hochladen").click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 von „anmeldung.txt“")
    row = page.locator("[data-document-list] tbody tr").filter(has_text="anmeldung.txt")
    expect(row.locator("td").nth(1)).to_have_text("2")

    # Search with an inflected word through the header box and open the hit.
    hit = search_until_hit(page, site.base_url, "Baugenehmigung", reference)
    expect(hit.locator("mark").first).to_be_visible()
    hit.locator("h3 a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("bescheid.txt")
    document_url = page.url

    # Close the case file (zdA) after the confirmation with the retention date.
    page.goto(case_file_url)
    page.get_by_role("link", name="Akte abschließen (zdA verfügen)").click()
    expect(page.locator(".akte-frist")).to_have_text(f"Aufbewahrung bis 31.12.{year + 10}")
    page.get_by_role("button", name="Ja, Akte abschließen").click()
    expect(page.locator(".akte-status")).to_have_text("zdA")
    expect(page.get_by_role("status")).to_contain_text(f"Aufbewahrung bis 31.12.{year + 10}")

    # Another department (50) sees neither the case file nor the search hit.
    other = page_for("b.yilmaz")
    expect(other.locator("main")).not_to_contain_text(reference)
    other.fill("#kopf-suche", "Baugenehmigung")
    other.press("#kopf-suche", "Enter")
    expect(other.locator("#treffer-titel")).to_have_text("0 Treffer")
    expect(other.locator("main")).not_to_contain_text(reference)
    for url in (case_file_url, document_url):
        response = other.goto(url)
        assert response.status == 404
        expect(other.get_by_role("heading", level=1)).to_have_text("Nicht gefunden")
        expect(other.locator("main")).not_to_contain_text(TITLE)
