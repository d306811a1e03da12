"""Audit trail benchmark: appending with a live sealer, bulk sealing, verification, proofs.

    .venv/bin/python bench/audit.py [--events 1000000] [--databases sqlite,postgresql]
                                    [--output docs/benchmarks.md] [--writers 4]
                                    [--append-events 20000] [--proofs 200] [--consistency 50]

For each database (a fresh temporary SQLite file; a throwaway PostgreSQL database on the
server the tests use, created here and dropped at the end) this builds a temporary instance
(`create_instance_secrets`, `upgrade_to_head`, `build_ports`) and measures:

1. Appending with sealing: `--writers` threads append `--append-events` events in total
   through the service layer (`audit.record` + `ctx.commit()`, one event per transaction
   in a session of its own, like one request each) while a sealer thread calls
   `audit_sealing.seal_pending` in a loop (pausing `--seal-poll` seconds when it finds nothing).
   Reported: events/s appended, commit latency, the largest unsealed backlog seen, and the
   sealing lag = time from the last commit until the sealer had sealed everything.
2. Bulk fill to `--events` events: SQLAlchemy Core `insert(AuditEvent)` executemany in
   batches (realistic actors, actions, UUID object ids, departments, outcomes, request ids,
   client addresses with their keyed hash from `ports.address_hasher`, small details),
   then `audit_sealing.seal_all` (timed: sealing rate) and `audit_sealing.issue_checkpoint`.
3. `audit_verification.verify_trail(ctx)` over the whole log (goal: 1,000,000 events in <= 10 s),
   with a system context (the trusted operator channel passes the auditor check); then the
   same work in parts: fetching the sealed rows only, building the canonical bytes over
   rows already in memory, and `verify_log` (leaf hashes, chain, Merkle tree, checkpoints)
   over those bytes.
4. Median and p95 of `--proofs` `audit_verification.inclusion_proof` calls (random seq, the
   checkpoint's tree size) and `--consistency` `audit_verification.consistency_proof` calls
   (random first size, the checkpoint's tree size), each a full service call (it seals
   first and appends its own audit event, as through the API).

The results go to stdout and into the "Audit trail" section of the output file (between
`<!-- audit:begin -->` and `<!-- audit:end -->`; the rest of the file is kept, the file is
re-read just before writing). Not part of the test suite; `make bench-audit` runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import random
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from bench_report import (  # noqa: E402
    BenchError,
    goal_marker,
    guarded,
    load_average,
    machine,
    postgres_database,
    write_section,
)

from eakte.bootstrap import build_ports  # noqa: E402
from eakte.config import Settings  # noqa: E402
from eakte.db import read_only  # noqa: E402
from eakte.evidence.verify import verify_log  # noqa: E402
from eakte.instance import create_instance_secrets  # noqa: E402
from eakte.migrations import upgrade_to_head  # noqa: E402
from eakte.models import AuditCheckpoint, AuditEvent  # noqa: E402
from eakte.services import audit, audit_sealing, audit_verification  # noqa: E402
from eakte.services.context import Context, Ports  # noqa: E402

BEGIN, END = "<!-- audit:begin -->", "<!-- audit:end -->"
VERIFY_GOAL_SECONDS = 10.0
VERIFY_GOAL_EVENTS = 1_000_000
FILL_BATCH = 10_000


# --------------------------------------------------------------------------- data


DEPARTMENTS = ["10", "20", "32", "32.1", "33", "40", "50", "51", "60", "61", "63", "66"]
FIRST = ["anna", "ben", "carla", "dirk", "elif", "frank", "gül", "hannah", "ivo", "jana"]
LAST = ["meyer", "schmidt", "yılmaz", "weber", "wagner", "becker", "hoffmann", "koch"]
# (action, object type, share): reads dominate, as in a records office.
ACTIONS = [
    ("case_file.read", "case_file", 40),
    ("case_file.list", None, 12),
    ("document.read", "document", 15),
    ("document.download", "document", 10),
    ("document.upload", "document", 5),
    ("case_file.create", "case_file", 3),
    ("case_file.update", "case_file", 4),
    ("process.create", "process", 3),
    ("search.query", None, 5),
    ("auth.token_used", "principal", 2),
    ("retention.review", "case_file", 1),
]
REASONS = ["not_a_member", "role_too_low", "department_closed", "token_expired"]
TITLES = ["Gewerbeanmeldung Bäckerei Sommer", "Wohngeldantrag", "Baugenehmigung Lindenstraße 4"]


class EventFactory:
    """Plausible audit events: a few hundred users and client addresses, UUID objects."""

    def __init__(self, ports: Ports, seed: int) -> None:
        self.random = random.Random(seed)
        self.actors = [f"{f}.{last}{n or ''}" for f in FIRST for last in LAST for n in range(3)]
        addresses = [
            f"10.{self.random.randrange(256)}.{self.random.randrange(256)}."
            f"{self.random.randrange(1, 255)}"
            for _ in range(400)
        ] + [f"2001:db8::{self.random.randrange(1 << 16):x}" for _ in range(100)]
        self.addresses = [(a, ports.address_hasher(a)) for a in addresses]
        self.actions = [(a, t) for a, t, share in ACTIONS for _ in range(share)]

    def details(self, action: str, outcome: str) -> dict[str, Any] | None:
        r = self.random
        if outcome == "denied":
            return {"reason": r.choice(REASONS)}
        if outcome == "failed":
            return {"error": "storage_unavailable"}
        if action == "case_file.list":
            return {"count": r.randrange(50), "filters": {"department": r.choice(DEPARTMENTS)}}
        if action in ("document.upload", "document.download"):
            return {"size": r.randrange(1, 50_000_000), "media_type": "application/pdf"}
        if action == "case_file.create":
            return {"title": r.choice(TITLES), "file_plan": "32.10"}
        if action == "search.query":
            return {"hits": r.randrange(200), "terms": r.randrange(1, 5)}
        return None

    def outcome(self) -> str:
        x = self.random.random()
        return "allowed" if x < 0.95 else "denied" if x < 0.99 else "failed"

    def row(self, occurred_at: dt.datetime) -> dict[str, Any]:
        r = self.random
        action, object_type = r.choice(self.actions)
        outcome = self.outcome()
        address, address_hash = r.choice(self.addresses)
        return {
            "occurred_at": occurred_at,
            "actor": r.choice(self.actors),
            "action": action,
            "object_type": object_type,
            "object_id": str(uuid.UUID(int=r.getrandbits(128), version=4)) if object_type else None,
            "department": r.choice(DEPARTMENTS) if object_type else None,
            "outcome": outcome,
            "request_id": uuid.UUID(int=r.getrandbits(128), version=4).hex,
            "client_address": address,
            "client_address_hash": address_hash,
            "details": self.details(action, outcome),
        }


# --------------------------------------------------------------------------- databases


@contextlib.contextmanager
def database(kind: str, scratch: Path) -> Iterator[str]:
    """A migrated, empty database of the kind; removed afterwards whatever happens."""
    if kind == "sqlite":
        path = scratch / "eakte.db"
        try:
            upgrade_to_head(f"sqlite:///{path}")
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(f"{path}{suffix}").unlink()
        return
    with postgres_database("eakte_bench_audit") as url:
        upgrade_to_head(url)
        yield url


def engine_of(ports: Ports) -> sa.Engine:
    return ports.session_factory.kw["bind"]


def server_version(ports: Ports) -> str:
    with engine_of(ports).connect() as conn:
        if conn.dialect.name == "sqlite":
            return "SQLite " + conn.exec_driver_sql("select sqlite_version()").scalar()
        version = conn.exec_driver_sql("show server_version").scalar()
        return "PostgreSQL " + version.split()[0]


def count_events(ports: Ports) -> tuple[int, int]:
    with ports.session_factory() as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        unsealed = session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))
        )
    return total, unsealed


# --------------------------------------------------------------------------- measurements


@dataclass
class Result:
    kind: str
    version: str = ""
    writers: int = 0
    appended: int = 0
    append_seconds: float = 0.0
    commit_ms: list[float] = field(default_factory=list)
    max_backlog: int = 0
    seal_rounds: int = 0
    sealing_lag: float = 0.0
    filled: int = 0
    fill_seconds: float = 0.0
    sealed_bulk: int = 0
    seal_seconds: float = 0.0
    checkpoint_seconds: float = 0.0
    tree_size: int = 0
    verify_seconds: float = 0.0
    verify_cpu_seconds: float = 0.0
    verify_events: int = 0
    verify_ok: bool = False
    fetch_seconds: float = 0.0
    canonical_seconds: float = 0.0
    hash_seconds: float = 0.0
    inclusion_ms: list[float] = field(default_factory=list)
    consistency_ms: list[float] = field(default_factory=list)

    @property
    def append_rate(self) -> float:
        return self.appended / self.append_seconds

    @property
    def seal_rate(self) -> float:
        return self.sealed_bulk / self.seal_seconds

    @property
    def fill_rate(self) -> float:
        return self.filled / self.fill_seconds

    @property
    def pure_seconds(self) -> float:
        return self.canonical_seconds + self.hash_seconds


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    return statistics.quantiles(ordered, n=100, method="inclusive")[int(p) - 1]


def system_context(ports: Ports, session: sa.orm.Session, n: int) -> Context:
    return Context(
        ports=ports,
        session=session,
        system="bench",
        request_id=uuid.uuid4().hex,
        client_address=f"192.0.2.{n % 250 + 1}",
    )


def append_with_sealer(
    ports: Ports, result: Result, *, writers: int, total: int, poll: float, seed: int
) -> None:
    """`writers` threads append `total` events through the service layer; a sealer runs."""
    factory = EventFactory(ports, seed)
    each = [total // writers + (1 if w < total % writers else 0) for w in range(writers)]
    start = threading.Barrier(writers + 2)
    lock = threading.Lock()
    appended = 0
    last_commit = 0.0
    latencies: list[list[float]] = [[] for _ in range(writers)]
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()
    sealer_state = {"sealed": 0, "rounds": 0, "max_backlog": 0, "last_sealed_at": 0.0}

    def write(worker: int) -> None:
        nonlocal appended, last_commit
        rnd = random.Random(seed + worker)
        mine = latencies[worker]
        try:
            start.wait(timeout=60)
            for n in range(each[worker]):
                action, object_type = rnd.choice(factory.actions)
                begin = time.perf_counter()
                with ports.session_factory() as session:
                    ctx = system_context(ports, session, n)
                    audit.record(
                        ctx,
                        action,
                        object_type=object_type,
                        object_id=uuid.uuid4() if object_type else None,
                        department=rnd.choice(DEPARTMENTS) if object_type else None,
                        details=factory.details(action, "allowed"),
                    )
                    ctx.commit()
                end = time.perf_counter()
                mine.append((end - begin) * 1000)
                with lock:
                    appended += 1
                    last_commit = max(last_commit, end)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    def seal() -> None:
        try:
            start.wait(timeout=60)
            while True:
                still_writing = writing.is_set()
                sealed = audit_sealing.seal_pending(ports)
                now = time.perf_counter()
                sealer_state["rounds"] += 1
                if sealed:
                    sealer_state["sealed"] += sealed
                    sealer_state["last_sealed_at"] = now
                with lock:
                    backlog = appended - sealer_state["sealed"]
                sealer_state["max_backlog"] = max(sealer_state["max_backlog"], backlog + sealed)
                if not sealed:
                    if not still_writing:
                        return  # a round begun after the last commit found nothing left
                    time.sleep(poll)
        except BaseException as error:
            errors.append(error)
            writing.clear()

    threads = [threading.Thread(target=write, args=(w,), daemon=True) for w in range(writers)]
    sealer = threading.Thread(target=seal, daemon=True)
    for thread in [*threads, sealer]:
        thread.start()
    start.wait(timeout=60)
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    writing.clear()
    sealer.join()
    if errors:
        raise BenchError(f"appending failed: {errors[0]!r}") from errors[0]
    total_rows, unsealed = count_events(ports)
    if unsealed or total_rows != total or sealer_state["sealed"] != total:
        raise BenchError(
            f"after appending: {total_rows} events, {unsealed} unsealed, "
            f"{sealer_state['sealed']} sealed by the sealer (expected {total})"
        )
    result.writers = writers
    result.appended = appended
    result.append_seconds = last_commit - began
    result.commit_ms = [x for worker in latencies for x in worker]
    result.max_backlog = sealer_state["max_backlog"]
    result.seal_rounds = sealer_state["rounds"]
    result.sealing_lag = max(0.0, sealer_state["last_sealed_at"] - last_commit)


def bulk_fill(ports: Ports, result: Result, *, target: int, seed: int) -> None:
    """Insert events up to `target` in large Core executemany batches (not yet sealed)."""
    existing, _ = count_events(ports)
    missing = target - existing
    if missing <= 0:
        return
    factory = EventFactory(ports, seed + 1000)
    when = dt.datetime.now(dt.UTC) - dt.timedelta(days=365)
    step = dt.timedelta(days=365) / missing
    engine = engine_of(ports)
    stmt = sa.insert(AuditEvent)
    began = time.perf_counter()
    done = 0
    while done < missing:
        batch = []
        for _ in range(min(FILL_BATCH, missing - done)):
            batch.append(factory.row(when))
            when += step
        with engine.begin() as conn:
            conn.execute(stmt, batch)
        done += len(batch)
        if done % 100_000 == 0 or done == missing:
            print(f"    filled {existing + done:,} events", flush=True)
    result.fill_seconds = time.perf_counter() - began
    result.filled = missing


def seal_and_checkpoint(ports: Ports, result: Result) -> None:
    began = time.perf_counter()
    result.sealed_bulk = audit_sealing.seal_all(ports)
    result.seal_seconds = time.perf_counter() - began
    began = time.perf_counter()
    checkpoint = audit_sealing.issue_checkpoint(ports)
    result.checkpoint_seconds = time.perf_counter() - began
    result.tree_size = checkpoint.tree_size


def measure_verify(ports: Ports, result: Result) -> None:
    with ports.session_factory() as session:
        ctx = system_context(ports, session, 0)
        began, cpu = time.perf_counter(), time.process_time()
        verification = audit_verification.verify_trail(ctx)
        result.verify_seconds = time.perf_counter() - began
        result.verify_cpu_seconds = time.process_time() - cpu
    if not verification.ok:
        raise BenchError(f"verification failed: {verification.problem}")
    result.verify_ok = verification.ok
    result.verify_events = verification.events

    # The same work in parts, with the pieces verify_trail streams through (private to
    # audit_verification, used here on purpose): fetch all rows, build the canonical bytes
    # over the rows in memory, then verify_log (leaf hashes, chain, tree, checkpoints). The garbage
    # collector is paused meanwhile: the million rows held at once would otherwise make
    # it rescan them over and over, which the streaming verify_trail never does.
    with ports.session_factory() as session:
        checkpoints = [
            audit_verification.signed_checkpoint(c)
            for c in session.scalars(sa.select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size))
        ]
    gc.collect()
    gc.disable()
    try:
        with ports.session_factory() as session:
            read_only(session)
            load_time = audit_verification._time_loader(session.get_bind().dialect)
            began = time.perf_counter()
            rows = list(session.execute(audit_verification._VERIFY_ROWS))
            result.fetch_seconds = time.perf_counter() - began
        began = time.perf_counter()
        events = [audit_verification._verified_event(row, load_time) for row in rows]
        result.canonical_seconds = time.perf_counter() - began
        del rows
        began = time.perf_counter()
        again = verify_log(events, checkpoints, ports.signer.public_key_pem())
        result.hash_seconds = time.perf_counter() - began
        count = len(events)
        del events
    finally:
        gc.enable()
    if not again.ok or again.events != count:
        raise BenchError(f"verify_log over fetched rows disagrees: {again.problem}")


def measure_proofs(
    ports: Ports, result: Result, *, inclusions: int, consistencies: int, seed: int
) -> None:
    rnd = random.Random(seed + 2000)
    size = result.tree_size
    with ports.session_factory() as session:
        ctx = system_context(ports, session, 0)
        for _ in range(inclusions):
            seq = rnd.randrange(size)
            began = time.perf_counter()
            proof = audit_verification.inclusion_proof(ctx, seq, size)
            result.inclusion_ms.append((time.perf_counter() - began) * 1000)
            if proof["leaf_index"] != seq or proof["tree_size"] != size:
                raise BenchError(f"unexpected inclusion proof for {seq}: {proof}")
        for _ in range(consistencies):
            first = rnd.randrange(1, size)
            began = time.perf_counter()
            proof = audit_verification.consistency_proof(ctx, first, size)
            result.consistency_ms.append((time.perf_counter() - began) * 1000)
            if proof["first"] != first:
                raise BenchError(f"unexpected consistency proof for {first}: {proof}")


def run_database(kind: str, args: argparse.Namespace, scratch: Path) -> Result:
    result = Result(kind)
    workdir = scratch / kind
    workdir.mkdir()
    with database(kind, workdir) as url:
        settings = Settings.from_env(
            {"EAKTE_INSTANCE_PATH": str(workdir / "instance"), "EAKTE_DATABASE_URL": url}
        )
        create_instance_secrets(settings)
        ports = build_ports(settings)
        try:
            result.version = server_version(ports)
            step = f"[{kind}]"
            print(
                f"{step} appending {args.append_events:,} events with {args.writers} writers "
                "and a sealer",
                flush=True,
            )
            append_with_sealer(
                ports,
                result,
                writers=args.writers,
                total=args.append_events,
                poll=args.seal_poll,
                seed=args.seed,
            )
            print(
                f"    {result.append_rate:,.0f} events/s, sealing lag "
                f"{result.sealing_lag * 1000:.0f} ms",
                flush=True,
            )
            print(f"{step} bulk fill to {args.events:,} events", flush=True)
            bulk_fill(ports, result, target=args.events, seed=args.seed)
            print(f"{step} sealing and checkpoint", flush=True)
            seal_and_checkpoint(ports, result)
            print(
                f"    sealed {result.sealed_bulk:,} events in {result.seal_seconds:.1f} s "
                f"({result.seal_rate:,.0f} events/s)",
                flush=True,
            )
            print(f"{step} verify_trail over {result.tree_size:,} events", flush=True)
            measure_verify(ports, result)
            print(
                f"    {result.verify_seconds:.1f} s (fetch {result.fetch_seconds:.1f} s, "
                f"canonical {result.canonical_seconds:.1f} s, hashing {result.hash_seconds:.1f} s)",
                flush=True,
            )
            print(f"{step} proofs", flush=True)
            measure_proofs(
                ports,
                result,
                inclusions=args.proofs,
                consistencies=args.consistency,
                seed=args.seed,
            )
        finally:
            engine_of(ports).dispose()
    return result


# --------------------------------------------------------------------------- report


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {percentile(values, 95):.1f}"


ROWS: list[tuple[str, Callable[[Result], str]]] = [
    ("server", lambda r: r.version),
    (
        "append with sealer running: events/s (writers)",
        lambda r: f"{r.append_rate:,.0f} ({r.writers})",
    ),
    ("append: commit latency median / p95 ms", lambda r: _ms(r.commit_ms)),
    ("append: largest unsealed backlog (events)", lambda r: f"{r.max_backlog:,}"),
    ("append: sealing lag after last commit ms", lambda r: f"{r.sealing_lag * 1000:.0f}"),
    ("bulk fill (Core executemany): events/s", lambda r: f"{r.fill_rate:,.0f}"),
    (
        "seal_all of the bulk: events/s (s)",
        lambda r: f"{r.seal_rate:,.0f} ({r.seal_seconds:.1f})",
    ),
    ("issue_checkpoint s", lambda r: f"{r.checkpoint_seconds:.2f}"),
    ("tree size at checkpoint", lambda r: f"{r.tree_size:,}"),
    (
        "**verify_trail s** (events checked)",
        lambda r: f"**{r.verify_seconds:.1f}** ({r.verify_events:,})",
    ),
    ("… CPU time of this process s", lambda r: f"{r.verify_cpu_seconds:.1f}"),
    ("… fetch sealed rows only s", lambda r: f"{r.fetch_seconds:.1f}"),
    ("… canonical bytes over fetched rows s", lambda r: f"{r.canonical_seconds:.1f}"),
    ("… verify_log (hashes, chain, tree) s", lambda r: f"{r.hash_seconds:.1f}"),
    ("… pure part (canonical + verify_log) s", lambda r: f"{r.pure_seconds:.1f}"),
    ("inclusion_proof median / p95 ms", lambda r: _ms(r.inclusion_ms)),
    ("consistency_proof median / p95 ms", lambda r: _ms(r.consistency_ms)),
]


def table(results: list[Result]) -> str:
    lines = [
        "| measure | " + " | ".join(r.kind for r in results) + " |",
        "|---|" + "---:|" * len(results),
    ]
    for label, cell in ROWS:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")
    return "\n".join(lines)


def interpretation(results: list[Result], args: argparse.Namespace) -> str:
    parts = []
    for r in results:
        shares = {
            "fetching the rows": r.fetch_seconds,
            "building the canonical bytes": r.canonical_seconds,
            "hashing (leaves, chain, tree)": r.hash_seconds,
        }
        total = sum(shares.values())
        largest = max(shares, key=shares.__getitem__)
        parts.append(
            f"On {r.kind}, {r.writers} writer threads appended {r.append_rate:,.0f} events/s "
            f"(one event per transaction) while the sealer kept the backlog at most "
            f"{r.max_backlog:,} unsealed events and had sealed everything "
            f"{r.sealing_lag * 1000:.0f} ms after the last commit; sealing a bulk backlog ran "
            f"at {r.seal_rate:,.0f} events/s. Verifying {r.verify_events:,} events took "
            f"{r.verify_seconds:.1f} s ({r.verify_cpu_seconds:.1f} s of CPU in this process); "
            f"measured in parts, {largest} is the largest ({shares[largest] / total:.0%} of "
            f"{total:.1f} s: fetch {r.fetch_seconds:.1f} s, canonical bytes "
            f"{r.canonical_seconds:.1f} s, hashing {r.hash_seconds:.1f} s). An inclusion proof "
            f"takes {statistics.median(r.inclusion_ms):.1f} ms at the median and a consistency "
            f"proof {statistics.median(r.consistency_ms):.1f} ms, each a full service call that "
            "seals first, reads O(log² n) stored nodes and appends its own audit event."
        )
    goal_runs = [r for r in results if r.verify_events >= VERIFY_GOAL_EVENTS]
    if goal_runs:
        missed = [r for r in goal_runs if r.verify_seconds > VERIFY_GOAL_SECONDS]
        verdict = (
            "missed on " + ", ".join(f"{r.kind} ({r.verify_seconds:.1f} s)" for r in missed)
            if missed
            else "met on " + " and ".join(r.kind for r in goal_runs)
        )
        parts.append(
            f"The goal (verify {VERIFY_GOAL_EVENTS:,} events in at most "
            f"{VERIFY_GOAL_SECONDS:.0f} s) is {verdict}."
        )
    else:
        parts.append(
            f"The log was smaller than {VERIFY_GOAL_EVENTS:,} events (--events "
            f"{args.events:,}), so the verify goal was not assessed."
        )
    parts.append(
        "Writers and sealer are threads of one Python process (one GIL), so the append rate "
        "is a lower bound for several server processes; on SQLite every commit and every "
        "sealing round also take the single write lock in turn. Caveat: the machine is a "
        "shared, noisy 2-core VM (see the load average above) with this process, the "
        "database server and other users' jobs on the same cores; single runs vary by tens "
        "of percent, and the gap between wall and CPU time is mostly time spent waiting for "
        "a core or for the database, so compare figures within one run rather than absolute "
        "numbers across runs."
    )
    return " ".join(parts)


def section(results: list[Result], args: argparse.Namespace, command: str, load_before: str) -> str:
    m = machine()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            BEGIN,
            "## Audit trail",
            "",
            f"- Date: {now}",
            f"- Machine: nproc {m['cpus']} ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}, "
            f"Python {m['python']}, SQLAlchemy {sa.__version__}; 1-minute load average "
            f"{load_before} at the start, {load_average()} at the end",
            f"- Command: `{command}`",
            f"- Append: {args.writers} writer threads × one `audit.record` + commit per "
            f"transaction ({args.append_events:,} events in total), sealer thread calling "
            f"`seal_pending` (batches of {audit_sealing.SEAL_BATCH:,}) in a loop, pausing "
            f"{args.seal_poll * 1000:.0f} ms when idle; sealing lag = last commit → everything "
            "sealed",
            f"- Fill: Core `insert(AuditEvent)` executemany in batches of {FILL_BATCH:,} up to "
            f"{args.events:,} events, then `seal_all` and `issue_checkpoint`",
            "- Verify: `verify_trail` with a system context (file checkpoint store), wall and "
            "CPU time of this process; then the same pieces one after the other over the "
            "same rows held in memory (garbage collector paused): fetch, canonical bytes, "
            "`verify_log`",
            f"- Proofs: {args.proofs} inclusion proofs (random seq) and {args.consistency} "
            "consistency proofs (random first size) against the checkpoint's tree size; "
            "median / p95 of whole service calls",
            "",
            table(results),
            "",
            interpretation(results, args),
            *[
                goal_marker(
                    "audit",
                    f"Verify {VERIFY_GOAL_EVENTS:,} events ≤ {VERIFY_GOAL_SECONDS:.0f} s",
                    f"{r.verify_seconds:.1f} s",
                    (r.verify_seconds <= VERIFY_GOAL_SECONDS)
                    if r.verify_events >= VERIFY_GOAL_EVENTS
                    else None,
                    f"{r.kind}, {r.verify_events:,} events"
                    + ("" if r.verify_events >= VERIFY_GOAL_EVENTS else ": fewer than the goal's"),
                )
                for r in results
            ],
            END,
        ]
    )


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=VERIFY_GOAL_EVENTS, help="log size")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--writers", type=int, default=4, help="appending threads")
    parser.add_argument("--append-events", type=int, default=20_000, help="events appended")
    parser.add_argument("--seal-poll", type=float, default=0.05, help="idle sealer pause, s")
    parser.add_argument("--proofs", type=int, default=200, help="inclusion proofs")
    parser.add_argument("--consistency", type=int, default=50, help="consistency proofs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tmpdir", type=Path, default=None, help="scratch space (default: TMPDIR)")
    args = parser.parse_args(argv)

    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    for kind in kinds:
        if kind not in ("sqlite", "postgresql"):
            parser.error(f"unknown database {kind!r} (sqlite, postgresql)")
    if args.writers < 1 or args.append_events < args.writers:
        parser.error("need at least one writer and one event per writer")
    if args.events < args.append_events + 1:
        parser.error("--events must exceed --append-events")
    if args.proofs < 1 or args.consistency < 1:
        parser.error("--proofs and --consistency must be at least 1")

    load_before = load_average()
    results, status = guarded(
        lambda scratch: [run_database(kind, args, scratch) for kind in kinds],
        prefix="eakte-bench-audit-",
        parent=args.tmpdir,
    )
    if results is None:
        return status

    print()
    print(table(results))
    print()
    print(interpretation(results, args))
    command = (
        f"python bench/audit.py --events {args.events} --databases {','.join(kinds)}"
        + (f" --writers {args.writers}" if args.writers != 4 else "")
        + (f" --append-events {args.append_events}" if args.append_events != 20_000 else "")
    )
    try:
        write_section(args.output, "audit", section(results, args, command, load_before))
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
