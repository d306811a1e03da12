"""The file store's disk runs full: a clear 507, nothing half-stored, recovery once freed.

A real full disk: the object folder is a 16 MiB tmpfs mounted for the test (we run
as root here) and filled up by a ballast file, as another program on the same
volume might; removing the ballast is the operator freeing space. The database
(SQLite) and the server's TMPDIR live elsewhere, as they usually do.

DESIGN.md says nothing about a full disk. 507 Insufficient Storage (RFC 4918) is
what an operator expects: the request was fine, the server could not store it, and
it is not an outage that passes by itself (no Retry-After, unlike a 503).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.support import FileStoreView, Municipality, expect, expect_problem
from tests.processes import Instance

pytestmark = pytest.mark.xdist_group("faults")

MiB = 1024 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount_point = tmp_path / "objects"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the full-disk test: {mounted.stderr}")
    try:
        yield mount_point
    finally:
        done = subprocess.run(["umount", str(mount_point)], capture_output=True, check=False)
        if done.returncode != 0:  # a process still holds a file there: detach it anyway
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


def _fill(disk: Path, leave: int) -> Path:
    """A ballast file that leaves about `leave` bytes free on the disk."""
    ballast = disk / "ballast"
    stat = os.statvfs(disk)
    size = stat.f_bavail * stat.f_frsize - leave
    with ballast.open("wb") as handle, contextlib.suppress(OSError):
        for _ in range(size // MiB):
            handle.write(b"\0" * MiB)
        handle.write(b"\0" * (size % MiB))
    return ballast


def test_a_full_disk_gives_507_keeps_what_was_stored_and_recovers_when_freed(
    small_disk: Path, tmp_path: Path, nodes: list[Instance]
) -> None:
    node = Instance(tmp_path / "node", extra_env={"EAKTE_STORAGE_URL": f"file://{small_disk}"})
    nodes.append(node)
    admin = node.init()
    server = node.serve()
    town = Municipality.set_up(server, admin)
    earlier = os.urandom(1 * MiB)
    document = expect(town.upload(server, "bescheid.pdf", earlier), 201)["id"]
    store = FileStoreView(small_disk)
    objects = store.objects()

    ballast = _fill(small_disk, leave=MiB)
    too_big = os.urandom(4 * MiB)
    for answer in (
        town.upload(server, "antrag.pdf", too_big),
        town.add_version(server, document, too_big),
    ):
        body = expect_problem(answer, 507, "storage-full", retry_after=False)
        assert "full" in body["detail"]
    assert store.objects() == objects and store.partials() == []  # nothing half-stored
    assert town.documents(server) == [document]  # and no row
    assert town.versions(server, document) == [1]
    town.assert_downloads(server, document, earlier)

    ballast.unlink()  # the operator frees space; the same server goes on
    second = expect(town.upload(server, "antrag.pdf", too_big), 201)["id"]
    assert expect(town.add_version(server, document, too_big), 201)["number"] == 2
    town.assert_downloads(server, second, too_big)
    town.assert_downloads(server, document, too_big)
    town.assert_downloads(server, document, earlier, number=1)
    assert server.running()
