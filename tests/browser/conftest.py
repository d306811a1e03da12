"""The real product served from a temporary instance, and Chromium driven by Playwright.

One server for the whole session (`eakte init`, `eakte demo`, `eakte serve`): the tests
see the demo town of `eakte demo` and leave their own case files behind.
Skipped when Chromium or Playwright is missing, unless EAKTE_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eakte.config import Settings
from tests.browser.support import CHROMIUM, CHROMIUM_ARGS, playwright_or_skip, sign_in

START_TIMEOUT = 60


@dataclass(frozen=True)
class Site:
    base_url: str
    password: str
    log: Path
    database_url: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _eakte(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "eakte", *args], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"eakte {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to the whole process group (server and worker), SIGKILL after 10 s."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """`eakte serve` on a free port, over a fresh instance with the demo data."""
    playwright_or_skip()
    root = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EAKTE_")}
    env["EAKTE_INSTANCE_PATH"] = str(root / "instance")
    _eakte(env, "init")
    demo = _eakte(env, "demo")
    match = re.search(r"Web sign-in .* password (\S+)", demo)
    assert match, f"`eakte demo` printed no password:\n{demo}"
    port = _free_port()
    log = root / "serve.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "eakte", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port), "--workers", "1"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(f"{base_url}/api/v1/health"):
            assert server.poll() is None, f"server exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"server not up in {START_TIMEOUT} s"
            time.sleep(0.2)
        database_url = Settings.from_env(env).database_url
        yield Site(base_url=base_url, password=match.group(1), log=log, database_url=database_url)
    finally:
        _stop(server)


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
