"""axe-core (WCAG 2.1 A/AA) on every main page, and reflow on a narrow window and at 200 %."""

from __future__ import annotations

import pytest

from tests.browser.support import (
    MAIN_PAGES,
    axe_violations,
    describe_violations,
    horizontal_overflow,
    open_main_page,
    playwright_or_skip,
    widest_elements,
)

playwright_or_skip()

# A narrow window, and a 1280×800 window zoomed to 200 % (the CSS viewport halves).
LAYOUTS = {
    "schmal-400px": {"width": 400, "height": 800},
    "zoom-200": {"width": 640, "height": 400},
}


@pytest.mark.parametrize("key", MAIN_PAGES)
def test_no_serious_or_critical_axe_violations(site, page_as, key):
    page = page_as(MAIN_PAGES[key])
    open_main_page(page, site.base_url, key)
    violations = axe_violations(page)
    assert not violations, f"axe-core on {key} ({page.url}):\n{describe_violations(violations)}"


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("key", MAIN_PAGES)
def test_no_horizontal_scrollbar(site, page_as, key, layout):
    page = page_as(MAIN_PAGES[key])
    page.set_viewport_size(LAYOUTS[layout])
    open_main_page(page, site.base_url, key)
    overflow = horizontal_overflow(page)
    assert overflow is None, (
        f"{key} at {layout}: document {overflow['scroll']} px wide, window {overflow['window']} px;"
        f" sticking out: {widest_elements(page)}"
    )
