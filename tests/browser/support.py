"""Shared helpers for the browser tests: the skip rule, sign-in, axe-core, layout checks."""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


def browser_problem() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    for module in ("playwright", "axe_playwright_python"):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module!r} is missing (pip install -e .[dev])"
    return None


def playwright_or_skip() -> ModuleType:
    """`playwright.sync_api`, or skip the module (fail when EAKTE_REQUIRE_BROWSER=1)."""
    problem = browser_problem()
    if problem is not None:
        if os.environ.get("EAKTE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required but {problem}", pytrace=False)
        pytest.skip(f"browser tests skipped: {problem}", allow_module_level=True)
    import playwright.sync_api

    playwright.sync_api.expect.set_options(timeout=10_000)
    return playwright.sync_api


def sign_in(page: Any, base_url: str, username: str, password: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto(f"{base_url}/anmelden")
    page.fill("#benutzername", username)
    page.fill("#passwort", password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_load_state()
    assert "/anmelden" not in page.url, f"sign-in of {username} failed: {page.url}"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the page."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])}: {node['html'][:160]}")
    return "\n".join(lines)


def horizontal_overflow(page: Any) -> dict[str, int] | None:
    """Widths if the document is wider than the window (a horizontal scrollbar), else None."""
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, window: window.innerWidth})"
    )
    return widths if widths["scroll"] > widths["window"] + 1 else None


def widest_elements(page: Any) -> list[str]:
    """The elements that stick out on the right: for a readable failure message."""
    return page.evaluate(
        """() => {
          const limit = window.innerWidth + 1;
          const out = [];
          for (const el of document.body.querySelectorAll('*')) {
            const right = el.getBoundingClientRect().right;
            if (right > limit) {
              const name = typeof el.className === 'string' && el.className
                ? '.' + el.className : (el.id ? '#' + el.id : '');
              out.push(`${el.tagName.toLowerCase()}${name} → ${Math.round(right)}px`);
            }
          }
          return out.slice(0, 10);
        }"""
    )


# The main pages: key → (who looks at it, how to get there). None: not signed in.
MAIN_PAGES: dict[str, str | None] = {
    "anmelden": None,
    "meine-akten": "a.schmidt",
    "akte-anlegen": "a.schmidt",
    "akte": "a.schmidt",
    "dokument": "a.schmidt",
    "suche": "a.schmidt",
    "aufbewahrung": "registratur",
    "protokoll": "revision",
    "verwaltung": "m.becker",
    "nicht-gefunden": "a.schmidt",
}
DEMO_CASE_FILE = "Gewerbeanmeldung Bäckerei Sommer, Hauptstraße 12"
DEMO_DOCUMENT = "Gewerbeanmeldung (GewA 1)"
DEMO_QUERY = "Gewerbeanmeldungen"
SEARCH_TIMEOUT = 20


def open_main_page(page: Any, base_url: str, key: str) -> None:
    """Navigate `page` (signed in as MAIN_PAGES[key]) to the main page `key`."""
    paths = {
        "anmelden": "/anmelden",
        "meine-akten": "/akten",
        "akte-anlegen": "/akten/neu",
        "aufbewahrung": "/aufbewahrung",
        "protokoll": "/protokoll",
        "verwaltung": "/verwaltung",
        "nicht-gefunden": "/akten/00000000-0000-4000-8000-000000000000",
    }
    if key in paths:
        response = page.goto(base_url + paths[key])
        expected = 404 if key == "nicht-gefunden" else 200
        assert response.status == expected, f"{key}: HTTP {response.status}"
    elif key in ("akte", "dokument"):
        page.goto(f"{base_url}/akten")
        row = page.locator("main tbody tr").filter(has_text=DEMO_CASE_FILE).first
        row.get_by_role("link").first.click()
        page.wait_for_url("**/akten/*")
        if key == "dokument":
            page.get_by_role("link", name=DEMO_DOCUMENT, exact=True).first.click()
            page.wait_for_url("**/dokumente/*")
    elif key == "suche":
        # The worker indexes the demo documents shortly after start: poll for the hits.
        deadline = time.monotonic() + SEARCH_TIMEOUT
        page.goto(f"{base_url}/suche?q={DEMO_QUERY}")
        while page.locator(".trefferliste > li").count() == 0:
            assert time.monotonic() < deadline, f"no hit for {DEMO_QUERY} after 20 s"
            time.sleep(0.3)
            page.reload()
    else:
        raise KeyError(key)
    page.wait_for_load_state()


# Drops text files onto an element, as a user dragging them from the desktop would.
DROP = """(zone, files) => {
    const transfer = new DataTransfer();
    for (const [name, text] of files) {
        transfer.items.add(new File([text], name, {type: "text/plain"}));
    }
    for (const type of ["dragenter", "dragover", "drop"]) {
        zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true,
                                                cancelable: true}));
    }
}"""
