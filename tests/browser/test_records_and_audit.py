"""The records manager, the auditor and the admin at work in the browser."""

from __future__ import annotations

import datetime as dt

from tests.browser.support import axe_violations, describe_violations, playwright_or_skip

expect = playwright_or_skip().expect


def close_a_new_case_file(page_for, base_url: str, title: str) -> str:
    """a.schmidt creates and closes a case file; returns its Aktenzeichen."""
    page = page_for("a.schmidt")
    page.goto(f"{base_url}/akten/neu")
    page.fill("#aktenplan", "32.10")
    page.select_option("#amt", "32.1")
    page.fill("#titel", title)
    page.get_by_role("button", name="Akte anlegen").click()
    reference = page.locator(".akte-neues-az").inner_text().strip()
    page.get_by_role("link", name="Akte abschließen (zdA verfügen)").click()
    page.get_by_role("button", name="Ja, Akte abschließen").click()
    expect(page.locator(".akte-status")).to_have_text("zdA")
    return reference


def test_records_manager_sees_due_files_and_holds(site, page_for):
    # Closed today, 32.10 keeps ten years: due on 1 January of the eleventh year.
    reference = close_a_new_case_file(page_for, site.base_url, "Gewerbeabmeldung Schuhhaus Klein")
    page = page_for("registratur")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Aufbewahrung"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aufbewahrung")
    for heading in ("Fällige Akten", "Aussonderungssperren", "Aussonderungsvorschläge"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    expect(page.get_by_label("Fällig am Stichtag")).to_be_visible()
    expect(page.get_by_role("button", name="Retention-Lauf starten")).to_be_visible()

    # Today nothing of the demo town is due.
    expect(page.locator("#faellig")).not_to_contain_text(reference)

    page.get_by_label("Fällig am Stichtag").fill(f"{dt.date.today().year + 11}-01-02")
    page.locator("#faellig").get_by_role("button", name="Anzeigen").click()
    row = page.locator("#faellig table tbody tr").filter(has_text=reference)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"31.12.{dt.date.today().year + 10}")
    # A day after today is a preview: nothing is called due, the run only previews.
    expect(page.locator("#vorschau")).to_contain_text(
        f"Vorschau: am 02.01.{dt.date.today().year + 11} wären"
    )
    expect(row).to_contain_text("Vorschau: noch nicht fällig")
    expect(
        page.get_by_role("button", name="Vorschau berechnen (schlägt nichts vor)")
    ).to_be_visible()
    violations = axe_violations(page)  # the preview, as the Registratur sees it
    assert not violations, describe_violations(violations)
    row.get_by_label("Grund").fill("Widerspruchsverfahren anhängig")
    row.get_by_role("button", name="Sperre setzen").click()
    holds = page.locator("#sperren table tbody tr").filter(has_text=reference)
    expect(holds).to_have_count(1)
    holds.get_by_label("Grund").fill("Verfahren abgeschlossen")
    holds.get_by_role("button", name="Sperre aufheben").click()
    expect(page.locator("#sperren table tbody tr").filter(has_text=reference)).to_have_count(0)


def test_auditor_verifies_the_log_and_sees_green(page_for):
    page = page_for("revision")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Protokoll"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Protokoll")
    expect(page.locator("table.protokoll tbody tr").first).to_be_visible()
    page.get_by_role("button", name="Protokoll jetzt prüfen").click()
    result = page.locator(".pruefung")
    expect(result).to_have_class("pruefung pruefung-ok")
    expect(result).to_contain_text("Protokoll unversehrt")
    expect(page.locator(".pruefung-fehler")).to_have_count(0)


def test_admin_opens_the_administration(page_for):
    page = page_for("m.becker")
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Verwaltung"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verwaltung")
    expect(page.get_by_role("heading", level=2, name="Ämter")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Personen")).to_be_visible()
    expect(page.locator("main")).to_contain_text("a.schmidt")
