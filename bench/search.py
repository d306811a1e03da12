"""Search benchmark: ingest until searchable, and query latency, through a real eakte server.

    .venv/bin/python bench/search.py [--docs 20000,100000] [--clients 8] [--case-files 64]
                                     [--time-limit 45] [--queries 200] [--profile-seconds 60]
                                     [--corpus DIR] [--output docs/benchmarks.md] [--keep]
                                     [--sample-every 10] [--plots docs/benchmarks]

The embedded default stack (SQLite, file store, tantivy in `<instance>/search`):
`eakte init` and `eakte serve` (gunicorn plus its `eakte worker`, which drains the
indexing outbox) run as subprocesses on a temporary instance. Then:

1. Corpus: the de-laws statutes (200 German laws as Markdown) cut into documents of
   consecutive `##`/`###` sections (at least 3 KB of text each). Document i is chunk
   i mod n; later replicas rotate the chunk's sections and mix in one section of
   another law, so no two documents are equal. Each carries a unique marker word
   (`dk0001234`), by which the benchmark finds that one document; titles are
   "<abbreviation> <first heading> – Vorgang <i>". Uploaded as `.txt`.
2. Ingest, per size in `--docs` (each size continues from the one before):
   `--clients` threads upload over keep-alive connections
   (`POST /api/v1/case-files/{id}/documents`), spread round-robin over `--case-files`
   case files. Timed from the first upload's start until the last document is
   findable: `/health/ready` reports an empty outbox and a search for the marker of
   the last uploaded document finds it. Every `--sample-every`th document is followed
   individually: one poller searches for the markers of all followed documents not yet
   found (`a OR b OR ...`) every 100 ms and takes upload start → answer that found it.
   Each followed document's time to searchable is plotted over the ingest (PNG in
   `--plots`), with the count of uploaded documents beside it.
3. Queries at each size, through `GET /api/v1/search?limit=20` on the warm server:
   1-, 2-, 3-term and phrase queries of real words from the corpus (frequent and rare,
   inflected forms) and a marker (one document); `--queries` per kind with one client,
   then the same mix from 4 clients at once. The engine alone: `EmbeddedIndex.search`
   in this process on the same folder (opened read-only beside the worker).
4. Disk use of the index, the object store and the database; peak VmRSS and RssAnon
   (RSS without the index files tantivy maps into memory; sampled every 250 ms) and CPU
   time of the gunicorn workers (summed), the `eakte worker` and its text-extraction
   child per phase, and the CPU time of this process (the client).
5. With `--profile-seconds`, py-spy samples all server processes (gunicorn workers,
   worker, extraction child) for that long during the ingest after the first size
   (during the first one when there is only one), so the first figure is unperturbed;
   and, after the last queries, an extra pass of 4 searching clients (not counted) with
   idle threads included, to show where a request's wall time goes, waits included.

`--time-limit` (minutes) stops uploading; what was uploaded is still waited for
(at most `--drain-limit` minutes more), measured and reported. The results go to
stdout and into the "Search" section of the output file (between
`<!-- search:begin -->` and `<!-- search:end -->`). MB = 10^6 bytes. Not part of the
test suite; `make bench-search` runs it.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import datetime as dt
import http.client
import itertools
import json
import os
import random
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_report import (  # noqa: E402
    BenchError,
    goal_marker,
    guarded,
    load_average,
    machine,
    ms,
    percentile,
    secs,
    write_section,
)
from storage import (  # noqa: E402
    EakteServer,
    _cmdline,
    children_of,
    gunicorn_workers,
)

from eakte.search.base import SearchFilters, SearchQuery  # noqa: E402
from eakte.search.embedded import EmbeddedIndex  # noqa: E402
from eakte.search.query import parse_query  # noqa: E402

MB = 1_000_000
BEGIN, END = "<!-- search:begin -->", "<!-- search:end -->"
DEFAULT_CORPUS = Path("/work/shared/data/de-laws")
CHUNK_BYTES = 3000
SEARCH_LIMIT = 20
POLL_INTERVAL = 0.1
BACKLOG_INTERVAL = 1.0
WATCH_INTERVAL = 0.25
MAX_OR_TERMS = 32  # eakte.search.query.MAX_TERMS
CONCURRENT_CLIENTS = 4
REQUEST_TIMEOUT = 300.0
INGEST_GOAL_DOCS_S = 100.0
QUERY_GOAL_P95_MS = 20.0
QUERY_GOAL_DOCS = 100_000
QUERY_PROFILE_SECONDS = 15.0

# Real words of the corpus: frequent and rare terms, inflected forms (the query form
# differs from most forms in the text: the German stemmer has to bring them together).
QUERIES = {
    "1 term": [
        "Vorschriften",
        "Behörden",
        "Genehmigungen",
        "Straßen",
        "Antrag",
        "Gemeinden",
        "Entschädigung",
        "Kündigung",
        "Reisepässe",
        "Wäldern",
        "Bebauungsplanes",
        "Standesamtes",
    ],
    "2 terms": [
        "Antrag Frist",
        "Behörden Genehmigungen",
        "Gemeinden Straßen",
        "Wohnraum Miete",
        "Prüfung Ausbildung",
        "Grundstück Eigentümer",
        "Ordnungswidrigkeiten Geldbuße",
        "Widersprüche Bescheid",
        "Kündigung Arbeitnehmer",
        "Datenschutz Auskunft",
    ],
    "3 terms": [
        "Antrag Frist Behörde",
        "Gemeinde Bebauungsplan Grundstücke",
        "Prüfung Ausbildung Zeugnis",
        "Ordnungswidrigkeit Geldbuße vorsätzlich",
        "Einkommen Unterhalt Kinder",
        "Beschäftigten Arbeitszeit Ruhepausen",
        "Behörden Auskunft Informationen",
        "Straßen Verkehr Sicherheit",
    ],
    "phrase": [
        '"öffentliche Sicherheit"',
        '"nach Maßgabe"',
        '"zuständige Behörde"',
        '"mit Zustimmung des Bundesrates"',
        '"Bundesministerium des Innern"',
        '"in der jeweils geltenden Fassung"',
    ],
}
MARKER_KIND = "marker"


# --------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Chunk:
    slug: str
    abbreviation: str
    law_title: str
    sections: tuple[tuple[str, str], ...]  # (heading, text with its heading line)


@dataclass(frozen=True)
class Doc:
    index: int
    marker: str
    title: str
    filename: str
    body: bytes


def load_chunks(folder: Path) -> list[Chunk]:
    """Every law cut into runs of consecutive sections of at least CHUNK_BYTES."""
    chunks = []
    for path in sorted(folder.glob("*.md")):
        if path.name == "README.md":
            continue
        raw = path.read_text("utf-8")
        front, body = "", raw
        if raw.startswith("---"):
            end = raw.index("\n---", 3)
            front, body = raw[3:end], raw[end + 4 :]
        title = _front(front, "Title") or path.stem
        abbreviation = _front(front, "jurabk") or path.stem
        parts = re.split(r"(?m)^(?=#{2,6} )", body)
        preamble = re.sub(r"(?m)^# .*$", "", parts[0]).strip()
        sections = [("", preamble)] if preamble else []
        for part in parts[1:]:
            heading = part.split("\n", 1)[0].lstrip("#").strip()
            sections.append((heading, part.strip()))
        run: list[tuple[str, str]] = []
        size = 0
        for section in sections:
            run.append(section)
            size += len(section[1].encode())
            if size >= CHUNK_BYTES:
                chunks.append(Chunk(path.stem, abbreviation, title, tuple(run)))
                run, size = [], 0
        if run:
            if size < CHUNK_BYTES // 2 and chunks and chunks[-1].slug == path.stem:
                last = chunks.pop()
                run = list(last.sections) + run
            chunks.append(Chunk(path.stem, abbreviation, title, tuple(run)))
    if not chunks:
        raise BenchError(f"no law files (*.md) in {folder}")
    return chunks


def _front(front: str, key: str) -> str:
    match = re.search(rf"(?m)^{key}:\s*(.+?)\s*$", front)
    return match.group(1) if match else ""


class Corpus:
    def __init__(self, chunks: list[Chunk], seed: int) -> None:
        self.chunks = chunks
        self.order = list(range(len(chunks)))
        random.Random(seed).shuffle(self.order)  # neighbours come from different laws

    def document(self, i: int) -> Doc:
        n = len(self.chunks)
        chunk = self.chunks[self.order[i % n]]
        sections = list(chunk.sections)
        replica = i // n
        if replica:
            rng = random.Random(i)
            shift = replica % len(sections)
            sections = sections[shift:] + sections[:shift]
            donor = self.chunks[rng.randrange(n)]
            sections.insert(rng.randrange(len(sections) + 1), rng.choice(donor.sections))
        marker = f"dk{i:07d}"
        heading = next((h for h, _ in sections if h), chunk.law_title)[:200]
        text = f"{chunk.law_title} ({chunk.abbreviation})\nDokumentkennung {marker}\n\n"
        text += "\n\n".join(body for _, body in sections) + "\n"
        return Doc(
            index=i,
            marker=marker,
            title=f"{chunk.abbreviation} {heading} – Vorgang {i + 1}",
            filename=f"{chunk.slug}-{i + 1:06d}.txt",
            body=text.encode(),
        )


# --------------------------------------------------------------------------- processes


def _memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, RssAnon) in kB; RSS also counts the index files tantivy maps into memory,
    RssAnon only the process's own heap and stacks. (0, 0) for a process that is gone."""
    rss = anon = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("RssAnon:"):
                    anon = int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return rss, anon


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


