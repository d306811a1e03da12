"""The real product served from a temporary instance, and Chromium driven by Playwright.

One server for the whole session (`eakte init`, `eakte demo`, `eakte serve` and
`eakte worker`, started by tests/processes.py): the tests see the demo town of
`eakte demo` and leave their own case files behind.
Skipped when Chromium or Playwright is missing, unless EAKTE_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eakte.config import Settings
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, playwright_or_skip, sign_in
from tests.processes import Instance

STOP_GRACE = 10


@dataclass(frozen=True)
class Site:
    base_url: str
    password: str
    log: Path
    database_url: str


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """`eakte serve` and its worker on a free port, over a fresh instance with the demo data."""
    playwright_or_skip()
    node = Instance(tmp_path_factory.mktemp("browser"))
    node.init()
    demo = node.run("demo")
    match = re.search(r"Web sign-in .* password (\S+)", demo)
    assert match, f"`eakte demo` printed no password:\n{demo}"
    try:
        server = node.serve()
        node.worker()
        database_url = Settings.from_env(node.env).database_url
        yield Site(server.base_url, match.group(1), server.log, database_url)
    finally:
        node.stop_all(STOP_GRACE)


@pytest.fixture(scope="session")
def browser(site: Site) -> Iterator[Any]:
    sync_api = playwright_or_skip()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page_for(site: Site, browser: Any) -> Iterator[Callable[..., Any]]:
    """`page_for(username)`: a page in a fresh browser context, signed in through the form."""
    contexts = []

    def make(username: str, **context_options: Any) -> Any:
        context_options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(locale="de-DE", **context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, site.base_url, username, site.password)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def page_as(site: Site, browser: Any) -> Iterator[Any]:
    """`page_as(username_or_None)`: the module's page for that user, signed in once."""
    contexts: dict[str | None, Any] = {}
    pages: dict[str | None, Any] = {}

    def get(username: str | None) -> Any:
        if username not in pages:
            context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 800})
            context.set_default_timeout(10_000)
            contexts[username] = context
            pages[username] = context.new_page()
            if username is not None:
                sign_in(pages[username], site.base_url, username, site.password)
        page = pages[username]
        page.set_viewport_size({"width": 1280, "height": 800})
        return page

    yield get
    for context in contexts.values():
        context.close()
