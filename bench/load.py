"""Load test: concurrent REST clients against a real eakte stack on PostgreSQL and S3.

    .venv/bin/python bench/load.py [--duration 180] [--clients 32] [--metadata-duration 30]
                                   [--baseline-duration 20] [--workers 2] [--threads 4]
                                   [--users 8] [--case-files 48] [--documents 96]
                                   [--profile-seconds 0] [--output docs/benchmarks.md]
                                   [--plots docs/benchmarks] [--keep]

The stack is started here, on loopback only, and removed at the end (also on Ctrl-C):
a fresh PostgreSQL database on the local server (`EAKTE_TEST_POSTGRES_URL`, default
postgres@127.0.0.1:5432, created and dropped here), SeaweedFS (`weed mini`, via
tests/s3server.py) as the object store, the embedded search index, and `eakte init` +
`eakte serve --workers N --threads M` (gunicorn gthread) with the `eakte worker` it
starts beside it (sealing the audit trail, draining the indexing outbox).

1. Seed through the REST API as the admin: departments with a file plan node each,
   `--users` people with a clerk membership in one department and a token each,
   `--case-files` case files and `--documents` small text documents in them (filed by
   the clerks); then wait until the indexing outbox is empty.
2. Three timed phases, each with `--clients` asyncio clients (aiohttp, keep-alive, one
   connection each), each client acting as one of the clerks on its department's
   case files, after a short unmeasured warm-up:
   - baseline: `GET /api/v1/health` (no authentication, no database): what gunicorn and
     Flask give on this machine, the ceiling for any endpoint;
   - metadata: `GET /api/v1/case-files/{id}` only (the goal figure);
   - mixed, for `--duration` seconds: list case files 20 %, get case file metadata
     40 %, upload a small document 10 %, download a document 15 % (SHA-256 checked),
     search 15 %.
3. Reported per phase and operation: requests, errors (anything but the expected
   status, or a failed transfer: must be 0), throughput, p50/p95/p99 latency; CPU time
   of the server, worker and client; VmRSS (and PSS, which counts pages shared between
   forked processes once) of the gunicorn master + workers and of the `eakte worker`:
   idle before the load, peak during each phase, and idle after it.
4. With `--profile-seconds`, an extra metadata pass (not counted) under py-spy shows
   where the gunicorn workers' time goes.

Results go to stdout, into the "Load" section of the output file (between
`<!-- load:begin -->` and `<!-- load:end -->`) and as plots (PNG) into `--plots`.
Not part of the test suite; `make bench-load` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from bench_report import (  # noqa: E402
    BenchError,
    goal_marker,
    guarded,
    load_average,
    machine,
    ms,
    percentile,
    postgres_database,
    write_section,
)
from storage import EakteServer, _cmdline, children_of, gunicorn_workers  # noqa: E402

from tests.s3server import start_s3_server  # noqa: E402

MB = 1_000_000
BEGIN, END = "<!-- load:begin -->", "<!-- load:end -->"
GOAL_METADATA_RATE = 500.0  # GET case file per second
GOAL_METADATA_P99_MS = 50.0
GOAL_IDLE_RSS_MB = 150.0
WARM_UP_SECONDS = 3.0
SAMPLE_INTERVAL = 0.25
REQUEST_TIMEOUT = 60.0
MIX = {"list": 20, "get": 40, "upload": 10, "download": 15, "search": 15}
OP_NAMES = {
    "health": "GET /health",
    "list": "list case files",
    "get": "get case file metadata",
    "upload": "upload a document",
    "download": "download a document",
    "search": "search",
}
DEPARTMENTS = [
    ("32", "Ordnungsamt", "32.10", "Gewerbeangelegenheiten"),
    ("50", "Sozialamt", "50.20", "Leistungen nach dem SGB XII"),
    ("61", "Bauordnungsamt", "61.30", "Baugenehmigungen"),
    ("66", "Tiefbauamt", "66.10", "Straßenbau"),
]
VOCABULARY = (
    "Antrag Bescheid Widerspruch Genehmigung Frist Gewerbe Anmeldung Bauantrag "
    "Grundstück Eigentümer Stellungnahme Anhörung Gebühren Zahlung Mahnung Nachweis "
    "Unterlagen Prüfung Sondernutzung Straße Gehweg Baustelle Verkehr Sicherheit Ordnung "
    "Auskunft Datenschutz Leistungen Unterhalt Wohnung Miete Einkommen Haushalt "
    "Bewilligung Ablehnung Rückforderung Aktenvermerk Rücksprache Termin "
    "Ortsbesichtigung Zuständigkeit Verfahren Entscheidung"
)
WORDS = VOCABULARY.split()


# --------------------------------------------------------------------------- database


def postgres_version(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return "PostgreSQL " + conn.exec_driver_sql("show server_version").scalar().split()[0]
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- processes


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_jiffies() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:9]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class Memory:
    rss_mb: float = 0.0
    pss_mb: float = 0.0
    workers_rss_mb: list[float] = field(default_factory=list)  # per gunicorn worker
    master_rss_mb: float = 0.0


class ProcessWatch:
    """The server's processes by role; VmRSS/PSS per role sampled every 250 ms in a thread
    (peak per phase) and CPU time per role and phase."""

    def __init__(self, master_pid: int) -> None:
        self.master_pid = master_pid
        self.phase = ""
        self.peak: dict[str, dict[str, Memory]] = {}
        self.cpu: dict[str, dict[str, float]] = {}
        self.machine_busy: dict[str, float] = {}
        self._cpu_start: dict[str, float] = {}
        self._machine_start = (0, 0)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="process-watch", daemon=True)

    def roles(self) -> dict[str, list[int]]:
        web = gunicorn_workers(self.master_pid)
        helpers = [p for p in children_of(self.master_pid) if p not in web]
        worker = [p for p in helpers if b"eakte\x00worker" in (_cmdline(p) or b"")]
        worker += [p for w in worker for p in children_of(w)]
        return {"web": web, "master": [self.master_pid], "worker": worker}

    def memory(self) -> dict[str, Memory]:
        roles = self.roles()
        server = Memory(
            workers_rss_mb=[_status_kb(p, "VmRSS:") * 1024 / MB for p in roles["web"]],
            master_rss_mb=_status_kb(self.master_pid, "VmRSS:") * 1024 / MB,
        )
        server.rss_mb = server.master_rss_mb + sum(server.workers_rss_mb)
        server.pss_mb = sum(_pss_kb(p) for p in roles["web"] + roles["master"]) * 1024 / MB
        worker = Memory(
            rss_mb=sum(_status_kb(p, "VmRSS:") for p in roles["worker"]) * 1024 / MB,
            pss_mb=sum(_pss_kb(p) for p in roles["worker"]) * 1024 / MB,
        )
        return {"server": server, "worker": worker}

    def cpu_now(self) -> dict[str, float]:
        roles = self.roles()
        return {
            "server": sum(_cpu_seconds(p) for p in roles["web"] + roles["master"]),
            "worker": sum(_cpu_seconds(p) for p in roles["worker"]),
            "client": _cpu_seconds(os.getpid()),
        }

    def start(self) -> ProcessWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def begin(self, phase: str) -> None:
        with self._lock:
            self.phase = phase
            self.peak[phase] = self.memory()
            self._cpu_start = self.cpu_now()
            self._machine_start = _machine_jiffies()

    def end(self) -> None:
        with self._lock:
            self._sample()
            now = self.cpu_now()
            self.cpu[self.phase] = {k: now[k] - self._cpu_start.get(k, 0.0) for k in now}
            busy, total = _machine_jiffies()
            self.machine_busy[self.phase] = (busy - self._machine_start[0]) / max(
                total - self._machine_start[1], 1
            )
            self.phase = ""

    def _sample(self) -> None:
        if not self.phase:
            return
        current = self.memory()
        peaks = self.peak[self.phase]
        for role, mem in current.items():
            peak = peaks[role]
            if mem.rss_mb > peak.rss_mb:
                peak.rss_mb, peak.workers_rss_mb = mem.rss_mb, mem.workers_rss_mb
                peak.master_rss_mb = mem.master_rss_mb
            peak.pss_mb = max(peak.pss_mb, mem.pss_mb)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            with self._lock:
                self._sample()


# --------------------------------------------------------------------------- seeding


@dataclass
class Clerk:
    username: str
    department: str
    token: str
    case_files: list[str] = field(default_factory=list)
    documents: dict[str, str] = field(default_factory=dict)  # id → SHA-256 of the content


def document_text(rng: random.Random, n: int) -> bytes:
    words = [rng.choice(WORDS) for _ in range(rng.randrange(250, 450))]
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    return (f"Aktenvermerk {n}\n\n" + "\n".join(lines) + "\n").encode()


def multipart(title: str, filename: str, body: bytes) -> tuple[bytes, str]:
    boundary = f"eakte-load-{uuid.uuid4().hex}"
    data = b"".join(
        [
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n'.encode(),
            title.encode(),
            f"\r\n--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\n".encode(),
            body,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return data, f"multipart/form-data; boundary={boundary}"


def seed(server: EakteServer, args: argparse.Namespace) -> list[Clerk]:
    """Departments, file plan nodes, clerks with tokens, case files and documents via REST."""
    rng = random.Random(args.seed)
    departments = DEPARTMENTS[: max(1, min(len(DEPARTMENTS), args.users))]
    server.must("POST", "/principals/admin/roles", {"role": "records_manager"})
    for code, name, node, title in departments:
        server.must("POST", "/departments", {"code": code, "name": name})
        server.must(
            "POST",
            "/file-plan",
            {"code": node, "title": title, "retention_years": 10, "disposition": "archive"},
        )
    clerks = []
    for n in range(args.users):
        code = departments[n % len(departments)][0]
        username = f"clerk{n + 1:02d}"
        server.must(
            "POST",
            "/principals",
            {"username": username, "display_name": f"Sachbearbeitung {n + 1}", "kind": "user"},
        )
        server.must(
            "POST", f"/principals/{username}/memberships", {"department": code, "role": "clerk"}
        )
        token = server.must("POST", f"/principals/{username}/tokens", {})["token"]
        clerks.append(Clerk(username, code, token))
    nodes = {code: node for code, _, node, _ in departments}
    admin_token = server.token
    try:
        for k in range(args.case_files):
            clerk = clerks[k % len(clerks)]
            server.token = clerk.token
            case_file = server.must(
                "POST",
                "/case-files",
                {
                    "file_plan": nodes[clerk.department],
                    "department": clerk.department,
                    "title": f"{rng.choice(WORDS)} {rng.choice(WORDS)} – Vorgang {k + 1}",
                },
            )
            clerk.case_files.append(case_file["id"])
        for d in range(args.documents):
            clerk = clerks[d % len(clerks)]
            body = document_text(rng, d)
            data, content_type = multipart(f"Aktenvermerk {d + 1}", f"vermerk-{d + 1}.txt", body)
            case_file_id = clerk.case_files[d // len(clerks) % len(clerk.case_files)]
            conn = server.connection()
            try:
                conn.request(
                    "POST",
                    f"/api/v1/case-files/{case_file_id}/documents",
                    body=data,
                    headers={
                        "Authorization": f"Bearer {clerk.token}",
                        "Content-Type": content_type,
                    },
                )
                response = conn.getresponse()
                raw = response.read()
            finally:
                conn.close()
            if response.status != 201:
                raise BenchError(f"seeding document {d} answered {response.status}: {raw[:300]!r}")
            clerk.documents[json.loads(raw)["id"]] = hashlib.sha256(body).hexdigest()
    finally:
        server.token = admin_token
    if any(not c.case_files for c in clerks):
        raise BenchError("every clerk needs a case file: raise --case-files to at least --users")
    deadline = time.monotonic() + 300
    while True:
        status, payload = server.call("GET", "/health/ready")
        if status == 200 and int(payload.get("outbox", {}).get("pending", 1)) == 0:
            return clerks
        if time.monotonic() > deadline:
            raise BenchError(f"the indexing outbox did not drain after seeding: {payload}")
        time.sleep(0.5)


# --------------------------------------------------------------------------- load


@dataclass
class PhaseResult:
    name: str
    clients: int
    seconds: float = 0.0
    # op → list of (end offset from phase start, latency seconds)
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_examples: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    machine_busy: float = 0.0
    peak: dict[str, Memory] = field(default_factory=dict)

    def latencies(self, op: str) -> list[float]:
        return [s for _, s in self.samples.get(op, [])]

    def count(self, op: str) -> int:
        return len(self.samples.get(op, []))

    def rate(self, op: str) -> float:
        return self.count(op) / max(self.seconds, 1e-9)

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.samples.values())

    @property
    def error_total(self) -> int:
        return sum(self.errors.values())


class Workload:
    """The clients' operations; each returns None when the answer was right, else a reason."""

    def __init__(self, port: int, clerks: list[Clerk], seed: int) -> None:
        self.base = f"http://127.0.0.1:{port}/api/v1"
        self.clerks = clerks
        self.seed = seed
        self.uploads = 0

    @staticmethod
    def headers(clerk: Clerk) -> dict[str, str]:
        return {"Authorization": f"Bearer {clerk.token}"}

    async def op_health(self, http: aiohttp.ClientSession, clerk: Clerk, rng: random.Random):
        async with http.get(f"{self.base}/health") as response:
            await response.read()
            return None if response.status == 200 else f"health {response.status}"

    async def op_list(self, http: aiohttp.ClientSession, clerk: Clerk, rng: random.Random):
        url = f"{self.base}/case-files?department={clerk.department}&limit=20"
        async with http.get(url, headers=self.headers(clerk)) as response:
            body = await response.read()
            if response.status != 200:
                return f"list {response.status}: {body[:200]!r}"
            return None if json.loads(body)["items"] else "list: no items"

    async def op_get(self, http: aiohttp.ClientSession, clerk: Clerk, rng: random.Random):
        case_file_id = rng.choice(clerk.case_files)
        url = f"{self.base}/case-files/{case_file_id}"
        async with http.get(url, headers=self.headers(clerk)) as response:
            body = await response.read()
            if response.status != 200:
                return f"get {response.status}: {body[:200]!r}"
            return None if json.loads(body)["id"] == case_file_id else "get: wrong case file"

    async def op_upload(self, http: aiohttp.ClientSession, clerk: Clerk, rng: random.Random):
        self.uploads += 1
        n = self.uploads
        body = document_text(rng, 100_000 + n)
        data, content_type = multipart(f"Lastdokument {n}", f"last-{n}.txt", body)
        url = f"{self.base}/case-files/{rng.choice(clerk.case_files)}/documents"
        headers = {**self.headers(clerk), "Content-Type": content_type}
        async with http.post(url, data=data, headers=headers) as response:
            answer = await response.read()
            if response.status != 201:
                return f"upload {response.status}: {answer[:200]!r}"
            clerk.documents[json.loads(answer)["id"]] = hashlib.sha256(body).hexdigest()
            return None

    async def op_download(self, http: aiohttp.ClientSession, clerk: Clerk, rng: random.Random):
        document_id = rng.choice(list(clerk.documents))
        url = f"{self.base}/documents/{document_id}/content"
        async with http.get(url, headers=self.headers(clerk)) as response:
            body = await response.read()
            if response.status != 200:
                return f"download {response.status}: {body[:200]!r}"
            if hashlib.sha256(body).hexdigest() != clerk.documents[document_id]:
                return "download: SHA-256 differs from the upload"
            return None

    async def op_search(self, http: aiohttp.ClientSession, clerk: Clerk, rng: random.Random):
        words = " ".join(rng.sample(WORDS, rng.choice((1, 1, 2))))
        url = f"{self.base}/search?" + urllib.parse.urlencode({"q": words, "limit": 20})
        async with http.get(url, headers=self.headers(clerk)) as response:
            body = await response.read()
            if response.status != 200:
                return f"search {response.status}: {body[:200]!r}"
            return None if "items" in json.loads(body) else "search: no items field"