ROLES = ("web", "worker", "extraction")
CPU_ROLES = (*ROLES, "client")
ROLE_NAMES = {
    "web": "the upload requests in gunicorn",
    "worker": "the indexing worker",
    "extraction": "text extraction",
    "client": "the benchmark client",
}


class ProcessWatch:
    """Peak VmRSS / RssAnon and CPU time per role and phase: web = the gunicorn workers
    (summed), worker = `eakte worker`, extraction = the worker's text-extraction child;
    client = this process (CPU time only)."""

    def __init__(self, master_pid: int) -> None:
        self.master_pid = master_pid
        self.phase = ""
        self.peak_kb: dict[str, dict[str, int]] = collections.defaultdict(dict)
        self.peak_anon_kb: dict[str, dict[str, int]] = collections.defaultdict(dict)
        self.machine_busy: dict[str, float] = {}  # phase → busy share of all CPUs
        self._machine_start = (0, 0)
        self.cpu: dict[str, dict[str, float]] = collections.defaultdict(dict)
        self._cpu_start: dict[int, float] = {}
        self._cpu_last: dict[int, float] = {}
        self._roles: dict[str, list[int]] = {role: [] for role in CPU_ROLES}
        self._refreshed = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="process-watch", daemon=True)

    def roles(self) -> dict[str, list[int]]:
        """The server's processes by role, looked up in /proc now."""
        web = gunicorn_workers(self.master_pid)
        helpers = [p for p in children_of(self.master_pid) if p not in web]
        worker = [p for p in helpers if b"eakte\x00worker" in (_cmdline(p) or b"")]
        extraction = [
            p for w in worker for p in children_of(w) if b"spawn_main" in (_cmdline(p) or b"")
        ]
        return {"web": web, "worker": worker, "extraction": extraction, "client": [os.getpid()]}

    def start(self) -> ProcessWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.set_phase("")
        self._stop.set()
        self._thread.join()

    def set_phase(self, name: str) -> None:
        """Close the current phase (its CPU time) and open `name`."""
        with self._lock:
            self._sample(force=True)
            busy, total = _machine_jiffies()
            if self.phase:
                for role, pids in self._roles_seen.items():
                    self.cpu[self.phase][role] = sum(
                        self._cpu_last.get(p, 0.0) - self._cpu_start.get(p, 0.0) for p in pids
                    )
                start_busy, start_total = self._machine_start
                self.machine_busy[self.phase] = (busy - start_busy) / max(total - start_total, 1)
            self.phase = name
            self._machine_start = (busy, total)
            self._cpu_start = dict(self._cpu_last)
            self._roles_seen: dict[str, set[int]] = {role: set() for role in CPU_ROLES}

    def _run(self) -> None:
        while not self._stop.wait(WATCH_INTERVAL):
            with self._lock:
                self._sample(force=False)

    def _sample(self, *, force: bool) -> None:
        now = time.monotonic()
        if force or now - self._refreshed > 2.0:
            self._roles = self.roles()
            self._refreshed = now
        if not self.phase:
            for pids in self._roles.values():
                for pid in pids:
                    self._cpu_last[pid] = _cpu_seconds(pid) or self._cpu_last.get(pid, 0.0)
            return
        for role, pids in self._roles.items():
            rss = anon = 0
            for pid in pids:
                cpu = _cpu_seconds(pid)
                if cpu is not None:
                    self._cpu_start.setdefault(pid, 0.0)  # appeared in this phase
                    self._cpu_last[pid] = cpu
                self._roles_seen[role].add(pid)
                if role in ROLES:
                    pid_rss, pid_anon = _memory_kb(pid)
                    rss, anon = rss + pid_rss, anon + pid_anon
            if role in ROLES:
                for peaks, value in ((self.peak_kb, rss), (self.peak_anon_kb, anon)):
                    peaks[self.phase][role] = max(peaks[self.phase].get(role, 0), value)

    def memory_mb(self, phase: str) -> dict[str, tuple[float, float]]:
        """role → (peak RSS, peak RssAnon) in MB."""
        return {
            role: (kb * 1024 / MB, self.peak_anon_kb[phase].get(role, 0) * 1024 / MB)
            for role, kb in self.peak_kb[phase].items()
        }


# --------------------------------------------------------------------------- server


class SearchServer(EakteServer):
    """EakteServer (bench/storage.py) with search helpers and more gunicorn workers."""

    def __init__(self, workdir: Path, workers: int, threads: int) -> None:
        super().__init__(workdir, {}, workers=workers, threads=threads)
        self.department_key = ""

    def set_up_case_files(self, count: int, corpus: Corpus) -> list[str]:
        """Department 32, file plan node 32.10, admin as clerk there, `count` case files."""
        self.set_up_case_file()  # storage.py's: department, node, roles, one case file
        ids = []
        for k in range(count):
            chunk = corpus.chunks[corpus.order[k % len(corpus.chunks)]]
            title = f"Sammelakte {k + 1}: {chunk.law_title}"[:200]
            body = {"file_plan": "32.10", "department": "32", "title": title}
            ids.append(self.must("POST", "/case-files", {**body, "confidential": False})["id"])
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as db:
            (department_id,) = db.execute("SELECT id FROM department WHERE code = '32'").fetchone()
        self.department_key = f"dept:{uuid.UUID(str(department_id))}"
        return ids

    @property
    def db_path(self) -> Path:
        return self.instance / "eakte.db"

    def search_path(self, query: str, limit: int = SEARCH_LIMIT) -> str:
        return "/search?" + urllib.parse.urlencode({"q": query, "limit": limit})

    def outbox(self) -> dict:
        status, payload = self.call("GET", "/health/ready")
        if status != 200 or not isinstance(payload.get("outbox"), dict):
            raise BenchError(f"/health/ready answered {status}: {payload}")
        return payload["outbox"]


