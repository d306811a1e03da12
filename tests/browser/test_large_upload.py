"""A scanned Bauantrag of 50 MB uploads through the page (the web client once stopped at 1 MiB)."""

from __future__ import annotations

import os

from tests.browser.support import playwright_or_skip

expect = playwright_or_skip().expect

SIZE = 50 * 1024 * 1024


def test_a_50_mb_file_uploads_through_the_page_and_is_listed(site, page_for, tmp_path):
    scan = tmp_path / "bauantrag-scan-50mb.pdf"
    with scan.open("wb") as out:  # random bytes: nothing for the indexer to chew on
        for _ in range(50):
            out.write(os.urandom(1024 * 1024))
    assert scan.stat().st_size == SIZE
    page = page_for("a.schmidt")
    page.goto(f"{site.base_url}/akten?status=open")
    page.locator("tbody tr a").first.click()
    form = page.locator("form[data-upload]")
    expect(form.get_by_text("Höchstens 2 GB je Datei.")).to_be_visible()
    form.locator("input[type=file]").set_input_files(scan)
    form.get_by_role("button", name="Hochladen").click()
    progress = page.locator("[data-progress]")
    expect(progress.get_by_text("1 von 1 Dateien hochgeladen.")).to_be_visible(timeout=120_000)
    expect(progress.locator(".feldfehler")).to_have_count(0)
    row = page.locator("[data-document-list] tbody tr").filter(has_text="bauantrag-scan-50mb.pdf")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("50,0 MB")