async def run_phase(
    workload: Workload,
    name: str,
    mix: dict[str, int],
    clients: int,
    seconds: float,
    *,
    warm_up: float = WARM_UP_SECONDS,
    on_start: object = None,
) -> PhaseResult:
    """`clients` tasks issue requests drawn from `mix` for `seconds` (after `warm_up`
    seconds that are not counted); requests in flight at the end are waited for."""
    result = PhaseResult(name, clients, samples={op: [] for op in mix})
    ops = list(mix)
    weights = [mix[op] for op in ops]
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=clients, limit_per_host=clients, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        loop = asyncio.get_running_loop()
        began = loop.time() + warm_up
        deadline = began + seconds

        async def client(n: int) -> None:
            rng = random.Random(f"{workload.seed}-{name}-{n}")
            clerk = workload.clerks[n % len(workload.clerks)]
            while (now := loop.time()) < deadline:
                op = rng.choices(ops, weights)[0]
                counted = now >= began
                start = time.perf_counter()
                try:
                    problem = await getattr(workload, f"op_{op}")(http, clerk, rng)
                except (TimeoutError, aiohttp.ClientError, ValueError, KeyError) as error:
                    problem = f"{op}: {error!r}"
                elapsed = time.perf_counter() - start
                if not counted:
                    continue
                if problem is None:
                    result.samples[op].append((loop.time() - began, elapsed))
                else:
                    result.errors[op] = result.errors.get(op, 0) + 1
                    if len(result.error_examples) < 5:
                        result.error_examples.append(problem)

        tasks = [asyncio.create_task(client(n)) for n in range(clients)]
        await asyncio.sleep(max(0.0, began - loop.time()))
        if callable(on_start):
            on_start()
        await asyncio.gather(*tasks)
        result.seconds = loop.time() - began
    return result