class Client:
    """One keep-alive connection; a request on a connection the server closed while
    idle is sent once more on a new one (gunicorn only closes idle connections)."""

    def __init__(self, server: SearchServer) -> None:
        self.server = server
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {self.server.token}", **(headers or {})}
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.server.port, timeout=REQUEST_TIMEOUT
                )
            try:
                self.conn.request(method, "/api/v1" + path, body=body, headers=headers)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def json(self, path: str) -> dict:
        status, raw = self.request("GET", path)
        if status != 200:
            raise BenchError(f"GET {path} answered {status}: {raw[:500]!r}")
        return json.loads(raw)

    def upload(self, case_file_id: str, doc: Doc) -> str:
        boundary = f"eakte-bench-{secrets.token_hex(12)}"
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n'.encode(),
                doc.title.encode(),
                f"\r\n--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{doc.filename}"\r\n'
                "Content-Type: text/plain; charset=utf-8\r\n\r\n".encode(),
                doc.body,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        status, raw = self.request(
            "POST",
            f"/case-files/{case_file_id}/documents",
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        if status != 201:
            raise BenchError(f"upload of document {doc.index} answered {status}: {raw[:500]!r}")
        return json.loads(raw)["id"]

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# --------------------------------------------------------------------------- ingest


@dataclass
class Ingest:
    label: str
    start_count: int
    target: int
    clients: int
    uploaded: int = 0
    bytes: int = 0
    first_start: float = 0.0
    last_upload_end: float = 0.0
    searchable_at: float | None = None
    upload_s: list[float] = field(default_factory=list)
    to_searchable_s: list[float] = field(default_factory=list)
    # per followed document: (upload start, monotonic clock; seconds until searchable)
    searchable_curve: list[tuple[float, float]] = field(default_factory=list)
    upload_ends: list[float] = field(default_factory=list)  # monotonic clock
    samples_lost: int = 0
    max_backlog: int = 0
    stopped_by_time: bool = False
    cpu: dict[str, float] = field(default_factory=dict)
    memory_mb: dict[str, tuple[float, float]] = field(default_factory=dict)
    machine_busy: float = 0.0  # share of all CPUs busy (every process on the host)

    @property
    def upload_rate(self) -> float:
        return self.uploaded / max(self.last_upload_end - self.first_start, 1e-9)

    @property
    def until_searchable_s(self) -> float | None:
        return None if self.searchable_at is None else self.searchable_at - self.first_start

    @property
    def searchable_rate(self) -> float | None:
        elapsed = self.until_searchable_s
        return None if elapsed is None else self.uploaded / elapsed

    @property
    def searchable_mb_s(self) -> float | None:
        elapsed = self.until_searchable_s
        return None if elapsed is None else self.bytes / elapsed / MB


class Follower(threading.Thread):
    """Follows sampled documents until a search finds them; records the outbox backlog."""

    def __init__(self, server: SearchServer, ingest: Ingest) -> None:
        super().__init__(name="follower", daemon=True)
        self.client = Client(server)
        self.ingest = ingest
        self.pending: dict[str, float] = {}  # document id → upload start
        self.markers: dict[str, str] = {}  # document id → marker
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def follow(self, document_id: str, marker: str, started: float) -> None:
        with self.lock:
            self.pending[document_id] = started
            self.markers[document_id] = marker

    def run(self) -> None:
        next_backlog = 0.0
        try:
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= next_backlog:
                    pending = int(self.client.json("/health/ready")["outbox"]["pending"])
                    self.ingest.max_backlog = max(self.ingest.max_backlog, pending)
                    next_backlog = now + BACKLOG_INTERVAL
                self.poll_once(self.client)
                self.stop.wait(POLL_INTERVAL)
        except BaseException as error:  # reported by the caller
            self.error = error
        finally:
            self.client.close()

    def poll_once(self, client: Client) -> None:
        """One search for the markers of the (at most 32) oldest documents not yet found."""
        with self.lock:
            oldest = sorted(self.pending, key=self.pending.get)[:MAX_OR_TERMS]
            query = " OR ".join(self.markers[d] for d in oldest)
        if not oldest:
            return
        page = client.json(client.server.search_path(query, len(oldest)))
        answered = time.monotonic()
        found = {item["document"] for item in page["items"]}
        with self.lock:
            for document_id in oldest:
                if document_id in found:
                    started = self.pending.pop(document_id)
                    self.ingest.to_searchable_s.append(answered - started)
                    self.ingest.searchable_curve.append((started, answered - started))

    def finish(self, client: Client | None = None) -> None:
        """Stop polling; with `client`, one last round first (everything is findable)."""
        self.stop.set()
        self.join()
        if client is not None:
            self.poll_once(client)
        self.ingest.samples_lost = len(self.pending)


def ingest(
    server: SearchServer,
    corpus: Corpus,
    case_files: list[str],
    result: Ingest,
    *,
    deadline: float,
    drain_deadline: Callable[[], float],
    sample_every: int,
) -> None:
    """Upload documents start_count..target-1 with `clients` threads, then wait until
    the last one is findable. Fills `result`."""
    numbers = iter(range(result.start_count, result.target))
    numbers_lock = threading.Lock()
    stats_lock = threading.Lock()
    last: list[tuple[float, str, str]] = []  # (upload end, document id, marker)
    errors: list[BaseException] = []
    follower = Follower(server, result)
    stop = threading.Event()

    def upload_loop() -> None:
        client = Client(server)
        try:
            while not stop.is_set():
                if time.monotonic() >= deadline:
                    result.stopped_by_time = True
                    return
                with numbers_lock:
                    i = next(numbers, None)
                if i is None:
                    return
                doc = corpus.document(i)
                began = time.monotonic()
                document_id = client.upload(case_files[i % len(case_files)], doc)
                ended = time.monotonic()
                if i % sample_every == sample_every - 1:
                    follower.follow(document_id, doc.marker, began)
                with stats_lock:
                    result.uploaded += 1
                    result.bytes += len(doc.body)
                    result.upload_s.append(ended - began)
                    result.upload_ends.append(ended)
                    result.last_upload_end = max(result.last_upload_end, ended)
                    if not last or ended > last[0][0]:
                        last[:] = [(ended, document_id, doc.marker)]
        except BaseException as error:
            errors.append(error)
            stop.set()
        finally:
            client.close()

    threads = [
        threading.Thread(target=upload_loop, name=f"upload-{n}", daemon=True)
        for n in range(result.clients)
    ]
    result.first_start = time.monotonic()
    follower.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        follower.finish()
        raise BenchError(f"upload failed: {errors[0]!r}\n{server.log_tail()}")
    if not last:
        follower.finish()
        return
    _, last_id, last_marker = last[0]
    client = Client(server)
    try:
        while True:
            if follower.error is not None:
                raise BenchError(f"following documents failed: {follower.error!r}")
            if time.monotonic() > drain_deadline():
                print("  the outbox did not drain in time; stopping the wait", flush=True)
                break
            if int(client.json("/health/ready")["outbox"]["pending"]) == 0:
                page = client.json(server.search_path(last_marker, 5))
                if any(item["document"] == last_id for item in page["items"]):
                    result.searchable_at = time.monotonic()
                    break
            time.sleep(POLL_INTERVAL)
        # The followed documents are all searchable too now; a last round collects them.
        follower.finish(client if result.searchable_at is not None else None)
    finally:
        follower.finish()
        client.close()


def progress_printer(result: Ingest, stop: threading.Event) -> threading.Thread:
    def run() -> None:
        while not stop.wait(15):
            elapsed = time.monotonic() - result.first_start
            print(
                f"  {result.start_count + result.uploaded:,} documents uploaded "
                f"({result.uploaded / max(elapsed, 1e-9):.1f}/s), max outbox backlog "
                f"{result.max_backlog:,}, load {load_average()}",
                flush=True,
            )

    thread = threading.Thread(target=run, name="progress", daemon=True)
    thread.start()
    return thread


# --------------------------------------------------------------------------- queries


@dataclass
class QueryStats:
    single_s: list[float] = field(default_factory=list)
    concurrent_s: list[float] = field(default_factory=list)
    engine_s: list[float] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)


