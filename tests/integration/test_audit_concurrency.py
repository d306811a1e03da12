"""Many writers and several sealers at once: one gap-free, verifiable sequence."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from eakte.models import AuditEvent
from eakte.services import audit, audit_sealing, audit_verification
from eakte.services.context import Context

WRITERS = 8
EVENTS_EACH = 25


def test_concurrent_writers_and_sealers_give_a_gap_free_sequence(ports, system):
    start = threading.Barrier(WRITERS + 2)
    writing = threading.Event()
    writing.set()

    def write(worker: int) -> None:
        start.wait(timeout=30)
        for n in range(EVENTS_EACH):
            with ports.session_factory() as session:
                ctx = Context(ports=ports, session=session, system=f"writer-{worker}")
                audit.record(ctx, "test.write", object_id=f"{worker}-{n}")
                ctx.commit()

    def seal() -> int:
        start.wait(timeout=30)
        sealed = 0
        while writing.is_set():
            sealed += audit_sealing.seal_pending(ports, limit=7)
        return sealed

    with ThreadPoolExecutor(WRITERS + 2) as pool:
        sealers = [pool.submit(seal) for _ in range(2)]
        writers = [pool.submit(write, w) for w in range(WRITERS)]
        for future in writers:
            future.result()
        writing.clear()
        for future in sealers:
            future.result()
    audit_sealing.seal_all(ports)

    with ports.session_factory() as session:
        seqs = session.scalars(sa.select(AuditEvent.seq).order_by(AuditEvent.seq)).all()
        written = session.scalars(
            sa.select(AuditEvent.object_id).where(AuditEvent.action == "test.write")
        ).all()
    assert seqs == list(range(len(seqs)))
    assert sorted(written) == sorted(f"{w}-{n}" for w in range(WRITERS) for n in range(EVENTS_EACH))
    audit_sealing.issue_checkpoint(ports)
    result = audit_verification.verify_trail(system)
    assert result.ok, result.problem
