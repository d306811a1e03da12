"""PostgreSQL restarts under a running `eakte serve`: 503 + Retry-After, then recovery.

The machine's shared PostgreSQL (127.0.0.1:5432) serves other tests and is never
touched. This test starts a private cluster of its own with Debian's binaries
(initdb as the `postgres` OS user — initdb refuses root — in a temporary folder,
a free TCP port, its socket in that folder, fsync off) and really stops it: once
with `pg_ctl stop -m fast` (an administrator's restart: sessions are terminated)
and once with `-m immediate` (a crash: crash recovery on start). The server is
never restarted: the pool's pre-ping replaces the dead connections.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.support import Municipality, expect, expect_problem
from tests.processes import Instance, free_port

pytestmark = pytest.mark.xdist_group("faults")


class PrivatePostgres:
    """A throwaway PostgreSQL cluster owned by the `postgres` OS user."""

    def __init__(self) -> None:
        versions = sorted(
            Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
        )
        if not versions:
            pytest.fail("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
        self.bin = versions[-1].parent
        self.base = Path(tempfile.mkdtemp(prefix="eakte-pg-"))
        shutil.chown(self.base, "postgres", "postgres")
        self.data = self.base / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str, timeout: float = 120) -> None:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            cwd=self.base,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}"

    def init(self) -> PrivatePostgres:
        self._as_postgres(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.base}'\n"
                # fsync off: a crash of the server process (not of the machine) loses
                # nothing still; synchronous_commit stays on, or a crash would.
                "fsync = off\n"
                "shared_buffers = 16MB\nmax_connections = 40\n"
            )
        return self

    def start(self) -> None:
        log = self.base / "postgres.log"
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w", "start"
        )

    def stop(self, mode: str) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.running():
            subprocess.run(
                [
                    "runuser",
                    "-u",
                    "postgres",
                    "--",
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres()
    try:
        cluster.init().start()
        yield cluster
    finally:
        cluster.remove()


def test_requests_get_503_during_postgresql_restarts_and_succeed_after_them(
    private_postgres: PrivatePostgres, tmp_path: Path, nodes: list[Instance]
) -> None:
    node = Instance(tmp_path / "node", database_url=private_postgres.url)
    nodes.append(node)
    admin = node.init()
    server = node.serve(workers=2)  # two gunicorn workers, each with its own pool
    town = Municipality.set_up(server, admin)
    before = os.urandom(500_000)
    documents = [expect(town.upload(server, "bescheid.pdf", before), 201)["id"]]
    case_file = f"/case-files/{town.case_file}"
    new_case_file = {"file_plan": "32.10", "department": "32", "title": "Sondernutzung"}

    for mode in ("fast", "immediate"):
        for _ in range(4):  # fill both workers' pools with connections that will die
            expect(server.call("GET", case_file, token=town.clerk), 200)
        objects = sorted((node.instance_path / "objects").rglob("*"))

        private_postgres.stop(mode)
        for answer in (
            server.call("GET", case_file, token=town.clerk),
            server.call("GET", f"/documents/{documents[0]}/content", token=town.clerk),
            town.upload(server, "antrag.pdf", os.urandom(300_000)),
            server.call("POST", "/case-files", token=town.clerk, body=new_case_file),
        ):
            expect_problem(answer, 503, "dependency-unavailable", retry_after=True)
        status, headers, ready = server.call("GET", "/health/ready")
        assert status == 503 and headers["retry-after"].isdigit(), (mode, ready)
        assert ready["checks"]["database"] == "unreachable"
        assert server.call("GET", "/health")[0] == 200  # alive, only not ready
        assert sorted((node.instance_path / "objects").rglob("*")) == objects  # nothing stored

        private_postgres.start()
        # The first requests after the restart succeed already: dead pooled connections
        # are replaced on checkout (pre-ping), in every worker, without restarting eakte.
        for _ in range(6):
            expect(server.call("GET", case_file, token=town.clerk), 200)
        assert server.call("GET", "/health/ready")[0] == 200
        expect(server.call("POST", "/case-files", token=town.clerk, body=new_case_file), 201)
        # Everything committed before the stop (or the crash) is still there.
        assert town.documents(server) == documents
        for document in documents:
            town.assert_downloads(server, document, before)
        documents.append(expect(town.upload(server, "antrag.pdf", before), 201)["id"])
    assert server.running()
