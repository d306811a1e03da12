"""Small screens and previews: the header on one line at 1280 px and behind a menu
button at 400 px (by keyboard), no page wider than the window, an image shown inline,
"Keine Vorschau" for a DOCX without a converter, checksums behind Details."""

from __future__ import annotations

from eakte.preview.libreoffice import find_program
from tests.browser.support import (
    axe_violations,
    describe_violations,
    horizontal_overflow,
    open_main_page,
    playwright_or_skip,
    widest_elements,
)
from tests.documents import make_docx

expect = playwright_or_skip().expect

NARROW = {"width": 400, "height": 800}
WIDE = {"width": 1280, "height": 800}
# One line of header: the brand, the links, the quick search and the sign-out button.
ONE_LINE = 70
# Who sees which page: each role's longest menu.
PAGES = {
    "meine-akten": "a.schmidt",
    "aufbewahrung": "registratur",
    "protokoll": "revision",
    "verwaltung": "m.becker",
    "akte": "a.schmidt",
    "dokument": "a.schmidt",
    "suche": "a.schmidt",
}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


def header_height(page) -> float:
    return page.locator("header.kopf").bounding_box()["height"]


def fits(page, where: str) -> None:
    overflow = horizontal_overflow(page)
    assert overflow is None, f"{where}: {overflow}, sticking out: {widest_elements(page)}"


def test_the_header_keeps_one_line_wide_and_folds_behind_a_menu_button_narrow(site, page_as):
    for key, username in PAGES.items():
        page = page_as(username)
        page.set_viewport_size(WIDE)
        open_main_page(page, site.base_url, key)
        assert header_height(page) < ONE_LINE, f"{key} at 1280 px: header wraps"
        fits(page, f"{key} at 1280 px")
        page.set_viewport_size(NARROW)
        page.reload()
        assert header_height(page) < ONE_LINE, f"{key} at 400 px: header too tall"
        fits(page, f"{key} at 400 px")

    # By keyboard: skip link, brand, then the menu button; Enter opens, Escape closes.
    page = page_as("a.schmidt")
    page.set_viewport_size(NARROW)
    page.goto(f"{site.base_url}/akten")
    nav = page.get_by_role("navigation", name="Hauptnavigation")
    button = page.get_by_role("button", name="Menü")
    expect(nav).to_be_hidden()
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Suche")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Meine Akten")).to_be_focused()
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    nav.get_by_role("link", name="Suche").click()
    page.wait_for_url("**/suche**")
    # Wide again: no button, the navigation in plain sight.
    page.set_viewport_size(WIDE)
    expect(button).to_be_hidden()
    expect(nav).to_be_visible()


def test_an_image_is_previewed_a_docx_is_not_and_checksums_open_on_demand(site, page_as):
    page = page_as("a.schmidt")
    open_main_page(page, site.base_url, "akte")
    page.set_input_files(
        "#datei",
        [
            {"name": "lageplan.png", "mimeType": "image/png", "buffer": PNG},
            {
                "name": "stellungnahme.docx",
                "mimeType": "application/octet-stream",
                "buffer": make_docx("Stellungnahme des Bauamts"),
            },
        ],
    )
    page.get_by_role("button", name="Hochladen", exact=True).click()
    expect(page.get_by_text("2 von 2 Dateien hochgeladen.")).to_be_visible()
    case_file_url = page.url.split("?")[0].split("#")[0]
    page.set_viewport_size(NARROW)

    page.goto(case_file_url)
    page.get_by_role("link", name="lageplan.png", exact=True).first.click()
    page.wait_for_url("**/dokumente/*")
    image = page.locator("img.akte-bild")
    expect(image).to_be_visible()
    assert page.evaluate("() => document.querySelector('img.akte-bild').naturalWidth") == 1
    checksum = page.get_by_text("Prüfsumme (SHA-256)")
    expect(checksum).to_be_hidden()
    page.locator(".akte-details summary").first.focus()
    page.keyboard.press("Enter")
    expect(checksum).to_be_visible()
    fits(page, "Dokument with Details open at 400 px")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    page.goto(case_file_url)
    page.get_by_role("link", name="stellungnahme.docx", exact=True).first.click()
    page.wait_for_url("**/dokumente/*")
    if find_program() is None:
        expect(
            page.get_by_text("Keine Vorschau für dieses Format – bitte herunterladen.")
        ).to_be_visible()
        expect(page.get_by_role("link", name="Version 1 herunterladen")).to_be_visible()
    else:  # LibreOffice is installed: the page frames the PDF it made
        expect(page.locator("iframe.akte-vorschau")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
