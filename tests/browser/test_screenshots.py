"""Screenshots of the main pages for the README, taken only with EAKTE_SCREENSHOTS=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.support import MAIN_PAGES, open_main_page, playwright_or_skip

playwright_or_skip()

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PAGES = ("anmelden", "meine-akten", "akte", "dokument", "suche")
PAGES += ("aufbewahrung", "protokoll", "verwaltung")

pytestmark = pytest.mark.skipif(
    os.environ.get("EAKTE_SCREENSHOTS") != "1",
    reason="screenshots are taken only with EAKTE_SCREENSHOTS=1 (so CI does not rewrite them)",
)


@pytest.mark.parametrize("key", PAGES)
def test_screenshot(site, page_as, key):
    page = page_as(MAIN_PAGES[key])
    open_main_page(page, site.base_url, key)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{key}.png")
