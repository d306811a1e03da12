"""The audit trail's open window: events after the last signed checkpoint.

Only a signed checkpoint puts events beyond a database administrator's reach; the
worker issues one within seconds of new events by default, and every verification
says which events it could not cover.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import sqlalchemy as sa

from eakte.config import Settings
from eakte.models import AuditCheckpoint, AuditEvent, AuditNode
from eakte.services import audit_sealing
from eakte.services.worker import run_worker
from tests.api.support import activity


def run_worker_until(ports, done: Callable[[], bool], *, timeout: float = 60.0) -> None:
    """The real worker loop (default pace) in a thread, until `done` or the deadline."""
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(ports, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, "the worker did not get there in time"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=60)


def signed_size(ports) -> int:
    with ports.session_factory() as session:
        return session.scalar(sa.select(sa.func.max(AuditCheckpoint.tree_size))) or 0


def seq_of(ports, request_id: str) -> int | None:
    with ports.session_factory() as session:
        return session.scalar(sa.select(AuditEvent.seq).where(AuditEvent.request_id == request_id))


def covered(ports, request_id: str) -> bool:
    seq = seq_of(ports, request_id)
    return seq is not None and signed_size(ports) > seq


def forge_and_reseal(ports, request_id: str, actor: str) -> None:
    """A database administrator with the code: alter an event, then recompute its canonical
    bytes, leaf hash, every later chain hash and the Merkle nodes by sealing all anew."""
    with ports.session_factory() as session, session.begin():
        session.execute(
            sa.update(AuditEvent).where(AuditEvent.request_id == request_id).values(actor=actor)
        )
        session.execute(sa.update(AuditEvent).values(seq=None, leaf_hash=None, chain_hash=None))
        session.execute(sa.delete(AuditNode))
    audit_sealing.seal_all(ports)


def eakte_audit_verify(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EAKTE_")}
    env.update(
        EAKTE_INSTANCE_PATH=str(settings.instance_path), EAKTE_DATABASE_URL=settings.database_url
    )
    return subprocess.run(
        [sys.executable, "-m", "eakte", "audit", "verify", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_forgery_of_an_event_15_seconds_old_is_caught_after_the_usual_worker_cycle(
    town,
    ports,
    clock,
    settings,
) -> None:
    assert ports.settings.audit_checkpoint_seconds == Settings.audit_checkpoint_seconds  # default
    clock.set(clock())
    activity(town)
    run_worker_until(ports, lambda: signed_size(ports) > 0)
    case_file = town.case_file()
    made = town.anna.post(f"/case-files/{case_file['id']}/processes", {"title": "Anhörung"})
    assert made.status_code == 201
    request_id = made.headers["X-Request-Id"]
    clock.advance(seconds=15)  # anna's event is 15 s old when the worker next looks
    run_worker_until(ports, lambda: covered(ports, request_id))

    forge_and_reseal(ports, request_id, actor="ben")
    with ports.session_factory() as session:
        assert (
            session.scalar(sa.select(AuditEvent.actor).where(AuditEvent.request_id == request_id))
            == "ben"
        )
    result = eakte_audit_verify(settings)
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert "do not match the signed checkpoint" in report["problem"]
    assert report["first_bad_seq"] <= seq_of(ports, request_id)


def test_a_verification_names_the_events_no_checkpoint_covers_yet(
    town,
    ports,
    clock,
    settings,
    tmp_path,
) -> None:
    clock.set(clock())
    activity(town)
    audit_sealing.issue_checkpoint(ports)
    signed = signed_size(ports)
    first = town.anna.get("/case-files")
    clock.advance(seconds=42)
    town.carla.get("/case-files")

    body = town.audrey.get("/audit/verify").get_json()
    assert body["ok"] is True
    window = body["uncovered"]
    # anna's and carla's reads: the verification's own event comes after it
    assert window["first_seq"] == signed == seq_of(ports, first.headers["X-Request-Id"])
    assert (window["events"], window["last_seq"]) == (2, signed + 1)
    assert window["seconds"] == 42.0
    assert window["first_occurred_at"].endswith("Z") and window["last_occurred_at"].endswith("Z")
    assert any(f"events {signed}..{window['last_seq']}" in note for note in body["notes"])

    cli = eakte_audit_verify(settings)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert json.loads(cli.stdout)["uncovered"]["first_seq"] == signed
    assert f"not covered: events {signed}.." in cli.stderr

    # Offline, from an auditor's files, the same window.
    files = {
        "--export": town.audrey.get("/audit/export?format=jsonl").data,
        "--checkpoints": town.audrey.get("/audit/checkpoints").data,
        "--public-key": town.audrey.get("/audit/public-key").data,
    }
    args = []
    for option, data in files.items():
        path = tmp_path / option.strip("-")
        path.write_bytes(data)
        args += [option, str(path)]
    offline = eakte_audit_verify(settings, *args)
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert json.loads(offline.stdout)["uncovered"]["first_seq"] == signed
    assert f"not covered: events {signed}.." in offline.stderr

    audit_sealing.issue_checkpoint(ports)
    assert town.audrey.get("/audit/verify").get_json()["uncovered"] is None
