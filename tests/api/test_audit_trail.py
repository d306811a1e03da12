"""The sealed audit trail as an auditor uses it, and as an attacker with database access sees it."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import subprocess
import sys

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from eakte.models import AuditCheckpoint, AuditEvent
from eakte.services import audit_pseudonyms, audit_sealing, audit_verification
from tests.api.support import activity
from tests.helpers import assert_problem, audit_events


def h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def rfc6962_verify(leaf_hash: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """An independent verifier: rebuild the root from the path, RFC 6962 §2.1.1 recursion."""

    def walk(m: int, n: int, path: list[bytes]) -> bytes:
        if n == 1:
            assert not path
            return leaf_hash
        k = 1
        while k * 2 < n:
            k *= 2
        sibling, rest = path[-1], path[:-1]
        if m < k:
            return h(b"\x01" + walk(m, k, rest) + sibling)
        return h(b"\x01" + sibling + walk(m - k, n - k, rest))

    try:
        return walk(index, size, list(path)) == root
    except (AssertionError, IndexError):
        return False


def test_only_auditors_read_the_trail(town):
    for path in (
        "/audit/events",
        "/audit/export",
        "/audit/checkpoints",
        "/audit/public-key",
        "/audit/verify",
        "/audit/events/0/proof",
        "/audit/consistency?first=1&second=1",
    ):
        assert_problem(town.anna.get(path), 403, "forbidden")
        assert_problem(town.admin.get(path), 403, "forbidden")
        assert_problem(town.rita.get(path), 403, "forbidden")
    assert town.audrey.get("/audit/events").status_code == 200


def test_events_are_sealed_gap_free_and_filterable(town, ports):
    case_file = activity(town)
    page = town.audrey.get("/audit/events?limit=500").get_json()
    seqs = [e["seq"] for e in page["items"]]
    assert seqs == list(range(len(seqs)))
    denied = town.audrey.get("/audit/events?actor=ben&outcome=denied").get_json()["items"]
    assert [(e["action"], e["object_id"]) for e in denied] == [("case_file.read", case_file["id"])]
    by_object = town.audrey.get(f"/audit/events?object={case_file['id']}").get_json()["items"]
    assert {e["action"] for e in by_object} >= {"case_file.create", "case_file.read"}
    assert all(len(e["leaf_hash"]) == 64 for e in page["items"])
    # the auditor's own queries are events too
    assert audit_events(ports, actor="audrey", action="audit.query")


def test_every_api_action_leaves_exactly_one_event(town, ports):
    from tests.api.support import upload

    case_file = town.case_file()
    document = upload(town.anna, case_file["id"], b"Bescheid").get_json()
    calls = [
        (town.anna, "get", f"/case-files/{case_file['id']}", None),
        (town.ben, "get", f"/case-files/{case_file['id']}", None),
        (town.anna, "post", f"/case-files/{case_file['id']}/processes", {"title": "Anhörung"}),
        (town.carla, "post", f"/case-files/{case_file['id']}/processes", {"title": "x"}),
        (
            town.lea,
            "post",
            f"/case-files/{case_file['id']}/grants",
            {"department": "50", "permission": "read"},
        ),
        (town.lea, "get", f"/case-files/{case_file['id']}/grants", None),
        (town.anna, "get", "/case-files", None),
        (town.anna, "get", "/departments", None),
        (town.anna, "get", "/file-plan", None),
        (town.admin, "post", "/departments", {"code": "70", "name": "Umweltamt"}),
        (town.anna, "post", "/departments", {"code": "71", "name": "Nicht erlaubt"}),
        (town.anna, "post", f"/case-files/{case_file['id']}/close", None),
        (town.audrey, "get", "/audit/events", None),
        (town.audrey, "get", "/audit/verify", None),
        (town.audrey, "get", "/audit/public-key", None),
        (town.anna, "get", "/audit/events", None),
        (town.anna, "get", f"/documents/{document['id']}", None),
        (town.anna, "get", f"/documents/{document['id']}/versions", None),
        (town.anna, "get", f"/documents/{document['id']}/content", None),
        (town.ben, "get", f"/documents/{document['id']}/content", None),
        (town.anna, "get", f"/case-files/{case_file['id']}/documents", None),
        (town.admin, "post", "/principals", {"username": "otto", "display_name": "Otto"}),
        (town.admin, "post", "/principals/otto/tokens", {}),
        (town.anna, "post", "/principals/otto/tokens", {}),
    ]
    for number, (who, method, path, body) in enumerate(calls):
        request_id = f"walk-{number}"
        headers = {"X-Request-Id": request_id}
        response = (
            getattr(who, method)(path, body, headers=headers)
            if method == "post"
            else getattr(who, method)(path, headers=headers)
        )
        assert response.status_code < 500, path
        events = audit_events(ports, request_id=request_id)
        assert len(events) == 1, (path, [e.action for e in events])
        assert events[0].outcome == ("denied" if response.status_code in (403, 404) else "allowed")


def _checkpoint(town) -> dict:
    town.audrey.get("/audit/events")  # seals
    from eakte.services.audit_sealing import issue_checkpoint

    issue_checkpoint(town.client.application.extensions["eakte"])
    return town.audrey.get("/audit/checkpoints/latest").get_json()


def test_a_random_event_is_provably_in_a_signed_checkpoint(town):
    activity(town)
    checkpoint = _checkpoint(town)
    public = serialization.load_pem_public_key(town.audrey.get("/audit/public-key").data)
    public.verify(
        base64.b64decode(checkpoint["signature"]),
        checkpoint["body"].encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    signed = json.loads(checkpoint["body"])
    assert signed["tree_size"] == checkpoint["tree_size"]
    size = checkpoint["tree_size"]
    export = [
        json.loads(line) for line in town.audrey.get("/audit/export?format=jsonl").data.splitlines()
    ]
    for seq in random.Random(size).sample(range(size), min(5, size)):
        proof = town.audrey.get(f"/audit/events/{seq}/proof?tree_size={size}").get_json()
        leaf = h(b"\x00" + base64.b64decode(export[seq]["canonical"]))
        assert proof["leaf_hash"] == leaf.hex()
        assert rfc6962_verify(
            leaf,
            seq,
            size,
            [bytes.fromhex(p) for p in proof["audit_path"]],
            bytes.fromhex(signed["root_hash"]),
        )
        assert not rfc6962_verify(
            h(b"\x00forged"),
            seq,
            size,
            [bytes.fromhex(p) for p in proof["audit_path"]],
            bytes.fromhex(signed["root_hash"]),
        )


def test_consistency_between_two_checkpoints(town):
    from eakte.evidence.merkle import verify_consistency

    activity(town)
    first = _checkpoint(town)
    activity(town)
    second = _checkpoint(town)
    proof = town.audrey.get(
        f"/audit/consistency?first={first['tree_size']}&second={second['tree_size']}"
    ).get_json()
    assert proof["first_root"] == first["root_hash"]
    assert proof["second_root"] == second["root_hash"]
    assert verify_consistency(
        first["tree_size"],
        second["tree_size"],
        bytes.fromhex(first["root_hash"]),
        bytes.fromhex(second["root_hash"]),
        [bytes.fromhex(p) for p in proof["proof"]],
    )


def test_an_export_verifies_offline_and_a_changed_line_is_located(town, tmp_path):
    activity(town)
    _checkpoint(town)
    export = tmp_path / "export.jsonl"
    export.write_bytes(town.audrey.get("/audit/export?format=jsonl").data)
    checkpoints = tmp_path / "checkpoints.json"
    checkpoints.write_bytes(town.audrey.get("/audit/checkpoints").data)
    key = tmp_path / "public.pem"
    key.write_bytes(town.audrey.get("/audit/public-key").data)

    def verify() -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "eakte",
                "audit",
                "verify",
                "--export",
                str(export),
                "--checkpoints",
                str(checkpoints),
                "--public-key",
                str(key),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin"},
        )

    good = verify()
    assert good.returncode == 0, good.stdout + good.stderr
    assert json.loads(good.stdout)["ok"] is True

    lines = export.read_text().splitlines()
    victim = json.loads(lines[3])
    victim["actor"] = "mallory"
    lines[3] = json.dumps(victim)
    export.write_text("\n".join(lines) + "\n")
    bad = verify()
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["first_bad_seq"] == 3


def test_the_csv_export_has_one_row_per_event(town):
    activity(town)
    rows = town.audrey.get("/audit/export?format=csv").data.decode().splitlines()
    assert rows[0].startswith("seq,occurred_at,actor,action")
    assert len(rows) > 5


def _verify(town) -> dict:
    return town.audrey.get("/audit/verify").get_json()


def _tamper(ports, statement, **params) -> None:
    with ports.session_factory() as session, session.begin():
        session.execute(sa.text(statement), params)


@pytest.mark.parametrize(
    ("attack", "statement"),
    [
        ("change a byte of a field", "UPDATE audit_event SET actor = 'annA' WHERE seq = 4"),
        ("delete an event", "DELETE FROM audit_event WHERE seq = 4"),
        (
            "swap two events",
            "UPDATE audit_event SET seq = CASE seq WHEN 4 THEN 5 ELSE 4 END WHERE seq IN (4, 5)",
        ),
    ],
)
def test_tampering_with_events_is_detected_and_located(town, ports, attack, statement):
    activity(town)
    _checkpoint(town)
    assert _verify(town)["ok"] is True
    if "swap" in attack:  # the unique seq needs a detour
        _tamper(ports, "UPDATE audit_event SET seq = -1 WHERE seq = 4")
        _tamper(ports, "UPDATE audit_event SET seq = 4 WHERE seq = 5")
        _tamper(ports, "UPDATE audit_event SET seq = 5 WHERE seq = -1")
    else:
        _tamper(ports, statement)
    result = _verify(town)
    assert result["ok"] is False
    assert result["first_bad_seq"] == 4, result


def test_a_thorough_forger_who_rehashes_everything_still_fails_at_the_checkpoint(town, ports):
    activity(town)
    checkpoint = _checkpoint(town)
    _tamper(ports, "UPDATE audit_event SET actor = 'mallory' WHERE seq = 2")
    # recompute leaf and chain hashes as a database administrator could
    from eakte.evidence import merkle
    from eakte.evidence.canonical import ZERO_HASH, canonical_json, chain_hash, event_document

    with ports.session_factory() as session, session.begin():
        previous = ZERO_HASH
        for row in session.scalars(
            sa.select(AuditEvent).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)
        ):
            leaf = merkle.leaf_hash(canonical_json(event_document(audit_sealing.event_fields(row))))
            previous = chain_hash(previous, leaf)
            row.leaf_hash, row.chain_hash = leaf, previous
    result = _verify(town)
    assert result["ok"] is False
    assert result["first_bad_seq"] == 0
    assert f"checkpoint at tree size {checkpoint['tree_size']}" in result["problem"]


def test_editing_a_checkpoint_is_detected(town, ports):
    activity(town)
    _checkpoint(town)
    _tamper(ports, "UPDATE audit_checkpoint SET root_hash = :forged", forged="00" * 32)
    result = _verify(town)
    assert result["ok"] is False and "checkpoint" in result["problem"]


def test_deleting_the_newest_events_after_a_checkpoint_is_detected(town, ports):
    activity(town)
    checkpoint = _checkpoint(town)
    _tamper(ports, "DELETE FROM audit_event WHERE seq >= :cut", cut=checkpoint["tree_size"] - 2)
    result = _verify(town)
    assert result["ok"] is False
    assert result["first_bad_seq"] == checkpoint["tree_size"] - 2


def test_old_client_addresses_are_erased_and_the_trail_still_verifies(town, ports, clock, system):
    activity(town)
    _checkpoint(town)
    with ports.session_factory() as session:
        assert session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.client_address.is_not(None))
        )
    clock.advance(days=ports.settings.audit_address_days + 1)
    assert audit_pseudonyms.pseudonymise_addresses(ports) > 0
    with ports.session_factory() as session:
        rows = session.scalars(sa.select(AuditEvent).where(AuditEvent.seq.is_not(None))).all()
        assert all(row.client_address is None for row in rows)
        assert all(row.client_address_hash for row in rows if row.actor != "system:test")
    assert audit_verification.verify_trail(system).ok  # (the API tokens have expired by now)


def test_checkpoints_are_also_kept_in_object_storage(town, ports):
    activity(town)
    checkpoint = _checkpoint(town)
    with ports.session_factory() as session:
        row = session.scalars(sa.select(AuditCheckpoint)).one()
    copy = json.loads(b"".join(ports.blob_store.get(row.object_key)))
    assert copy["body"] == checkpoint["body"] and copy["signature"] == checkpoint["signature"]
    ports.blob_store.delete(row.object_key)
    assert "object storage" in _verify(town)["problem"]


def test_checkpoints_come_every_n_events_or_t_seconds(ports, system, clock):
    import dataclasses

    from eakte.services import audit

    ports.settings = dataclasses.replace(
        ports.settings, audit_checkpoint_events=3, audit_checkpoint_seconds=600
    )

    def write(count: int) -> None:
        for _ in range(count):
            audit.record(system, "test.write")
            system.commit()

    write(1)
    assert audit_sealing.checkpoint_if_due(ports).tree_size == 1  # the first one at once
    write(2)
    assert audit_sealing.checkpoint_if_due(ports) is None
    write(1)
    assert audit_sealing.checkpoint_if_due(ports).tree_size == 4  # three new events
    write(1)
    assert audit_sealing.checkpoint_if_due(ports) is None
    clock.advance(seconds=601)
    assert audit_sealing.checkpoint_if_due(ports).tree_size == 5  # time is up
    assert audit_sealing.checkpoint_if_due(ports) is None  # nothing new: no new checkpoint
