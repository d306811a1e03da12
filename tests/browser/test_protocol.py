"""The Datenschutzbeauftragte asks "who read this Akte last week?" and exports exactly that."""

from __future__ import annotations

import csv
import datetime as dt
import io

from tests.browser.support import axe_violations, describe_violations, playwright_or_skip

expect = playwright_or_skip().expect


def test_auditor_finds_who_read_an_akte_by_aktenzeichen_and_exports_it(site, page_for):
    clerk = page_for("a.schmidt")
    clerk.goto(f"{site.base_url}/akten/neu")
    clerk.fill("#aktenplan", "32.10")
    clerk.select_option("#amt", "32.1")
    clerk.fill("#titel", "Gewerbeummeldung Blumen Rausch")
    clerk.get_by_role("button", name="Akte anlegen").click()
    reference = clerk.locator(".akte-neues-az").inner_text().strip()
    clerk.reload()  # a.schmidt reads it
    colleague = page_for("j.hoffmann")
    colleague.goto(clerk.url)  # and so does Jonas Hoffmann
    expect(colleague.get_by_role("heading", level=1)).to_contain_text(reference)

    page = page_for("revision")
    page.goto(f"{site.base_url}/protokoll")
    today = dt.date.today()
    page.get_by_label("Objekt").fill(reference)
    page.get_by_label("Aktion").select_option(label="Akte gelesen")
    page.get_by_label("von (Datum)").fill(f"{today - dt.timedelta(days=7):%Y-%m-%d}")
    page.get_by_label("bis (Datum)").fill(f"{today:%Y-%m-%d}")
    page.get_by_label("Objekt").press("Enter")  # the keyboard submits the filter

    rows = page.locator("table.protokoll tbody tr")
    expect(rows.first).to_be_visible()
    texts = rows.all_inner_texts()
    assert all("Akte gelesen" in text and reference in text for text in texts)
    people = " ".join(texts)
    assert "Anna Schmidt" in people and "Jonas Hoffmann" in people
    shown = [int(text.split()[0]) for text in texts]
    assert shown == sorted(shown, reverse=True)  # newest first

    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Als CSV für Tabellenprogramme").click()
    content = download_info.value.path().read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    table = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert table[0][:5] == ["Nr.", "Zeitpunkt", "Person", "Benutzername", "Aktion"]
    assert [int(line[0]) for line in table[1:]] == shown  # exactly the filtered view
    assert {line[7] for line in table[1:]} == {reference}
