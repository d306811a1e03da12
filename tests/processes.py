"""Real eakte processes for the tests: `eakte init`, `eakte serve`, `eakte worker`.

Multi-node, fault and hostile-input tests need the product as it runs in production
(gunicorn, separate worker processes, real signals), not the in-process test client.

    node = Instance(tmp_path / "a", database_url=..., extra_env=s3_settings(...))
    token = node.init()                      # the first admin's token
    server = node.serve()                    # gunicorn on a free port, no worker inside
    server.call("GET", "/case-files", token=token)
    worker = node.worker()                   # `eakte worker` as its own process
    server.kill()                            # SIGKILL to the whole process group
    server.stop()                            # SIGTERM, then SIGKILL after a grace period

Several `Instance`s may share a database, object store and search index (and must
then share the key ring and secret key: `Instance.sharing(other, path)` copies them),
which is how several app nodes of one deployment look.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

START_TIMEOUT = 60.0
STOP_GRACE = 15.0
ROOT = Path(__file__).resolve().parent.parent
# Runs the eakte CLI with the Elasticsearch client's compatibility headers adjusted
# for osmem-server (EAKTE_TEST_ES_COMPAT=1); see tests/searchserver.py for why. (Set
# for good: `plain_json_headers().__enter__()` on a context manager nobody keeps
# would be undone as soon as the generator is collected, i.e. at once.)
LAUNCHER = (
    "import os, sys\n"
    "if os.environ.get('EAKTE_TEST_ES_COMPAT') == '1':\n"
    "    from elasticsearch._sync.client import _base\n"
    "    from tests.searchserver import PLAIN_MIMETYPE_SUB\n"
    "    _base._COMPAT_MIMETYPE_SUB = PLAIN_MIMETYPE_SUB\n"
    "from eakte.cli import main\n"
    "sys.exit(main())\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """CPU time `pid` has used so far, that of its children it has waited for included
    (tesseract under the extraction child). Unlike wall time it does not grow with the
    load of the host, so limits on work are asserted with it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def fresh_postgres_database(admin_url: str, name: str) -> Iterator[str]:
    """An empty PostgreSQL database (dropped afterwards); `eakte init` migrates it."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextlib.contextmanager
def extraction_children_stopped_while_starting(tmp: Path) -> Iterator[None]:
    """Extraction children started meanwhile get SIGTERM before Python even runs in them,
    as when systemd stops the whole unit in the instant one starts."""
    from multiprocessing import resource_tracker, spawn

    script = tmp / "python-stopped-at-start"
    script.write_text(
        "#!/bin/sh\n"
        'case "$*" in *--multiprocessing-fork*) kill -TERM $$ ;; esac\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    script.chmod(0o755)
    resource_tracker.ensure_running()  # with the real interpreter
    interpreter = spawn.get_executable()
    spawn.set_executable(str(script))
    try:
        yield
    finally:
        spawn.set_executable(interpreter)


class Instance:
    """One node's configuration: an instance folder plus EAKTE_* settings."""

    def __init__(
        self,
        path: Path,
        *,
        database_url: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.path = path
        self.path.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EAKTE_")}
        self.env.update(
            {
                "EAKTE_INSTANCE_PATH": str(path / "instance"),
                "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": str(ROOT),
                "TMPDIR": str(self._tmp()),
            }
        )
        if database_url:
            self.env["EAKTE_DATABASE_URL"] = database_url
        self.env.update(extra_env or {})
        self.processes: list[Process] = []

    def _tmp(self) -> Path:
        tmp = self.path / "tmp"
        tmp.mkdir(exist_ok=True)
        return tmp

    @property
    def instance_path(self) -> Path:
        return Path(self.env["EAKTE_INSTANCE_PATH"])

    def sharing(self, other_path: Path) -> Instance:
        """A second node of the same deployment: same settings, copied key material."""
        node = Instance(other_path, extra_env={})
        node.env.update({k: v for k, v in self.env.items() if k.startswith("EAKTE_")})
        node.env["EAKTE_INSTANCE_PATH"] = str(other_path / "instance")
        shutil.copytree(self.instance_path, node.instance_path, dirs_exist_ok=True)
        return node

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120) -> str:
        """`eakte ARGS…`; returns standard output, fails the test on a non-zero exit."""
        result = subprocess.run(
            self.command(*args),
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"eakte {' '.join(args)} failed:\n{result.stderr}"
        return result.stdout

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-c", LAUNCHER, *args]

    def init(self) -> str:
        """`eakte init`; the admin token it prints."""
        return self.run("init").strip().splitlines()[-1]

    def serve(self, *, workers: int = 1, threads: int = 4, extra: tuple[str, ...] = ()) -> Server:
        port = free_port()
        process = Server(
            self,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--no-worker",
            *extra,
            port=port,
        )
        process.wait_healthy()
        return process

    def worker(self, *, interval: float = 0.2) -> Process:
        return Process(self, "worker", "--interval", str(interval))

    def stop_all(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM to all of this node's processes at once, SIGKILL to any left after `grace` s."""
        stop_together(reversed(self.processes), grace)


def stop_together(processes: Iterable[Process], grace: float = STOP_GRACE) -> None:
    """Stop several processes in parallel: SIGTERM to all, then wait, then SIGKILL the rest."""
    processes = list(processes)
    for process in processes:
        if process.running():
            process.signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=max(deadline - time.monotonic(), 0.0))
        process.kill()  # those still running, and any leftover member of each group


class Process:
    """A long-running `eakte …` subprocess in its own process group, logging to a file."""

    def __init__(self, instance: Instance, *args: str) -> None:
        self.instance = instance
        self.name = args[0]
        self.log = instance.path / f"{self.name}-{len(instance.processes)}.log"
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                instance.command(*args),
                cwd=ROOT,
                env=instance.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopped or killed as a whole
            )
        instance.processes.append(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log.read_bytes()[-limit:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """SIGKILL to the whole group, as a power cut or the OOM killer would."""
        self.signal(signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self, grace: float = STOP_GRACE) -> int | None:
        """SIGTERM to the group, SIGKILL after `grace` seconds; the exit status."""
        if self.popen.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill()
        else:
            self.signal(signal.SIGKILL)  # no orphaned member of the group stays
        return self.popen.returncode


class Server(Process):
    """`eakte serve` on 127.0.0.1:port with tiny HTTP helpers for JSON calls."""

    def __init__(self, instance: Instance, *args: str, port: int) -> None:
        self.port = port
        super().__init__(instance, *args)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        def healthy() -> bool:
            assert self.running(), f"eakte serve exited:\n{self.log_tail()}"
            with contextlib.suppress(OSError, http.client.HTTPException):
                return self.call("GET", "/health")[0] == 200
            return False

        wait_until(healthy, timeout, f"eakte serve on port {self.port}")

    def connection(self, timeout: float = 30) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        body: object = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> tuple[int, dict[str, str], Any]:
        """One request to `/api/v1{path}` with a JSON `body` or `raw` bytes.

        Returns the status, the headers (lower-case names) and the JSON body (or bytes).
        """
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None:
            raw = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        conn = self.connection(timeout)
        try:
            conn.request(method, "/api/v1" + path, body=raw, headers=sent)
            response = conn.getresponse()
            data = response.read()
            received = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        if data and received.get("content-type", "").split(";")[0].endswith("json"):
            return response.status, received, json.loads(data)
        return response.status, received, data

    def upload(
        self, token: str, case_file_id: str, filename: str, data: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """A one-part multipart upload of `data` as `filename` into a case file."""
        boundary = "eakte-test-boundary-7d4b1c"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.call(
            "POST",
            f"/case-files/{case_file_id}/documents",
            token=token,
            raw=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            timeout=120,
        )
