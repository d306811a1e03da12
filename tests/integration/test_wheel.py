"""eakte installs like a product: the wheel, in a fresh virtualenv, away from the checkout.

`python -m build --wheel` builds it (this is also CI's wheel build); it goes into a
virtualenv of its own in a temporary folder with its dependencies from pip (cache or
PyPI), and from a working directory outside the checkout `eakte init` creates an
instance (migrations come from the wheel), `eakte serve` serves it with its worker,
and the API, the web client's pages and their static files answer. About 30-60 s,
most of it pip.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import ROOT, free_port, wait_until

pytestmark = pytest.mark.xdist_group("wheel")

PIP_SECONDS = 600  # a cold cache fetches ~40 packages from PyPI


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh virtualenv with the freshly built wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)], tmp, 300)
    [wheel] = dist.glob("eakte-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp, 120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    _run([*pip, "install", "--quiet", str(wheel)], tmp, PIP_SECONDS)
    return venv / "bin"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A working directory that is not the checkout, with nothing of it on the path."""
    work = tmp_path / "rathaus"
    work.mkdir()
    return work


def _env() -> dict[str, str]:
    drop = ("EAKTE_", "PYTHON", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _run(command: list[str], cwd: Path, timeout: float) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _get(port: int, path: str, token: str | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture
def served(installed: Path, outside: Path) -> Iterator[tuple[int, str]]:
    token = _run([str(installed / "eakte"), "init"], outside, 120).strip().splitlines()[-1]
    port = free_port()
    log = (outside / "serve.log").open("wb")
    server = subprocess.Popen(
        [str(installed / "eakte"), "serve", "--port", str(port), "--workers", "1"],
        cwd=outside,
        env=_env(),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def ready() -> bool:
        assert server.poll() is None, (outside / "serve.log").read_text(errors="replace")
        try:
            return _get(port, "/api/v1/health/ready")[0] == 200
        except OSError:
            return False

    try:
        wait_until(ready, 120, "eakte serve from the wheel")
        yield port, token
    finally:
        server.terminate()  # serve stops its worker itself
        try:
            server.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()
        log.close()


def test_the_installed_wheel_initialises_and_serves_outside_the_checkout(
    installed: Path,
    outside: Path,
    served: tuple[int, str],
) -> None:
    port, token = served
    where = _run(
        [str(installed / "python"), "-c", "import eakte, sys; print(eakte.__file__)"], outside, 60
    )
    assert Path(where.strip()).is_relative_to(installed.parent), where  # not the checkout
    assert (outside / "instance").is_dir()  # the default instance folder, where eakte runs

    status, body = _get(port, "/api/v1/principals", token)
    assert status == 200, body
    assert [p["username"] for p in json.loads(body)["items"]] == ["admin"]
    assert _get(port, "/api/v1/principals")[0] == 401  # and not without the token
    status, page = _get(port, "/anmelden")  # a template from the wheel
    assert status == 200 and b"<form" in page, page[:500]
    assert _get(port, "/static/eakte.css")[0] == 200  # and its static files