@dataclass
class Queries:
    documents: int
    kinds: dict[str, QueryStats]
    concurrent_rate: float = 0.0
    misses: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    memory_mb: dict[str, tuple[float, float]] = field(default_factory=dict)


def query_plan(documents: int, per_kind: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    kinds = dict(QUERIES)
    kinds[MARKER_KIND] = [f"dk{rng.randrange(documents):07d}" for _ in range(50)]
    plan = []
    for kind, texts in kinds.items():
        plan += [(kind, texts[n % len(texts)]) for n in range(per_kind)]
    return plan


def run_queries(server: SearchServer, documents: int, per_kind: int, seed: int) -> Queries:
    plan = query_plan(documents, per_kind, seed)
    result = Queries(documents, {kind: QueryStats() for kind, _ in plan})
    client = Client(server)
    try:
        for kind, text in dict.fromkeys(plan):  # warm-up: every distinct query once
            page = client.json(server.search_path(text))
            if kind == MARKER_KIND and page["total"] != 1:
                result.misses.append(text)
        for kind, text in plan:
            began = time.perf_counter()
            page = client.json(server.search_path(text))
            result.kinds[kind].single_s.append(time.perf_counter() - began)
            result.kinds[kind].totals.append(int(page["total"]))
    finally:
        client.close()

    shuffled = list(plan)
    random.Random(seed + 1).shuffle(shuffled)
    timings, result.concurrent_rate = concurrent_queries(server, shuffled)
    for kind, seconds in timings:
        result.kinds[kind].concurrent_s.append(seconds)
    return result


def concurrent_queries(
    server: SearchServer, plan: list[tuple[str, str]], *, until: float | None = None
) -> tuple[list[tuple[str, float]], float]:
    """CONCURRENT_CLIENTS threads share `plan` (once through, or round and round until
    `until`); returns ((kind, seconds) per query, queries per second)."""
    timings: list[tuple[str, float]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client_loop(part: list[tuple[str, str]]) -> None:
        mine = Client(server)
        try:
            for kind, text in itertools.cycle(part) if until else part:
                if until and time.monotonic() >= until:
                    return
                began = time.perf_counter()
                mine.json(server.search_path(text))
                with lock:
                    timings.append((kind, time.perf_counter() - began))
        except BaseException as error:
            errors.append(error)
        finally:
            mine.close()

    threads = [
        threading.Thread(target=client_loop, args=(plan[n::CONCURRENT_CLIENTS],))
        for n in range(CONCURRENT_CLIENTS)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = len(timings) / (time.perf_counter() - began)
    if errors:
        raise BenchError(f"concurrent queries failed: {errors[0]!r}")
    return timings, rate


def run_engine_queries(server: SearchServer, result: Queries, per_kind: int, seed: int) -> None:
    """The same plan against EmbeddedIndex.search in this process (no HTTP, no database)."""
    index = EmbeddedIndex(server.instance / "search")
    keys = frozenset({server.department_key})
    try:
        plan = query_plan(result.documents, per_kind, seed)
        for _, text in dict.fromkeys(plan):
            index.search(SearchQuery(parse_query(text), keys, SearchFilters(), 0, SEARCH_LIMIT))
        for kind, text in plan:
            query = SearchQuery(parse_query(text), keys, SearchFilters(), 0, SEARCH_LIMIT)
            began = time.perf_counter()
            index.search(query)
            result.kinds[kind].engine_s.append(time.perf_counter() - began)
    finally:
        index.close()


# --------------------------------------------------------------------------- profile


@dataclass
class Profile:
    seconds: float
    during: str
    rate: int = 50
    idle: bool = False
    samples: dict[str, int] = field(default_factory=dict)  # role → samples
    top_self: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    top_eakte: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    note: str = ""


class Profiler:
    """py-spy record over the gunicorn master and its children (workers, `eakte worker`,
    extraction child). Without `idle`, waiting threads are left out (shares of busy time);
    with it, the request threads' whole wall time is counted, waits included."""

    def __init__(
        self,
        server: SearchServer,
        watch: ProcessWatch,
        seconds: float,
        out: Path,
        *,
        idle: bool = False,
    ) -> None:
        self.server = server
        self.watch = watch
        self.seconds = seconds
        self.out = out
        self.idle = idle
        self.rate = 100 if idle else 50
        self.process: subprocess.Popen | None = None
        self.roles: dict[int, str] = {}

    def start(self) -> str | None:
        binary = Path(sys.executable).parent / "py-spy"
        if not binary.exists():
            found = shutil.which("py-spy")
            if found is None:
                return "py-spy is not installed (`.venv/bin/pip install py-spy`)"
            binary = Path(found)
        self.roles = {pid: role for role, pids in self.watch.roles().items() for pid in pids}
        self.process = subprocess.Popen(
            [str(binary), "record", "--pid", str(self.server.process.pid), "--subprocesses"]
            + ["--duration", str(int(self.seconds)), "--rate", str(self.rate), "--nonblocking"]
            + ["--format", "raw", "--output", str(self.out)]
            + (["--idle"] if self.idle else []),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        return None

    def stop(self) -> None:
        """Ends a py-spy still running (on Ctrl-C or an error)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def finish(self, during: str) -> Profile:
        profile = Profile(self.seconds, during, self.rate, idle=self.idle)
        if self.process is None:
            return profile
        try:
            _, stderr = self.process.communicate(timeout=self.seconds + 60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            _, stderr = self.process.communicate()
        if not self.out.exists():
            profile.note = f"py-spy wrote no profile: {stderr.strip()[-300:]}"
            return profile
        self.roles.update({pid: role for role, pids in self.watch.roles().items() for pid in pids})
        return summarise_profile(self.out.read_text(), self.roles, profile, requests_only=self.idle)


_PROCESS_FRAME = re.compile(r"^process (\d+):")
_FRAME = re.compile(r"^(?P<func>.+) \((?P<file>[^()]*?)(?::\d+)?\)$")


def summarise_profile(
    raw: str, roles: dict[int, str], profile: Profile, *, requests_only: bool = False
) -> Profile:
    """Collapsed stacks → per role: top functions by own samples, and the eakte
    functions by inclusive samples (share of the role's samples). `requests_only`:
    only stacks of gunicorn threads inside a request (an `eakte/api/` frame)."""
    own: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    inclusive: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    calls: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    totals: collections.Counter = collections.Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        role = "other"
        names = []
        for frame in frames:
            process = _PROCESS_FRAME.match(frame)
            if process:  # nested: master, then the child the stack belongs to
                role = roles.get(int(process.group(1)), "other")
                continue
            parsed = _FRAME.match(frame)
            if parsed is not None and not frame.startswith("thread "):
                names.append((parsed["func"], parsed["file"]))
        if not names:
            continue
        if requests_only and (
            role != "web"
            or not any((_eakte_path(file) or "").startswith("eakte/api/") for _, file in names)
        ):
            continue
        totals[role] += count
        func, file = names[-1]
        own[role][f"{func} ({_short(file)})"] += count
        labels = [
            f"{_module(file)}.{func}"
            for func, file in names
            if _is_eakte(file) and func not in ("<module>", "<lambda>")
        ]
        for label in dict.fromkeys(labels):
            inclusive[role][label] += count
        for caller, callee in itertools.pairwise(dict.fromkeys(labels)):
            calls[role][(caller, callee)] += count
    for role, total in totals.items():
        # A wrapper that spends (nearly) all its time in one eakte callee says nothing
        # of its own: only the callee is listed.
        wrappers = {
            caller for (caller, _), n in calls[role].items() if n >= 0.99 * inclusive[role][caller]
        }
        profile.samples[role] = total
        profile.top_self[role] = [(name, n / total) for name, n in own[role].most_common(6)]
        profile.top_eakte[role] = [
            (name, n / total) for name, n in inclusive[role].most_common() if name not in wrappers
        ][:12]
    return profile


def _eakte_path(file: str) -> str | None:
    """`eakte/services/search.py` for a file of the package (py-spy shows paths relative
    to the server's working directory, or absolute); None for any other file."""
    if file.startswith("eakte/"):
        return file
    return "eakte/" + file.split("/eakte/", 1)[1] if "/eakte/" in file else None


def _is_eakte(file: str) -> bool:
    return _eakte_path(file) is not None


def _short(file: str) -> str:
    """Paths as py-spy shows them, shortened to the package: `sqlalchemy/orm/session.py`."""
    for marker in ("site-packages/", "/lib/python3"):
        if marker in file:
            tail = file.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker == "/lib/python3" and "/" in tail else tail
    return file


def _module(file: str) -> str:
    return (_eakte_path(file) or file).removesuffix(".py").replace("/", ".")


# --------------------------------------------------------------------------- sizes


def disk_bytes(path: Path) -> int:
    """Bytes allocated on disk (st_blocks), like du."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
    return total


@dataclass
class Sizes:
    documents: int
    index: int
    objects: int
    database: int


def measure_sizes(server: SearchServer, documents: int) -> Sizes:
    database = 0
    for path in (server.db_path, server.db_path.with_name("eakte.db-wal")):
        with contextlib.suppress(FileNotFoundError):
            database += path.stat().st_blocks * 512
    return Sizes(
        documents,
        disk_bytes(server.instance / "search"),
        disk_bytes(server.instance / "objects"),
        database,
    )


# --------------------------------------------------------------------------- run


@dataclass
class Run:
    ingests: list[Ingest] = field(default_factory=list)
    queries: list[Queries] = field(default_factory=list)
    sizes: list[Sizes] = field(default_factory=list)
    profile: Profile | None = None
    tail_profile: Profile | None = None
    corpus_note: str = ""
    avg_doc_bytes: float = 0.0


def run(args: argparse.Namespace, workdir: Path, stack: contextlib.ExitStack) -> Run:
    report = Run()
    chunks = load_chunks(args.corpus)
    corpus = Corpus(chunks, args.seed)
    sample = [len(corpus.document(i).body) for i in range(0, max(args.docs), 97)][:2000]
    report.avg_doc_bytes = statistics.fmean(sample)
    report.corpus_note = (
        f"{len(chunks):,} chunks from {len({c.slug for c in chunks})} laws, "
        f"documents of {report.avg_doc_bytes / 1000:.1f} KB on average"
    )
    print(f"corpus: {report.corpus_note}", flush=True)

    server = SearchServer(workdir / "eakte", args.server_workers, args.server_threads)
    stack.callback(server.stop)
    server.start()
    watch = ProcessWatch(server.process.pid).start()
    stack.callback(watch.stop)
    roles = watch.roles()
    print(
        f"eakte serve on 127.0.0.1:{server.port}: gunicorn workers {roles['web']}, "
        f"eakte worker {roles['worker']}",
        flush=True,
    )
    case_files = server.set_up_case_files(args.case_files, corpus)

    began = time.monotonic()
    deadline = began + args.time_limit * 60

    def drain_deadline() -> float:
        return max(deadline, time.monotonic()) + args.drain_limit * 60

    count = 0
    profiler: Profiler | None = None
    timer: threading.Timer | None = None
    for number, target in enumerate(args.docs):
        if count >= target:
            continue
        if time.monotonic() >= deadline:
            print(f"time limit reached; {target:,} documents not attempted", flush=True)
            break
        label = f"{count:,} → {target:,}"
        result = Ingest(label, count, target, args.clients)
        profile_now = (
            args.profile_seconds > 0 and profiler is None and (number == 1 or len(args.docs) == 1)
        )
        watch.set_phase(f"ingest {label}")
        print(f"ingest {label} with {args.clients} clients …", flush=True)
        stop_progress = threading.Event()
        progress_printer(result, stop_progress)
        if profile_now:
            profiler = Profiler(server, watch, args.profile_seconds, workdir / "profile.txt")
            stack.callback(profiler.stop)
            # Past the first seconds of a later stage; at once when there is one stage only.
            timer = threading.Timer(
                10.0 if number else 0.0, _start_profile, args=(profiler, report)
            )
            timer.daemon = True
            timer.start()
        try:
            ingest(
                server,
                corpus,
                case_files,
                result,
                deadline=deadline,
                drain_deadline=drain_deadline,
                sample_every=args.sample_every,
            )
        finally:
            stop_progress.set()
        watch.set_phase("")
        result.cpu = watch.cpu[f"ingest {label}"]
        result.memory_mb = watch.memory_mb(f"ingest {label}")
        result.machine_busy = watch.machine_busy.get(f"ingest {label}", 0.0)
        if profiler is not None and timer is not None and report.profile is None:
            timer.cancel()
            if profiler.process is not None:
                report.profile = profiler.finish(label)
        report.ingests.append(result)
        count += result.uploaded
        print_ingest(result)
        if result.searchable_at is None:
            break  # the backlog did not drain: queries would not see a consistent index

        time.sleep(1.0)  # let the worker's last commit and merges settle
        watch.set_phase(f"queries {count}")
        print(f"queries at {count:,} documents …", flush=True)
        queries = run_queries(server, count, args.queries, args.seed)
        watch.set_phase("")
        queries.cpu = watch.cpu[f"queries {count}"]
        queries.memory_mb = watch.memory_mb(f"queries {count}")
        run_engine_queries(server, queries, args.queries, args.seed)
        report.queries.append(queries)
        report.sizes.append(measure_sizes(server, count))
        print_queries(queries)
        if queries.misses:
            print(f"  markers not found exactly once: {', '.join(queries.misses)}", flush=True)
        if result.stopped_by_time:
            break
    if profiler is not None and report.profile is None and profiler.process is not None:
        report.profile = profiler.finish("of the last size")
    if report.queries and args.profile_seconds > 0:
        report.tail_profile = profile_concurrent_queries(
            server, watch, count, args, workdir / "profile-queries.txt", stack
        )
    return report


def profile_concurrent_queries(
    server: SearchServer,
    watch: ProcessWatch,
    count: int,
    args: argparse.Namespace,
    out: Path,
    stack: contextlib.ExitStack,
) -> Profile:
    """An extra pass of CONCURRENT_CLIENTS clients (not counted in the figures) under
    py-spy with idle threads: where a search request's wall time goes, waits included."""
    seconds = min(args.profile_seconds, QUERY_PROFILE_SECONDS)
    profiler = Profiler(server, watch, seconds, out, idle=True)
    stack.callback(profiler.stop)
    note = profiler.start()
    if note:
        return Profile(seconds, "", note=note)
    print(f"profiling {CONCURRENT_CLIENTS} searching clients for {seconds:.0f} s …", flush=True)
    time.sleep(1.0)  # py-spy attaches to every process first
    plan = query_plan(count, args.queries, args.seed + 2)
    random.Random(args.seed + 3).shuffle(plan)
    timings, _ = concurrent_queries(server, plan, until=time.monotonic() + seconds - 2)
    values = [t for _, t in timings]
    return profiler.finish(
        f"{CONCURRENT_CLIENTS} clients searching at {count:,} documents; in that pass p50 "
        f"{ms(percentile(values, 0.5))} ms, p95 {ms(percentile(values, 0.95))} ms"
    )


def _start_profile(profiler: Profiler, report: Run) -> None:
    note = profiler.start()
    if note:
        report.profile = Profile(profiler.seconds, "", note=note)


# --------------------------------------------------------------------------- output


def print_ingest(r: Ingest) -> None:
    print(
        f"  uploaded {r.uploaded:,} documents ({r.bytes / MB:.1f} MB): upload-only "
        f"{r.upload_rate:.1f}/s, until searchable "
        + (
            f"{r.searchable_rate:.1f} docs/s, {r.searchable_mb_s:.2f} MB/s"
            if r.searchable_rate
            else "not reached"
        )
        + f"; upload→searchable p50 {secs(percentile(r.to_searchable_s, 0.5))} s "
        f"p95 {secs(percentile(r.to_searchable_s, 0.95))} s "
        f"({len(r.to_searchable_s)} followed); max backlog {r.max_backlog:,}",
        flush=True,
    )


def print_queries(q: Queries) -> None:
    for kind, s in q.kinds.items():
        print(
            f"  {kind:8} p50 {ms(percentile(s.single_s, 0.5))} ms, p95 "
            f"{ms(percentile(s.single_s, 0.95))} ms, p99 {ms(percentile(s.single_s, 0.99))} ms"
            f" | 4 clients p50 {ms(percentile(s.concurrent_s, 0.5))} p95 "
            f"{ms(percentile(s.concurrent_s, 0.95))} | engine p50 "
            f"{ms(percentile(s.engine_s, 0.5))} p95 {ms(percentile(s.engine_s, 0.95))}"
            f" | hits median {statistics.median(s.totals) if s.totals else 0:,.0f}",
            flush=True,
        )


def ingest_table(report: Run) -> str:
    rows = [
        "| documents | clients | MB | upload-only docs/s | **until searchable docs/s** "
        "| MB/s | upload request p50 / p95 ms | upload → searchable p50 / p95 s (followed) "
        "| max outbox backlog |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report.ingests:
        rate = f"**{r.searchable_rate:.1f}**" if r.searchable_rate else "not reached"
        mb_s = f"{r.searchable_mb_s:.2f}" if r.searchable_mb_s else "–"
        reached = "" if r.uploaded == r.target - r.start_count else " (time limit)"
        rows.append(
            f"| {r.start_count:,} → {r.start_count + r.uploaded:,}{reached} | {r.clients} "
            f"| {r.bytes / MB:.1f} | {r.upload_rate:.1f} | {rate} | {mb_s} "
            f"| {ms(percentile(r.upload_s, 0.5))} / {ms(percentile(r.upload_s, 0.95))} "
            f"| {secs(percentile(r.to_searchable_s, 0.5))} / "
            f"{secs(percentile(r.to_searchable_s, 0.95))} ({len(r.to_searchable_s)}) "
            f"| {r.max_backlog:,} |"
        )
    return "\n".join(rows)


def query_table(report: Run) -> str:
    rows = [
        "| documents | query kind | p50 ms | p95 ms | p99 ms | 4 clients p50 / p95 ms "
        "| engine only p50 / p95 ms | hits (median) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for q in report.queries:
        for kind, s in q.kinds.items():
            rows.append(
                f"| {q.documents:,} | {kind} | {ms(percentile(s.single_s, 0.5))} "
                f"| **{ms(percentile(s.single_s, 0.95))}** | {ms(percentile(s.single_s, 0.99))} "
                f"| {ms(percentile(s.concurrent_s, 0.5))} / {ms(percentile(s.concurrent_s, 0.95))} "
                f"| {ms(percentile(s.engine_s, 0.5))} / {ms(percentile(s.engine_s, 0.95))} "
                f"| {statistics.median(s.totals) if s.totals else 0:,.0f} |"
            )
    return "\n".join(rows)


def resource_table(report: Run) -> str:
    rows = [
        "| documents | index MB | objects MB | database MB | phase "
        "| peak RSS (anon) web / worker / extraction MB "
        "| CPU s web / worker / extraction / client |",
        "|---:|---:|---:|---:|---|---:|---:|",
    ]

    def memory(values: dict[str, tuple[float, float]]) -> str:
        return " / ".join(
            f"{values.get(role, (0.0, 0.0))[0]:.0f} ({values.get(role, (0.0, 0.0))[1]:.0f})"
            for role in ROLES
        )

    def cpu(values: dict[str, float], fmt: str) -> str:
        return " / ".join(format(values.get(role, 0.0), fmt) for role in CPU_ROLES)

    for n, r in enumerate(report.ingests):
        size = report.sizes[n] if n < len(report.sizes) else None
        disk = (
            f"| {size.index / MB:.0f} | {size.objects / MB:.0f} | {size.database / MB:.0f}"
            if size
            else "| – | – | –"
        )
        rows.append(
            f"| {r.start_count + r.uploaded:,} {disk} | ingest {r.label} "
            f"| {memory(r.memory_mb)} | {cpu(r.cpu, '.0f')} |"
        )
        if n < len(report.queries):
            q = report.queries[n]
            rows.append(f"| | | | | queries | {memory(q.memory_mb)} | {cpu(q.cpu, '.1f')} |")
    return "\n".join(rows)


def profile_text(report: Run) -> str:
    ingest, tail = report.profile, report.tail_profile
    if ingest is None and tail is None:
        return "No profile was taken (`--profile-seconds 0`)."
    parts = []
    if ingest is not None:
        parts.append(
            f"Where the ingest's CPU time goes: py-spy ({ingest.seconds:.0f} s at "
            f"{ingest.rate} Hz, non-blocking, idle threads left out) during the ingest "
            f"{ingest.during}; shares of each process's busy samples:"
            if not ingest.note
            else f"No ingest profile: {ingest.note}."
        )
        parts += _profile_lines(ingest, ROLES)
    if tail is not None:
        parts.append(
            f"Where a search request's wall time goes: py-spy --idle ({tail.seconds:.0f} s at "
            f"{tail.rate} Hz) over an extra pass after the measurements ({tail.during}); "
            "shares of the samples of gunicorn threads inside a request:"
            if not tail.note
            else f"No search profile: {tail.note}."
        )
        parts += _profile_lines(tail, ("web",))
    return "\n".join(parts)


def _profile_lines(profile: Profile, roles: tuple[str, ...]) -> list[str]:
    lines = []
    for role in roles:
        if role not in profile.samples:
            continue
        eakte = ", ".join(f"`{name}` {share:.0%}" for name, share in profile.top_eakte[role][:8])
        own = ", ".join(f"{name} {share:.0%}" for name, share in profile.top_self[role][:4])
        lines.append(
            f"- {role} ({profile.samples[role]:,} samples): eakte functions (inclusive, "
            f"pure wrappers left out) {eakte or '–'}; own time {own}"
        )
    return lines


def goals(report: Run) -> tuple[list[str], list[str]]:
    """(statements, missed goal names)."""
    statements, missed = [], []
    for q in report.queries:
        if q.misses:
            statements.append(
                f"Findability: {len(q.misses)} marker searches at {q.documents:,} documents "
                f"did not find exactly one document ({', '.join(q.misses[:5])})"
            )
    first = report.ingests[0] if report.ingests else None
    if first is not None:
        rate = first.searchable_rate
        ok = rate is not None and rate >= INGEST_GOAL_DOCS_S
        statements.append(
            f"Ingest until searchable ≥ {INGEST_GOAL_DOCS_S:.0f} docs/s: "
            + ("**met**" if ok else "**missed**")
            + (
                f" ({rate:.1f} docs/s over the first {first.uploaded:,} documents)"
                if rate
                else " (the backlog did not drain)"
            )
        )
        if not ok:
            missed.append("ingest")
    if report.queries:
        last = report.queries[-1]
        worst = max((percentile(s.single_s, 0.95), kind) for kind, s in last.kinds.items())
        ok = worst[0] * 1000 <= QUERY_GOAL_P95_MS
        scope = f"at {last.documents:,} documents" + (
            ""
            if last.documents >= QUERY_GOAL_DOCS
            else f" (only; the goal is stated for {QUERY_GOAL_DOCS:,})"
        )
        statements.append(
            f"Query p95 ≤ {QUERY_GOAL_P95_MS:.0f} ms {scope}: "
            + ("**met**" if ok else "**missed**")
            + f" (worst kind: {worst[1]}, p95 {worst[0] * 1000:.1f} ms through the REST API)"
        )
        if not ok:
            missed.append("query")
    return statements, missed


def goal_markers(report: Run) -> list[str]:
    """The goals for the summary table at the top of the report (see bench_report)."""
    markers = []
    first = report.ingests[0] if report.ingests else None
    if first is not None:
        rate = first.searchable_rate
        markers.append(
            goal_marker(
                "search",
                f"Ingest until searchable ≥ {INGEST_GOAL_DOCS_S:.0f} docs/s",
                f"{rate:.1f} docs/s" if rate else "backlog did not drain",
                rate is not None and rate >= INGEST_GOAL_DOCS_S,
                f"first {first.uploaded:,} documents, {first.clients} clients",
            )
        )
    if report.queries:
        last = report.queries[-1]
        worst = max((percentile(s.single_s, 0.95), kind) for kind, s in last.kinds.items())
        judged = last.documents >= QUERY_GOAL_DOCS
        markers.append(
            goal_marker(
                "search",
                f"Query p95 ≤ {QUERY_GOAL_P95_MS:.0f} ms at {QUERY_GOAL_DOCS:,} documents",
                f"{worst[0] * 1000:.1f} ms",
                (worst[0] * 1000 <= QUERY_GOAL_P95_MS) if judged else None,
                f"worst kind {worst[1]}, at {last.documents:,} documents"
                + ("" if judged else ": fewer than the goal's size"),
            )
        )
    return markers


def plot_ingest(report: Run, plots: Path) -> list[tuple[str, str]]:
    """Per followed document: upload → searchable over the ingest (PNG); (file, caption)."""
    followed = [point for r in report.ingests for point in r.searchable_curve]
    if not followed:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots.mkdir(parents=True, exist_ok=True)
    origin = report.ingests[0].first_start
    fig, ax = plt.subplots(figsize=(8, 4.2), dpi=110)
    for r in report.ingests:
        xs = [(started - origin) / 60 for started, _ in r.searchable_curve]
        ys = [seconds for _, seconds in r.searchable_curve]
        ax.scatter(xs, ys, s=4, alpha=0.5, label=f"ingest {r.label} (followed documents)")
    ax.set_xlabel("minutes since the first upload")
    ax.set_ylabel("upload start → searchable, s")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    uploaded = sorted(t for r in report.ingests for t in r.upload_ends)
    if uploaded:
        twin = ax.twinx()
        twin.plot(
            [(t - origin) / 60 for t in uploaded],
            range(1, len(uploaded) + 1),
            color="black",
            linewidth=1,
            label="documents uploaded",
        )
        twin.set_ylabel("documents uploaded")
        twin.legend(fontsize=7, loc="upper left")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title("Search: time from upload until a document is findable, over the ingest")
    fig.tight_layout()
    fig.savefig(plots / "search-ingest.png")
    plt.close(fig)
    return [("search-ingest.png", "Upload to searchable per followed document, over the ingest")]


def interpretation(report: Run) -> str:
    parts = []
    for r in report.ingests:
        if r.searchable_rate is None:
            continue
        elapsed = r.until_searchable_s or 0.0
        per_doc = ", ".join(
            f"{role} {r.cpu.get(role, 0.0) / r.uploaded * 1000:.1f}" for role in CPU_ROLES
        )
        cores = sum(r.cpu.values()) / elapsed if elapsed else 0.0
        cpus = int(machine()["cpus"])
        top = max(CPU_ROLES, key=lambda role: r.cpu.get(role, 0.0))
        top_ms = r.cpu.get(top, 0.0) / r.uploaded * 1000
        parts.append(
            f"Ingest {r.label}: {r.uploaded:,} documents were searchable "
            f"{elapsed:.0f} s after the first upload started "
            f"({r.searchable_rate:.1f} docs/s, upload alone {r.upload_rate:.1f} docs/s); "
            f"a single document took {secs(percentile(r.to_searchable_s, 0.5))} s "
            f"(p95 {secs(percentile(r.to_searchable_s, 0.95))} s) from upload to findable. "
            f"CPU ms per document: {per_doc}; server and client kept {cores:.1f} of the "
            f"{cpus} cores busy, and the host's CPUs were {r.machine_busy:.0%} busy in all "
            "(other users' jobs included), "
            + (
                f"so the ingest is bound by CPU, the largest part being {ROLE_NAMES[top]} "
                f"({top_ms:.1f} ms per document)."
                if r.machine_busy >= 0.9
                else "so part of the time is spent waiting (locks, fsync), not computing."
            )
        )
    for q in report.queries:
        single = {k: percentile(s.single_s, 0.5) for k, s in q.kinds.items()}
        engine = {k: percentile(s.engine_s, 0.5) for k, s in q.kinds.items()}
        overhead = statistics.median(single[k] - engine[k] for k in single)
        worst = max(q.kinds, key=lambda k: percentile(q.kinds[k].concurrent_s, 0.95))
        parts.append(
            f"At {q.documents:,} documents a search takes {ms(min(single.values()))}–"
            f"{ms(max(single.values()))} ms at the median through the API, of which the "
            f"engine (tantivy search, stored fields, snippets) is {ms(min(engine.values()))}–"
            f"{ms(max(engine.values()))} ms; the rest, about {overhead * 1000:.0f} ms, is "
            "HTTP, authentication, the access check against the database and the audit "
            f"record. With {CONCURRENT_CLIENTS} clients the medians hardly move, but p95 "
            f"reaches {ms(percentile(q.kinds[worst].concurrent_s, 0.95))} ms ({worst})."
        )
    lock_wait = _share(report.tail_profile, "web", "eakte.db._tune_sqlite.<locals>._on_begin")
    if lock_wait >= 0.3:
        parts.append(
            f"That tail is the database's write lock: in the profiled pass {lock_wait:.0%} of "
            "the request threads' time went into `BEGIN IMMEDIATE`, which SQLite runs for "
            "the first statement of every request (the token lookup in "
            "`tokens.authenticate`) and which holds the single write lock until the audit "
            "record commits, so concurrent searches run one after the other, and a waiting "
            "one sleeps in SQLite's busy handler (back-off steps of up to 100 ms). The same "
            "lock gives uploads their p95 of "
            f"{ms(percentile(report.ingests[-1].upload_s, 0.95))} ms at a median of "
            f"{ms(percentile(report.ingests[-1].upload_s, 0.5))} ms."
        )
    if report.ingests and report.queries:
        first = report.ingests[0]
        per_doc = percentile(first.to_searchable_s, 0.5)
        medians = [percentile(s.single_s, 0.5) for s in report.queries[-1].kinds.values()]
        parts.append(
            f"Mayan EDMS, for comparison, needed 2–4 s per document until searchable (here "
            f"{secs(per_doc)} s at the median) and 70–200 ms at the median per content "
            f"search (here at most {ms(max(medians))} ms)."
        )
    parts.append(
        "Caveat: a shared, noisy 2-core VM; the benchmark client (upload threads, "
        "follower polls every 100 ms), gunicorn, the worker and its extraction child share "
        "the two cores, so the figures are lower bounds for a dedicated host."
    )
    return " ".join(parts)


def _share(profile: Profile | None, role: str, name: str) -> float:
    if profile is None or profile.note:
        return 0.0
    return dict(profile.top_eakte.get(role, [])).get(name, 0.0)


def code_version() -> str:
    """The commit under test, marked when eakte/ or migrations/ have uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "eakte", "migrations"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return (commit or "unknown") + (" with uncommitted changes" if dirty else "")


def section(
    report: Run,
    args: argparse.Namespace,
    command: str,
    load: str,
    code: str,
    images: list[tuple[str, str]] = (),
) -> str:
    m = machine()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    statements, _ = goals(report)
    lines = [
        BEGIN,
        "## Search",
        "",
        f"- Date: {now}",
        f"- Machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram']} RAM, Linux {m['kernel']}, "
        f"Python {m['python']}; 1-minute load average {load} (start, end of the run)",
        f"- Command: `{command}`; code: {code}",
        f"- Stack: `eakte serve --workers {args.server_workers} --threads "
        f"{args.server_threads}` (gunicorn gthread) with its `eakte worker` (outbox batches "
        "of 32, extraction in a child process, tantivy commit per batch); SQLite, file "
        "store, embedded tantivy index",
        f"- Corpus: de-laws ({report.corpus_note}), replicated with rotated and mixed "
        f"sections and a unique marker word per document; uploaded as `.txt` by "
        f"{args.clients} client threads (keep-alive) into {args.case_files} case files of "
        "one department, searched as the admin (clerk of that department)",
        "- Until searchable: first upload start → outbox empty and the last uploaded "
        f"document found by its marker; followed documents: every {args.sample_every}th, "
        "searched for by marker every 100 ms",
        f"- Queries: `GET /api/v1/search?limit={SEARCH_LIMIT}`, {args.queries} per kind "
        f"from one client after a warm-up, then the same mix from {CONCURRENT_CLIENTS} "
        "clients; engine only = `EmbeddedIndex.search` in the benchmark process on the "
        "same folder (no HTTP, authentication, database or audit)",
        "",
        ingest_table(report),
        "",
        query_table(report),
        "",
        " ".join(
            f"{CONCURRENT_CLIENTS} clients at {q.documents:,} documents: "
            f"{q.concurrent_rate:.0f} queries/s."
            for q in report.queries
        ),
        "",
        resource_table(report),
        "",
        *[f"- {s}" for s in statements],
        *goal_markers(report),
        "",
        profile_text(report),
        "",
        interpretation(report),
        *[line for name, caption in images for line in ("", f"![{caption}]({name})")],
        END,
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_docs(text: str) -> list[int]:
    try:
        values = sorted({int(v.replace("_", "")) for v in text.split(",") if v.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of counts: {text!r}") from None
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError("document counts must be positive")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--docs",
        type=parse_docs,
        default=[20_000, 100_000],
        help="index sizes, comma-separated (each continues the one before)",
    )
    parser.add_argument("--clients", type=int, default=8, help="upload client threads")
    parser.add_argument("--case-files", type=int, default=64, help="case files to spread over")
    parser.add_argument("--server-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--server-threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--time-limit", type=float, default=45.0, help="minutes of uploading")
    parser.add_argument(
        "--drain-limit",
        type=float,
        default=15.0,
        help="minutes to wait for the outbox after the time limit",
    )
    parser.add_argument("--queries", type=int, default=200, help="queries per kind and size")
    parser.add_argument(
        "--sample-every", type=int, default=10, help="follow every Nth document until searchable"
    )
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=60.0,
        help="py-spy the server processes this long (0: no profile)",
    )
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="de-laws folder")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--plots", type=Path, default=None, help="PNG folder (default: benchmarks/ beside --output)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tmpdir", type=Path, default=None, help="scratch space (default: TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.case_files < 1 or args.queries < 1 or args.sample_every < 1:
        parser.error("--clients, --case-files, --queries and --sample-every must be positive")

    load_at_start = load_average()
    code_at_start = code_version()

    def measure(scratch: Path) -> Run:
        with contextlib.ExitStack() as stack:
            return run(args, scratch, stack)

    report, status = guarded(
        measure, prefix="eakte-bench-search-", parent=args.tmpdir, keep=args.keep
    )
    if report is None:
        return status
    if not report.ingests:
        print("nothing measured", file=sys.stderr)
        return 1
    print()
    print(ingest_table(report))
    print()
    print(query_table(report))
    print()
    print(resource_table(report))
    print()
    statements, _ = goals(report)
    print("\n".join(statements))
    print()
    print(profile_text(report))
    command = (
        f"python bench/search.py --docs {','.join(str(d) for d in args.docs)} "
        f"--clients {args.clients} --case-files {args.case_files} "
        f"--time-limit {args.time_limit:g} --queries {args.queries} "
        f"--sample-every {args.sample_every}"
    )
    load = f"{load_at_start}, {load_average()}"
    code = code_version()
    if code != code_at_start:
        code = f"{code_at_start} at the start, {code} at the end"
    plots = args.plots or args.output.parent / "benchmarks"
    images = [
        (os.path.relpath(plots / name, args.output.parent), caption)
        for name, caption in plot_ingest(report, plots)
    ]
    write_section(args.output, "search", section(report, args, command, load, code, images))
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
