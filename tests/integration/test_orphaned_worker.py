"""The background worker that `eakte serve` starts ends with it, however `serve` ends.

`kill -9` (or the OOM killer) gives `eakte serve` no chance to stop its worker; the
worker must notice by itself, or every restart would leave one more behind. A worker
started on its own (systemd, a container) is not tied to whoever started it.
Real processes on an embedded instance (SQLite, file store, tantivy).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.support import metric
from tests.processes import ROOT, Instance, Server, wait_until

pytestmark = pytest.mark.xdist_group("processes")

ORPHAN_DEADLINE = 10.0  # the promise of issue 13: gone within 10 s


def _workers_of(instance: Instance) -> list[int]:
    """Pids of live `eakte worker` processes running on this instance (read from /proc)."""
    marker = f"EAKTE_INSTANCE_PATH={instance.instance_path}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            if b"worker" not in (entry / "cmdline").read_bytes().split(b"\0"):
                continue
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(") ", 1)[1][:1]
            if state != "Z":  # a zombie has ended; only its exit status waits for a reaper
                found.append(int(entry.name))
    return found


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Instance]:
    node = Instance(tmp_path / "node")
    yield node
    node.stop_all(grace=5)
    for pid in _workers_of(node):  # a worker in a session of its own, if the test failed
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_kill_9_of_serve_leaves_no_worker_behind(instance: Instance) -> None:
    instance.init()
    server = instance.serve(extra=("--worker",))
    [worker] = wait_until(lambda: _workers_of(instance), 30, "the worker `eakte serve` starts")
    assert worker != server.pid

    os.kill(server.pid, signal.SIGKILL)  # the serve process alone, as the OOM killer does
    server.popen.wait(timeout=10)

    wait_until(lambda: not _workers_of(instance), ORPHAN_DEADLINE, "the orphaned worker to end")
    # It stopped the graceful way, as on SIGTERM, not killed half-way through its work.
    wait_until(lambda: "worker stopped" in server.log_tail(20_000), 5, "the worker's last line")
    assert "Traceback" not in server.log_tail(20_000)


def test_a_worker_started_on_its_own_outlives_whoever_started_it(instance: Instance) -> None:
    token = instance.init()
    # Started by a shell that exits at once, as a daemonising init script would do.
    launcher = subprocess.run(
        ["/bin/sh", "-c", '"$@" >worker.log 2>&1 </dev/null & echo $$ $!', "sh"]
        + instance.command("worker", "--interval", "0.2"),
        cwd=instance.path,
        env={**instance.env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    shell, worker = (int(pid) for pid in launcher.stdout.split())
    try:
        assert _parent_of(shell) == -1 and _parent_of(worker) != shell  # its parent is gone
        server = instance.serve()  # without a worker of its own
        body = {"code": "32", "name": "Ordnungsamt"}
        code, _, answer = server.call("POST", "/departments", token=token, body=body)
        assert code == 201, answer  # one more audit event for the worker to seal
        # Sealed by that worker: it is still at work after its parent has gone.
        wait_until(lambda: _unsealed_events(server) == 0, 60, "the lone worker to seal the trail")
        assert worker in _workers_of(instance)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker, signal.SIGTERM)
    wait_until(lambda: worker not in _workers_of(instance), 30, "the worker to stop on SIGTERM")
    log = (instance.path / "worker.log").read_text(errors="replace")
    assert "worker stopped" in log and "is gone" not in log, log[-4000:]


# A child that watches its parent by polling only, as on a system without PR_SET_PDEATHSIG.
POLLING_CHILD = """
import sys, threading
from eakte import parent
parent._ask_kernel_for_sigterm = lambda: None
stop = threading.Event()
parent.end_with_parent(int(sys.argv[1]), stop, every=0.1)
print("watching", flush=True)
print("stopped" if stop.wait(60) else "still running", flush=True)
"""
MIDDLE = """
import os, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
print(child.pid, flush=True)
child.wait()
"""


def test_without_the_kernel_s_help_the_child_notices_its_parent_is_gone() -> None:
    middle = subprocess.Popen(
        [sys.executable, "-c", MIDDLE, POLLING_CHILD],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    child = int(middle.stdout.readline())
    try:
        assert middle.stdout.readline() == b"watching\n"
        middle.kill()
        middle.wait(timeout=10)
        wait_until(lambda: _gone(child), ORPHAN_DEADLINE, "the orphaned child to stop")
        assert middle.stdout.read() == b"stopped\n"  # by its own decision, not killed
    finally:
        middle.stdout.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1] == "Z"
    except (OSError, IndexError):
        return True


def _parent_of(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _unsealed_events(server: Server) -> float:
    return metric(server, "eakte_audit_unsealed_events")
