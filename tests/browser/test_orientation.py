"""Live feedback and orientation: uploads into a Vorgang appear at once and are announced,
a form shows all its errors with the focus on the first, breadcrumbs, start pages by role."""

from __future__ import annotations

import re
import uuid

from tests.browser.support import DROP, axe_violations, describe_violations, playwright_or_skip

expect = playwright_or_skip().expect


def no_axe_violations(page) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{describe_violations(violations)}"


def test_three_files_into_a_vorgang_appear_at_once_and_are_announced(site, page_for):
    page = page_for("a.schmidt")
    page.goto(f"{site.base_url}/akten?status=open")
    page.locator("tbody tr a").first.click()
    page.wait_for_url("**/akten/*")
    reference = page.locator(".akte-az").inner_text().strip()
    crumbs = page.get_by_role("navigation", name="Brotkrumen")
    expect(crumbs.get_by_role("listitem")).to_have_text(["Meine Akten", f"Akte {reference}"])

    # A Vorgang, by keyboard: it is confirmed and chosen for the next upload.
    title = f"Anhörung {uuid.uuid4().hex[:6]}"
    page.get_by_label("Titel des Vorgangs").fill(title)
    page.get_by_label("Titel des Vorgangs").press("Enter")
    status = page.get_by_role("status")
    expect(status).to_have_text("Der Vorgang wurde angelegt.")
    group = page.locator("section.akte-gruppe").filter(
        has=page.get_by_role("heading", name=re.compile(title))
    )
    expect(group).to_contain_text("Noch keine Dokumente in diesem Vorgang.")
    expect(page.locator("#vorgang option:checked")).to_have_text(title)

    # Three files at once; no reload (the marker survives), the list shows them in the group.
    page.evaluate("window.keinNeuladen = true")
    page.get_by_label("Titel (nur bei einer Datei; sonst der Dateiname)").fill("Vorläufig")
    page.set_input_files(
        "#datei",
        [
            {"name": f"teil-{n}.txt", "mimeType": "text/plain", "buffer": f"Teil {n}".encode()}
            for n in (1, 2, 3)
        ],
    )
    page.get_by_role("button", name="Hochladen", exact=True).click()
    expect(status).to_have_text(f"3 Dokumente wurden in den Vorgang „{title}“ hochgeladen.")
    expect(group.locator("tbody tr")).to_have_count(3)
    for n in (1, 2, 3):
        expect(group.locator("tbody tr").filter(has_text=f"teil-{n}.txt")).to_have_count(1)
    expect(page.locator("#titel")).to_have_value("")
    expect(page.locator("#datei")).to_be_focused()
    assert page.evaluate("window.keinNeuladen") is True

    # A file dropped onto the Vorgang lands in it.
    group.evaluate(DROP, [["nachtrag.txt", "Nachtrag zur Anhörung"]])
    expect(status).to_have_text(f"1 Dokument wurde in den Vorgang „{title}“ hochgeladen.")
    expect(group.locator("tbody tr")).to_have_count(4)

    # A new version from the table: progress in the row, then a confirmation.
    row = group.locator("tbody tr").filter(has_text="teil-2.txt")
    row.locator("summary").click()
    row.locator("input[type=file]").set_input_files(
        {"name": "teil-2.txt", "mimeType": "text/plain", "buffer": b"Teil 2, korrigiert"}
    )
    row.get_by_role("button", name="Version hochladen").click()
    expect(status).to_have_text("Version 2 von „teil-2.txt“ wurde hochgeladen.")
    expect(
        group.locator("tbody tr").filter(has_text="teil-2.txt").locator("td").nth(1)
    ).to_have_text("2")
    assert page.evaluate("window.keinNeuladen") is True
    no_axe_violations(page)

    # Breadcrumbs on the document: Meine Akten › Akte › Vorgang › Dokument, and back.
    group.get_by_role("link", name="teil-1.txt", exact=True).click()
    page.wait_for_url("**/dokumente/*")
    crumbs = page.get_by_role("navigation", name="Brotkrumen")
    expect(crumbs.get_by_role("listitem")).to_have_text(
        ["Meine Akten", f"Akte {reference}", f"Vorgang „{title}“", "teil-1.txt"]
    )
    no_axe_violations(page)
    crumbs.get_by_role("link", name=f"Vorgang „{title}“").click()
    page.wait_for_url(re.compile(r"/akten/[0-9a-f-]+#vorgang-"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)


def test_the_grant_form_shows_all_errors_and_focuses_the_first(site, page_for):
    page = page_for("k.weber")
    page.goto(f"{site.base_url}/akten?text=Lärmbelästigung")
    page.locator("tbody tr a").first.click()
    page.wait_for_url("**/akten/*")
    form = page.locator("form.akte-freigabe")
    form.locator("#freigabe_bis").fill("2020-01-01")
    form.get_by_role("button", name="Freigeben").focus()
    page.keyboard.press("Enter")
    summary = form.get_by_role("alert")
    expect(summary).to_contain_text("Bitte prüfen Sie diese 2 Angaben:")
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Bitte geben Sie das Amt an (Name oder Kennziffer).",
            "Das Datum muss in der Zukunft liegen.",
        ]
    )
    # The focus is on the first wrong field, not at the top of the page: type and go on.
    expect(page.locator("#freigabe_amt")).to_be_focused()
    page.keyboard.type("50")
    page.keyboard.press("Tab")
    expect(page.locator("#freigabe_person")).to_be_focused()
    no_axe_violations(page)
    summary.get_by_role("link", name="Das Datum muss in der Zukunft liegen.").click()
    expect(page.locator("#freigabe_bis")).to_be_focused()


def test_each_role_starts_on_its_own_page(page_for):
    registratur = page_for("registratur")
    expect(registratur.get_by_role("heading", level=1)).to_contain_text("Aufbewahrung")
    menu = registratur.get_by_role("navigation", name="Hauptnavigation")
    expect(menu.get_by_role("link", name="Aufbewahrung")).to_be_visible()
    expect(menu.get_by_role("link", name="Akte anlegen")).to_have_count(0)
    expect(menu.get_by_role("link", name="Meine Akten")).to_have_count(0)
    revision = page_for("revision")
    assert revision.url.endswith("/protokoll")
    menu = revision.get_by_role("navigation", name="Hauptnavigation")
    expect(menu.get_by_role("link")).to_have_text(["Protokoll"])