def measured_phase(
    watch: ProcessWatch,
    workload: Workload,
    name: str,
    mix: dict[str, int],
    clients: int,
    seconds: float,
) -> PhaseResult:
    print(f"phase {name}: {clients} clients for {seconds:.0f} s …", flush=True)
    result = asyncio.run(
        run_phase(workload, name, mix, clients, seconds, on_start=lambda: watch.begin(name))
    )
    watch.end()
    result.cpu = watch.cpu[name]
    result.machine_busy = watch.machine_busy[name]
    result.peak = watch.peak[name]
    print_phase(result)
    return result


def print_phase(r: PhaseResult) -> None:
    print(
        f"  {r.total:,} requests in {r.seconds:.1f} s ({r.total / r.seconds:.0f}/s), "
        f"{r.error_total} errors; server CPU {r.cpu.get('server', 0):.1f} s, "
        f"machine busy {r.machine_busy:.0%}, load {load_average()}",
        flush=True,
    )
    for op in r.samples:
        values = r.latencies(op)
        print(
            f"    {op:9s} {len(values):7,d}  {r.rate(op):7.1f}/s  p50 {ms(percentile(values, 0.5))}"
            f"  p95 {ms(percentile(values, 0.95))}  p99 {ms(percentile(values, 0.99))} ms",
            flush=True,
        )
    for example in r.error_examples:
        print(f"    error: {example}", flush=True)


