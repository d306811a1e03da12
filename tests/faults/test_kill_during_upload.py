"""kill -9 of `eakte serve` in the middle of large uploads, on the file store and on S3.

One SIGKILL hits four large uploads, each at a moment that leaves different debris:

1. a new version whose request body is still arriving (the client sent part of it
   and waits, as on a slow line): only werkzeug's spool in the server's TMPDIR;
2. a new version and a new document whose encrypted objects are complete but whose
   rows have not committed: a transaction of the test holds the row locks those
   transactions need (the document row for the version; the case file row, which
   the new document's foreign key must share-lock) — the server waits exactly in
   the window between "object stored" and "row committed";
3. a new document whose object is half-written (a `.incoming-` file in the folder,
   an unfinished multipart upload on S3): the server is frozen with SIGSTOP the
   moment it is seen, checked to be still half-written, then SIGKILLed — a kill -9
   at a pinned moment rather than a lucky one.

A new server on the same instance then shows no new document and no new version;
the earlier version downloads with its recorded SHA-256. `eakte sweep` with
EAKTE_SWEEP_GRACE_HOURS=0 removes the orphaned and the half-written objects and
leaves the referenced one alone.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import s3_settings
from tests.faults.support import (
    FileStoreView,
    Municipality,
    RawUpload,
    S3StoreView,
    expect,
    freeze,
    spooled_bytes,
)
from tests.processes import Instance, Server, wait_until

pytestmark = pytest.mark.xdist_group("faults")

MiB = 1024 * 1024
# Big enough to take a while to write (about half a second), and more than two of the
# S3 adapter's 16 MiB parts, so that S3 sees a multipart upload.
LARGE = 48 * MiB + 12345


@pytest.fixture(params=["file", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, str], object]:
    """(settings, a view of the store) for the file store or a SeaweedFS bucket."""
    if request.param == "file":
        root = tmp_path / "objects"
        return {"EAKTE_STORAGE_URL": f"file://{root}"}, FileStoreView(root)
    s3 = request.getfixturevalue("s3")
    return s3_settings(s3, "akten"), S3StoreView(s3.client(), "akten")


def test_kill_9_during_large_uploads_loses_nothing_and_sweep_cleans_up(
    backend, postgres_url: str, tmp_path: Path, nodes: list[Instance]
) -> None:
    env, store = backend
    node = Instance(
        tmp_path / "node",
        database_url=postgres_url,
        extra_env={**env, "EAKTE_SWEEP_GRACE_HOURS": "0"},
    )
    nodes.append(node)
    admin = node.init()
    server = node.serve(threads=8)
    town = Municipality.set_up(server, admin)
    original = os.urandom(3 * MiB)
    document = expect(town.upload(server, "bescheid.bin", original), 201)["id"]
    kept = store.objects()
    assert len(kept) == 1
    large = os.urandom(LARGE)
    new_version = f"/documents/{document}/versions"
    new_document = f"/case-files/{town.case_file}/documents"
    uploads: list[RawUpload] = []
    db = sa.create_engine(postgres_url)
    try:
        # 1. A new version whose body is still arriving (the client sent a third of it).
        uploads.append(RawUpload(server, town.clerk, new_version, "v2.bin", large))
        uploads[-1].send(16 * MiB)
        wait_until(lambda: spooled_bytes(server) >= 8 * MiB, 60, "the server to spool 8 MiB")
        # 2. A new version and a new document whose objects are complete and whose rows
        # wait for locks the test holds.
        with _locked(db, "document", document), _locked(db, "case_file", town.case_file):
            for path in (new_version, new_document):
                uploads.append(RawUpload(server, town.clerk, path, "neu.bin", large))
                uploads[-1].send()

            def stored_and_waiting() -> bool:
                assert server.running(), server.log_tail()
                return len(store.objects()) == len(kept) + 2 and _waiting_for_lock(db) == 2

            wait_until(stored_and_waiting, 120, "two objects stored and their rows waiting")
            complete_orphans = store.objects() - kept
            # 3. A new document whose object is half-written: kill -9 now.
            uploads.append(RawUpload(server, town.clerk, new_document, "neu.bin", large))
            uploads[-1].send()
            half_written = _kill_while_half_written(server, store, kept | complete_orphans)
    finally:
        for upload in uploads:
            upload.close()
        db.dispose()

    assert _leftovers(node) == []  # the spools went with the process
    server = node.serve()
    # Nothing a user sees changed: no new document, no new version, the old one intact.
    assert town.documents(server) == [document]
    assert town.versions(server, document) == [1]
    town.assert_downloads(server, document, original)
    # What is left in the store is garbage only: two complete objects, one half-written.
    assert store.objects() == kept | complete_orphans
    assert store.partials() == half_written

    node.run("sweep")
    assert store.objects() == kept
    assert store.partials() == []
    town.assert_downloads(server, document, original, number=1)
    # The instance is not wedged: the next large version goes in and comes back whole.
    assert expect(town.add_version(server, document, large), 201)["number"] == 2
    town.assert_downloads(server, document, large)
    town.assert_downloads(server, document, original, number=1)


def _kill_while_half_written(server: Server, store: object, kept: set[str]) -> list[str]:
    """Freeze the server as soon as a half-written object shows, check, then kill -9."""
    deadline = time.monotonic() + 60
    while not (partials := store.partials()):
        assert server.running(), server.log_tail()
        assert store.objects() == kept, "the object was written completely, unseen"
        assert time.monotonic() < deadline, "no half-written object appeared within 60 s"
        time.sleep(0.002)
    freeze(server)
    try:
        still = store.partials()
        assert still == partials, f"the write finished before the freeze: {partials} → {still}"
    finally:
        server.kill()
    return partials


class _locked:
    """A transaction of the test holding `SELECT … FOR UPDATE` on one row."""

    def __init__(self, db: sa.Engine, table: str, row_id: str) -> None:
        self.db, self.table, self.row_id = db, table, row_id

    def __enter__(self) -> None:
        self.conn = self.db.connect()
        self.conn.execute(
            sa.text(f"SELECT id FROM {self.table} WHERE id = CAST(:id AS uuid) FOR UPDATE"),
            {"id": self.row_id},
        ).one()

    def __exit__(self, *exc: object) -> None:
        self.conn.rollback()
        self.conn.close()


def _waiting_for_lock(db: sa.Engine) -> int:
    """How many sessions of the test database wait for a lock."""
    with db.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def _leftovers(node: Instance) -> list[str]:
    """Files of a MiB or more under the server's TMPDIR (an upload's spool would be one)."""
    tmp = Path(node.env["TMPDIR"])
    return [str(p) for p in tmp.rglob("*") if p.is_file() and p.stat().st_size >= MiB]
