"""Dropping files onto the upload area uploads them, each with its own progress bar."""

from __future__ import annotations

from tests.browser.support import DROP, playwright_or_skip

expect = playwright_or_skip().expect


def test_dropped_files_upload_with_a_progress_bar_each(site, page_for):
    page = page_for("a.schmidt")
    # Other browser tests close files on the shared site: pick an open one.
    page.goto(f"{site.base_url}/akten?status=open")
    page.locator("tbody tr a").first.click()
    before = page.locator("[data-document-list] tbody tr").count()
    zone = page.locator("[data-dropzone]")
    expect(zone).to_be_visible()
    zone.evaluate(
        DROP, [["abgelegt-1.txt", "Erste abgelegte Datei"], ["abgelegt-2.txt", "Zweite Datei"]]
    )
    # The upload form's own list (each document row has one for new versions too).
    progress = page.locator("form:has([data-dropzone]) > [data-progress]")
    expect(progress.get_by_text("2 von 2 Dateien hochgeladen.")).to_be_visible()
    expect(progress.locator("progress")).to_have_count(2)
    # Dropped outside any Vorgang: "ohne Vorgang" (unless one is chosen in the form); the
    # list shows them without a reload.
    names = page.locator("[data-document-list] tbody tr")
    expect(names).to_have_count(before + 2)
    expect(names.filter(has_text="abgelegt-1.txt")).to_have_count(1)
    expect(names.filter(has_text="abgelegt-2.txt")).to_have_count(1)