# --------------------------------------------------------------------------- profile


def profile_metadata(
    server: EakteServer,
    watch: ProcessWatch,
    workload: Workload,
    clients: int,
    seconds: float,
    out: Path,
    stack: contextlib.ExitStack,
) -> object:
    """py-spy over the gunicorn workers during an extra metadata pass (not counted)."""
    from search import Profiler  # bench/search.py: py-spy record + summary of its stacks

    profiler = Profiler(server, watch, seconds, out)  # type: ignore[arg-type]
    stack.callback(profiler.stop)
    note = profiler.start()
    if note:
        print(f"no profile: {note}", flush=True)
        return None
    print(f"profiling the metadata phase for {seconds:.0f} s …", flush=True)
    time.sleep(1.0)
    asyncio.run(run_phase(workload, "profile", {"get": 1}, clients, seconds - 2, warm_up=0))
    return profiler.finish(f"{clients} clients getting case file metadata")


def profile_lines(profile: object) -> list[str]:
    if profile is None or getattr(profile, "note", ""):
        return []
    lines = []
    for heading, table in (("own time", profile.top_self), ("inclusive, eakte", profile.top_eakte)):
        entries = table.get("web", [])
        if entries:
            lines.append(
                f"- gunicorn workers, {heading}: "
                + ", ".join(f"`{name}` {share:.0%}" for name, share in entries[:8])
            )
    return lines


