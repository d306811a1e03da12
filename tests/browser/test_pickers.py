"""Choosing instead of typing codes: the picker by keyboard and by mouse, axe with its list open.

A clerk of 32.1 creates an Akte by typing "Gewerbe" (never a code), is asked before
filing under another Amt's position, and her lead grants the Sozialamt and Lena
Fischer by name.
"""

from __future__ import annotations

import re

from tests.browser.support import axe_violations, describe_violations, playwright_or_skip

expect = playwright_or_skip().expect

TITLE = "Gewerbeanmeldung Eiscafé Venezia, Rathausplatz 2"


def assert_axe_clean(page, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {where}:\n{describe_violations(violations)}"


def test_a_clerk_creates_an_akte_and_her_lead_grants_without_typing_a_code(site, page_for):
    page = page_for("a.schmidt")
    page.goto(f"{site.base_url}/akten/neu")
    page.select_option("#amt", "32.1")
    field = page.get_by_role("combobox", name="Aktenplan")
    listbox = page.get_by_role("listbox", name="Aktenplan")

    # Keyboard: type a word, arrow down to the suggestion, Enter takes it.
    field.press_sequentially("Gewerbe")
    option = listbox.get_by_role("option", name="32.10 Gewerbeangelegenheiten")
    expect(option).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    assert_axe_clean(page, "Akte anlegen, Vorschläge offen")
    field.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    field.press("Enter")
    expect(field).to_have_value("32.10 Gewerbeangelegenheiten")
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(page).to_have_url(re.compile(r"/akten/neu$"))  # Enter chose; it did not send

    # Another Amt's position is offered only when asked for, and then confirmed.
    field.fill("")
    field.press_sequentially("Baugenehmigung")
    expect(page.get_by_role("status").filter(has_text="Keine Vorschläge")).to_be_attached()
    expect(listbox).to_be_hidden()
    page.get_by_label("Auch Positionen anderer Ämter vorschlagen").check()
    field.fill("")
    field.press_sequentially("Baugen")
    foreign = listbox.get_by_role("option", name=re.compile("63.10 Baugenehmigungen"))
    expect(foreign).to_contain_text("anderes Amt")
    foreign.click()  # by mouse
    expect(field).to_have_value("63.10 Baugenehmigungen")
    page.fill("#titel", TITLE)
    page.get_by_role("button", name="Akte anlegen").click()
    expect(page.locator("#aktenplan-fehler")).to_contain_text(
        "gehört nicht zu den Positionen des Amtes 32.1"
    )
    expect(
        page.get_by_label("Ja, die Akte gehört unter 63.10 Baugenehmigungen")
    ).not_to_be_checked()
    assert_axe_clean(page, "Akte anlegen, Rückfrage zur Position")

    # Escape closes the list; the word typed is kept and names the position on sending.
    field.fill("")
    field.press_sequentially("Gewerbeang")
    expect(listbox).to_be_visible()
    field.press("Escape")
    expect(listbox).to_be_hidden()
    expect(field).to_have_value("Gewerbeang")
    page.get_by_role("button", name="Akte anlegen").click()
    reference = page.locator(".akte-neues-az").inner_text().strip()
    assert reference.startswith("32.10-"), reference
    akte_url = page.url.split("?")[0]

    # The lead grants the Sozialamt (by mouse) and Lena Fischer (by keyboard), by name.
    lead = page_for("k.weber")
    lead.goto(akte_url)
    amt = lead.get_by_role("combobox", name="Amt (Name oder Kennziffer)")
    amt.press_sequentially("Sozial")
    lead.get_by_role("option", name="50 Sozialamt").click()
    expect(amt).to_have_value("50 Sozialamt")
    lead.get_by_role("button", name="Freigeben").click()
    grants = lead.locator("#freigaben ~ * tbody tr, #freigaben + * tbody tr")
    expect(grants.filter(has_text="Amt 50 Sozialamt")).to_have_count(1)

    lead.get_by_label("eine Person").check()
    person = lead.get_by_role("combobox", name="Person (Name oder Benutzername)")
    person.press_sequentially("Lena")
    expect(lead.get_by_role("option", name="Lena Fischer (l.fischer)")).to_be_visible()
    assert_axe_clean(lead, "Akte, Freigabe mit offenen Vorschlägen")
    person.press("ArrowDown")
    person.press("Enter")
    expect(person).to_have_value("Lena Fischer (l.fischer)")
    lead.get_by_role("button", name="Freigeben").click()
    expect(grants.filter(has_text="Lena Fischer (l.fischer)")).to_have_count(1)