# --------------------------------------------------------------------------- plots


def plot(phases: list[PhaseResult], plots: Path) -> list[tuple[str, str]]:
    """PNG files (relative name, caption): latency ECDF per operation, throughput timeline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots.mkdir(parents=True, exist_ok=True)
    written = []
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=110)
    for phase in phases:
        for op in phase.samples:
            values = sorted(phase.latencies(op))
            if not values:
                continue
            ys = [(i + 1) / len(values) for i in range(len(values))]
            label = f"{OP_NAMES.get(op, op)} ({phase.name})"
            style = "--" if phase.name != "mixed" else "-"
            ax.plot([v * 1000 for v in values], ys, style, label=label, linewidth=1.4)
    ax.axvline(GOAL_METADATA_P99_MS, color="grey", linestyle=":", linewidth=1)
    ax.axhline(0.99, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("latency, ms (log scale)")
    ax.set_ylabel("share of requests at most this slow")
    ax.set_title("eakte load test: latency distribution per operation")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(plots / "load-latency.png")
    plt.close(fig)
    written.append(("load-latency.png", "Latency distribution per operation (ECDF)"))

    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    offset = 0.0
    for phase in phases:
        per_second: dict[int, int] = {}
        for samples in phase.samples.values():
            for at, _ in samples:
                per_second[int(at)] = per_second.get(int(at), 0) + 1
        if per_second:
            xs = sorted(per_second)
            ax.plot([offset + x for x in xs], [per_second[x] for x in xs], label=phase.name)
        offset += phase.seconds + 5
    ax.set_xlabel("seconds (phases one after the other)")
    ax.set_ylabel("requests/s")
    ax.set_title("Throughput per second")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(plots / "load-throughput.png")
    plt.close(fig)
    written.append(("load-throughput.png", "Requests per second over the run, per phase"))
    return written


# --------------------------------------------------------------------------- run


@dataclass
class Report:
    phases: list[PhaseResult] = field(default_factory=list)
    idle_start: dict[str, Memory] = field(default_factory=dict)  # after start, before seeding
    idle_before: dict[str, Memory] = field(default_factory=dict)  # seeded, before the load
    idle_after: dict[str, Memory] = field(default_factory=dict)  # after the load
    profile: object = None
    database: str = ""
    seeded: str = ""
    images: list[tuple[str, str]] = field(default_factory=list)

    def phase(self, name: str) -> PhaseResult | None:
        return next((p for p in self.phases if p.name == name), None)


def settle(seconds: float = 3.0) -> None:
    time.sleep(seconds)


def run(args: argparse.Namespace, scratch: Path, stack: contextlib.ExitStack) -> Report:
    report = Report()
    print("creating a PostgreSQL database …", flush=True)
    database_url = stack.enter_context(postgres_database("eakte_bench_load"))
    report.database = postgres_version(database_url)
    print("starting SeaweedFS (weed mini) …", flush=True)
    s3 = start_s3_server(scratch / "s3")
    stack.callback(s3.stop)
    env = {
        "EAKTE_DATABASE_URL": database_url,
        "EAKTE_STORAGE_URL": s3.url("documents"),
        "EAKTE_S3_ACCESS_KEY": s3.access_key,
        "EAKTE_S3_SECRET_KEY": s3.secret_key,
    }
    server = EakteServer(scratch / "eakte", env, workers=args.workers, threads=args.threads)
    stack.callback(server.stop)
    server.start()
    watch = ProcessWatch(server.process.pid).start()
    stack.callback(watch.stop)
    roles = watch.roles()
    print(
        f"eakte serve on 127.0.0.1:{server.port} ({report.database}, S3 {s3.endpoint}): "
        f"gunicorn master {server.process.pid}, workers {roles['web']}, "
        f"eakte worker {roles['worker']}",
        flush=True,
    )
    settle()
    report.idle_start = watch.memory()
    began = time.monotonic()
    clerks = seed(server, args)
    documents = sum(len(c.documents) for c in clerks)
    report.seeded = (
        f"{len({c.department for c in clerks})} departments, {len(clerks)} clerks with a "
        f"token each, {sum(len(c.case_files) for c in clerks)} case files, {documents} "
        f"text documents of about 3 KB (seeded in {time.monotonic() - began:.0f} s)"
    )
    print(f"seeded: {report.seeded}", flush=True)
    workload = Workload(server.port, clerks, args.seed)
    # One unmeasured round of every operation, so each worker has opened its pools.
    asyncio.run(run_phase(workload, "warm-up", MIX, args.clients, 2.0, warm_up=0))
    settle(5.0)
    report.idle_before = watch.memory()
    print(
        f"idle RSS before the load: server {report.idle_before['server'].rss_mb:.0f} MB "
        f"(PSS {report.idle_before['server'].pss_mb:.0f} MB), worker "
        f"{report.idle_before['worker'].rss_mb:.0f} MB",
        flush=True,
    )
    if args.baseline_duration > 0:
        report.phases.append(
            measured_phase(
                watch, workload, "baseline", {"health": 1}, args.clients, args.baseline_duration
            )
        )
    if args.metadata_duration > 0:
        report.phases.append(
            measured_phase(
                watch, workload, "metadata", {"get": 1}, args.clients, args.metadata_duration
            )
        )
    if args.duration > 0:
        report.phases.append(
            measured_phase(watch, workload, "mixed", MIX, args.clients, args.duration)
        )
    settle(5.0)
    report.idle_after = watch.memory()
    if args.profile_seconds > 0:
        report.profile = profile_metadata(
            server,
            watch,
            workload,
            args.clients,
            args.profile_seconds,
            scratch / "profile.txt",
            stack,
        )
    return report


# --------------------------------------------------------------------------- report


def phase_table(report: Report) -> str:
    rows = [
        "| phase | operation | requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in report.phases:
        for op in phase.samples:
            values = phase.latencies(op)
            rows.append(
                f"| {phase.name} | {OP_NAMES.get(op, op)} | {len(values):,} "
                f"| {phase.errors.get(op, 0)} | {phase.rate(op):.1f} "
                f"| {ms(percentile(values, 0.5))} | {ms(percentile(values, 0.95))} "
                f"| {ms(percentile(values, 0.99))} | {ms(max(values, default=float('nan')))} |"
            )
        if len(phase.samples) > 1:
            every = [s for op in phase.samples for s in phase.latencies(op)]
            rows.append(
                f"| {phase.name} | **all** | {len(every):,} | {phase.error_total} "
                f"| {len(every) / phase.seconds:.1f} | {ms(percentile(every, 0.5))} "
                f"| {ms(percentile(every, 0.95))} | {ms(percentile(every, 0.99))} "
                f"| {ms(max(every) if every else float('nan'))} |"
            )
    return "\n".join(rows)


def resource_table(report: Report) -> str:
    rows = [
        "| phase | server CPU s | worker CPU s | client CPU s | machine busy "
        "| server CPU ms/request | server RSS MB (PSS) | worker RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def memory(mem: dict[str, Memory]) -> tuple[str, str]:
        server = mem["server"]
        return (
            f"{server.rss_mb:.0f} ({server.pss_mb:.0f})",
            f"{mem['worker'].rss_mb:.0f}",
        )

    for label, mem in (
        ("idle after start", report.idle_start),
        ("idle, seeded, before the load", report.idle_before),
    ):
        server, worker = memory(mem)
        rows.append(f"| {label} | | | | | | {server} | {worker} |")
    for phase in report.phases:
        server, worker = memory(phase.peak)
        per_request = phase.cpu.get("server", 0.0) * 1000 / max(phase.total, 1)
        rows.append(
            f"| {phase.name} (peak) | {phase.cpu.get('server', 0):.1f} "
            f"| {phase.cpu.get('worker', 0):.1f} | {phase.cpu.get('client', 0):.1f} "
            f"| {phase.machine_busy:.0%} | {per_request:.2f} | {server} | {worker} |"
        )
    server, worker = memory(report.idle_after)
    rows.append(f"| idle after the load | | | | | | {server} | {worker} |")
    return "\n".join(rows)


def goals(report: Report) -> list[tuple[str, str, str, bool | None]]:
    """(goal, measured, scope note, met or None when not measured)."""
    out: list[tuple[str, str, str, bool | None]] = []
    errors = sum(p.error_total for p in report.phases)
    requests = sum(p.total for p in report.phases)
    out.append(("Load test: errors = 0", f"{errors} in {requests:,} requests", "", errors == 0))
    metadata = report.phase("metadata")
    if metadata is not None:
        rate = metadata.rate("get")
        p99 = percentile(metadata.latencies("get"), 0.99) * 1000
        out.append(
            (
                f"Metadata GET ≥ {GOAL_METADATA_RATE:.0f}/s",
                f"{rate:.0f}/s",
                f"{metadata.clients} clients",
                rate >= GOAL_METADATA_RATE,
            )
        )
        out.append(
            (
                f"Metadata GET p99 ≤ {GOAL_METADATA_P99_MS:.0f} ms",
                f"{p99:.1f} ms",
                f"at {rate:.0f}/s",
                p99 <= GOAL_METADATA_P99_MS,
            )
        )
    idle = report.idle_before.get("server")
    if idle is not None:
        out.append(
            (
                f"Idle server RSS ≤ {GOAL_IDLE_RSS_MB:.0f} MB",
                f"{idle.rss_mb:.0f} MB",
                f"gunicorn master + {len(idle.workers_rss_mb)} workers, summed "
                f"(PSS {idle.pss_mb:.0f} MB)",
                idle.rss_mb <= GOAL_IDLE_RSS_MB,
            )
        )
    return out


def goal_statement(goal: str, measured: str, scope: str, met: bool | None) -> str:
    verdict = "not measured" if met is None else ("**met**" if met else "**missed**")
    return f"{goal}: {verdict} ({measured}{', ' + scope if scope else ''})"


def interpretation(report: Report, args: argparse.Namespace) -> str:
    parts = []
    base, meta, mixed = report.phase("baseline"), report.phase("metadata"), report.phase("mixed")
    if base and meta:
        b, m = base.rate("health"), meta.rate("get")
        parts.append(
            f"Through the same server, the framework baseline (`/health`: no token, no "
            f"database, no audit) ran at {b:.0f} requests/s, so a metadata GET reaches "
            f"{m / b:.0%} of it ({m:.0f}/s). A metadata GET costs the gunicorn workers "
            f"{meta.cpu.get('server', 0) * 1000 / max(meta.total, 1):.2f} ms of CPU against "
            f"{base.cpu.get('server', 0) * 1000 / max(base.total, 1):.2f} ms for `/health`: "
            "the difference is the token lookup, the case file and access queries, the "
            "audit event insert and its commit, and the JSON body."
        )
    if meta:
        server_ms = meta.cpu.get("server", 0) * 1000 / max(meta.total, 1)
        worker_ms = meta.cpu.get("worker", 0) * 1000 / max(meta.total, 1)
        client_ms = meta.cpu.get("client", 0) * 1000 / max(meta.total, 1)
        ceiling = 2000 / server_ms if server_ms else float("nan")
        parts.append(
            f"Where the time goes: each metadata GET cost {server_ms:.1f} ms of CPU in the "
            f"gunicorn workers, {worker_ms:.1f} ms in the `eakte worker` (sealing the GET's "
            f"audit event into the hash chain and Merkle tree) and {client_ms:.1f} ms in the "
            f"load client, besides PostgreSQL's share. With the whole of both cores the "
            f"workers alone could serve at most about {ceiling:.0f} of them per second; "
            f"{GOAL_METADATA_RATE:.0f}/s needs at most {2000 / GOAL_METADATA_RATE:.0f} ms "
            "for everything together. A GET runs five statements (token with its "
            "principal, roles and memberships; case file with department and file plan "
            "node; grants; the department tree; the audit insert) and a commit, each "
            "through the SQLAlchemy ORM; the profile below shows the request threads mostly "
            "in psycopg, waiting for those round trips while PostgreSQL shares the cores."
        )
    if mixed:
        reads = mixed.rate("list") + mixed.rate("get")
        parts.append(
            f"In the mixed phase the server answered {mixed.total / mixed.seconds:.0f} "
            f"requests/s overall, of them {reads:.0f} metadata GETs/s (list + get), with "
            f"{mixed.rate('upload'):.1f} uploads/s, {mixed.rate('download'):.1f} downloads/s "
            f"and {mixed.rate('search'):.1f} searches/s."
        )
    idle = report.idle_before.get("server")
    if idle is not None:
        workers = ", ".join(f"{mb:.0f}" for mb in idle.workers_rss_mb)
        parts.append(
            f"Idle, the server's {idle.rss_mb:.0f} MB RSS are the gunicorn master "
            f"({idle.master_rss_mb:.0f} MB) and its workers ({workers} MB); PSS, which "
            f"counts the pages they share once, is {idle.pss_mb:.0f} MB. Every worker "
            "imports the whole application after the fork (Flask, flask-smorest and "
            "marshmallow, SQLAlchemy, psycopg, minio, tantivy, libmagic; the text-extraction "
            "stack loads only in the `eakte worker`'s extraction child); the `eakte worker` "
            f"itself (with its extraction child) holds "
            f"{report.idle_before['worker'].rss_mb:.0f} MB."
        )
    busy = max((p.machine_busy for p in report.phases), default=0.0)
    client = max((p.cpu.get("client", 0) / max(p.seconds, 1e-9) for p in report.phases), default=0)
    parts.append(
        f"The machine was up to {busy:.0%} busy during the phases; the load client itself "
        f"used up to {client:.0%} of one core, PostgreSQL and SeaweedFS run on the same two "
        "cores, so the figures are lower bounds for a dedicated server."
    )
    return " ".join(parts)


def section(report: Report, args: argparse.Namespace, command: str, load: str) -> str:
    m = machine()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    statements = [goal_statement(*g) for g in goals(report)]
    lines = [
        BEGIN,
        "## Load",
        "",
        f"- Date: {now}",
        f"- Machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}, "
        f"Python {m['python']}; 1-minute load average {load} (start, end of the run). "
        "Shared and noisy: other engineers' test runs used the same cores meanwhile.",
        f"- Command: `{command}`",
        f"- Stack: `eakte serve --workers {args.workers} --threads {args.threads}` "
        f"(gunicorn gthread) with its `eakte worker`; {report.database} (fresh database), "
        "SeaweedFS `weed mini` (tests/s3server.py), embedded search index; all on 127.0.0.1. "
        "Why these numbers: request handling is Python under one GIL per process, so one "
        "worker per core; a few threads each overlap the waits for PostgreSQL, S3 and the "
        "index, more threads only queue for the GIL and lengthen the tail",
        f"- Seeded through the REST API: {report.seeded}",
        f"- Client: {args.clients} asyncio clients (aiohttp, keep-alive) in one process, "
        "each acting as one clerk on its department's case files; mixed = "
        + ", ".join(f"{OP_NAMES[op]} {w} %" for op, w in MIX.items())
        + f"; every phase after {WARM_UP_SECONDS:.0f} s of unmeasured warm-up",
        "",
        phase_table(report),
        "",
        resource_table(report),
        "",
        "RSS = VmRSS summed over the processes (the gunicorn master and its workers; the "
        "`eakte worker` and its extraction child), sampled every 250 ms; PSS counts pages "
        "the forked processes share once.",
        "",
        *[f"- {s}" for s in statements],
        *[
            goal_marker("load", g, measured, met, scope)
            for g, measured, scope, met in goals(report)
        ],
        "",
        interpretation(report, args),
    ]
    if report.profile is not None and profile_lines(report.profile):
        lines += [
            "",
            f"Profile (py-spy, {report.profile.during}):",
            "",
            *profile_lines(report.profile),
        ]
    if report.images:
        lines.append("")
        for name, caption in report.images:
            lines += [f"![{caption}]({name})", ""]
    lines.append(END)
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of mixed load")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument(
        "--metadata-duration", type=float, default=30.0, help="seconds of metadata-only load"
    )
    parser.add_argument(
        "--baseline-duration", type=float, default=20.0, help="seconds of GET /health"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--users", type=int, default=8, help="clerks (one token each)")
    parser.add_argument("--case-files", type=int, default=48, help="case files to seed")
    parser.add_argument("--documents", type=int, default=96, help="documents to seed")
    parser.add_argument(
        "--profile-seconds", type=float, default=0.0, help="py-spy an extra metadata pass"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--plots", type=Path, default=None, help="PNG folder (default: beside --output)"
    )
    parser.add_argument("--tmpdir", type=Path, default=None, help="scratch space (default: TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.users < 1 or args.case_files < args.users or args.documents < 1:
        parser.error("--clients, --users, --documents >= 1 and --case-files >= --users")
    plots = args.plots or args.output.parent / "benchmarks"

    load_at_start = load_average()

    def measure(scratch: Path) -> Report:
        with contextlib.ExitStack() as stack:
            return run(args, scratch, stack)

    report, status = guarded(
        measure, prefix="eakte-bench-load-", parent=args.tmpdir, keep=args.keep
    )
    if report is None:
        return status
    report.images = [
        (os.path.relpath(plots / name, args.output.parent), caption)
        for name, caption in plot(report.phases, plots)
    ]
    print()
    print(phase_table(report))
    print()
    print(resource_table(report))
    print()
    for g in goals(report):
        print(goal_statement(*g))
    for line in profile_lines(report.profile):
        print(line)
    command = (
        f"python bench/load.py --duration {args.duration:g} --clients {args.clients} "
        f"--metadata-duration {args.metadata_duration:g} "
        f"--baseline-duration {args.baseline_duration:g} "
        f"--workers {args.workers} --threads {args.threads}"
    )
    load = f"{load_at_start}, {load_average()}"
    write_section(args.output, "load", section(report, args, command, load))
    print(f"\nwritten to {args.output}, plots in {plots}")
    errors = sum(p.error_total for p in report.phases)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
