"""Storage benchmark: encrypted upload and download through a real eakte server.

    .venv/bin/python bench/storage.py [--sizes 1M,64M,1G] [--backends file,s3]
                                      [--output docs/benchmarks.md] [--repeat N]

For each backend (the file store of a temporary instance; S3 on a SeaweedFS server
started here via tests/s3server.py) this runs `eakte init` and `eakte serve --workers 1`
as subprocesses, files a case file over REST, and then for each size:

- writes random bytes to a temporary file (in chunks, never the whole file in memory);
- uploads it (`POST /api/v1/case-files/{id}/documents`, multipart streamed from disk
  with http.client) and downloads it (`GET /api/v1/documents/{id}/content`, streamed to
  a file, SHA-256 checked against the upload);
- measures the raw store in the same run: file backend `shutil.copyfile` (+ fsync, as
  the file store fsyncs) and a copy of that copy; S3 backend minio `fput_object` /
  `fget_object` against the same SeaweedFS, with eakte's part size (16 MiB, serial);
- samples VmRSS of the gunicorn worker(s) every ~20 ms during each transfer and reports
  the peak minus the value just before it.

The results go to stdout and into the "Storage" section of the output file (between
`<!-- storage:begin -->` and `<!-- storage:end -->`; the rest of the file is kept).
Units: MB = 10^6 bytes, sizes are binary (1M = 1 MiB, 1G = 1 GiB). Not part of the
test suite; `make bench-storage` runs it.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
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
    write_section,
)

from tests.s3server import S3Server, start_s3_server  # noqa: E402

MB = 1_000_000
CHUNK = 1024 * 1024
RSS_GOAL_MB = 150
DISK_NEEDED_FOR_1G = 6 * 1000**3
SAMPLE_INTERVAL = 0.02
BEGIN, END = "<!-- storage:begin -->", "<!-- storage:end -->"
SERVER_START_TIMEOUT = 60.0
TRANSFER_TIMEOUT = 1800.0


# --------------------------------------------------------------------------- sizes


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1M, 64M, 1G)")
    factor = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}[match.group(2).upper()]
    return int(match.group(1)) * factor


def size_label(size: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} B"


def write_random_file(path: Path, size: int) -> str:
    """Random bytes into `path`, CHUNK at a time; returns the SHA-256 hex digest."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        remaining = size
        while remaining:
            chunk = os.urandom(min(CHUNK, remaining))
            digest.update(chunk)
            handle.write(chunk)
            remaining -= len(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- RSS


def _rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return 0


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:  # fields: state, ppid, ...
            found.append(int(entry.name))
    return sorted(found)


def _cmdline(pid: int) -> bytes | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read()
    except (FileNotFoundError, ProcessLookupError):
        return None


def gunicorn_workers(master_pid: int) -> list[int]:
    """The master's forked children (same command line); not other children it spawned."""
    master = _cmdline(master_pid)
    return [pid for pid in children_of(master_pid) if _cmdline(pid) == master]


class RssSampler:
    """Sum of VmRSS over the server's gunicorn workers, sampled in a thread every ~20 ms."""

    def __init__(self, master_pid: int) -> None:
        self.master_pid = master_pid
        self.before_kb = 0
        self.peak_kb = 0
        self.after_kb = 0
        self.samples = 0
        self._pids: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _total_kb(self) -> int:
        # The worker pids are looked up again only when one is gone (a restarted worker).
        values = [_rss_kb(pid) for pid in self._pids]
        if not self._pids or None in values:
            self._pids = gunicorn_workers(self.master_pid)
            values = [_rss_kb(pid) for pid in self._pids]
        return sum(v or 0 for v in values)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self._total_kb())
            self.samples += 1
            self._stop.wait(SAMPLE_INTERVAL)

    def __enter__(self) -> RssSampler:
        self.before_kb = self.peak_kb = self._total_kb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.after_kb = self._total_kb()
        self.peak_kb = max(self.peak_kb, self.after_kb)

    @property
    def growth_mb(self) -> float:
        return (self.peak_kb - self.before_kb) * 1024 / MB


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EakteServer:
    """`python -m eakte init` + `python -m eakte serve --workers N` on 127.0.0.1."""

    def __init__(
        self,
        workdir: Path,
        storage_env: dict[str, str],
        *,
        workers: int = 1,
        threads: int | None = None,
    ) -> None:
        self.workers = workers
        self.threads = threads
        self.workdir = workdir
        self.instance = workdir / "instance"
        self.tmp = workdir / "tmp"  # the server's TMPDIR: Werkzeug spools uploads here
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "server.log"
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EAKTE_")}
        self.env.update(
            {
                "EAKTE_INSTANCE_PATH": str(self.instance),
                "TMPDIR": str(self.tmp),
                "PYTHONUNBUFFERED": "1",
                **storage_env,
            }
        )
        self.process: subprocess.Popen | None = None
        self.token = ""

    def start(self) -> None:
        init = subprocess.run(
            [sys.executable, "-m", "eakte", "init"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if init.returncode != 0:
            raise BenchError(f"`eakte init` failed:\n{init.stderr}")
        self.token = init.stdout.strip().splitlines()[-1]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "eakte", "serve", "--host", "127.0.0.1"]
                + ["--port", str(self.port), "--workers", str(self.workers)]
                + (["--threads", str(self.threads)] if self.threads else []),
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as a whole
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"eakte serve exited while starting:\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _ = self.call("GET", "/health")
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return
            if time.monotonic() > deadline:
                raise BenchError(f"eakte serve did not answer in time:\n{self.log_tail()}")
            time.sleep(0.2)

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        # `eakte serve` may start helpers of its own (in their own sessions); remember
        # them, so that none outlives the server if the master has to be killed.
        helpers = [pid for pid in children_of(process.pid) if pid not in self.worker_pids()]
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(35)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        else:  # the master is gone; make sure no orphaned worker of its group stays
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        self.process = None
        deadline = time.monotonic() + 10
        for pid in helpers:
            while _cmdline(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _cmdline(pid):  # empty for a zombie: gone
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def worker_pids(self) -> list[int]:
        return gunicorn_workers(self.process.pid) if self.process else []

    def log_tail(self, limit: int = 3000) -> str:
        try:
            return self.log_path.read_bytes()[-limit:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=TRANSFER_TIMEOUT)

    def call(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        conn = self.connection()
        try:
            headers = {"Authorization": f"Bearer {self.token}"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, "/api/v1" + path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            try:
                payload = json.loads(raw) if raw else {}
            except ValueError:
                payload = {"raw": raw[:500].decode("utf-8", "replace")}
            return response.status, payload
        finally:
            conn.close()

    def must(self, method: str, path: str, body: object, expected: int = 201) -> dict:
        status, payload = self.call(method, path, body)
        if status != expected:
            raise BenchError(f"{method} {path} answered {status}: {payload}")
        return payload

    def set_up_case_file(self) -> str:
        """Department, file plan node, admin as records manager and clerk, one case file."""
        self.must("POST", "/departments", {"code": "32", "name": "Ordnungsamt"})
        self.must("POST", "/principals/admin/roles", {"role": "records_manager"})
        self.must(
            "POST",
            "/file-plan",
            {"code": "32.10", "title": "Gewerbe", "retention_years": 10, "disposition": "archive"},
        )
        self.must("POST", "/principals/admin/memberships", {"department": "32", "role": "clerk"})
        case_file = self.must(
            "POST",
            "/case-files",
            {"file_plan": "32.10", "department": "32", "title": "Speicher-Benchmark"},
        )
        return case_file["id"]

    def upload(self, case_file_id: str, path: Path, title: str) -> tuple[float, str]:
        """Stream `path` as multipart `file` (+ `title`); returns (seconds, document id)."""
        boundary = f"eakte-bench-{secrets.token_hex(12)}"
        head = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="title"\r\n\r\n'
            f"{title}\r\n"
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = path.stat().st_size
        conn = self.connection()
        try:
            began = time.perf_counter()
            conn.putrequest("POST", f"/api/v1/case-files/{case_file_id}/documents")
            conn.putheader("Authorization", f"Bearer {self.token}")
            conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            conn.putheader("Content-Length", str(len(head) + size + len(tail)))
            conn.endheaders()
            try:
                conn.send(head)
                with path.open("rb") as handle:
                    while chunk := handle.read(CHUNK):
                        conn.send(chunk)
                conn.send(tail)
            except (BrokenPipeError, ConnectionResetError) as error:
                # The server answered (and closed) before taking the whole body.
                try:
                    early = conn.getresponse()
                    answer = f"{early.status} {early.read()[:500]!r}"
                except (OSError, http.client.HTTPException):
                    answer = "no answer"
                raise BenchError(
                    f"upload of {size_label(size)} cut off ({error}); server said: {answer}\n"
                    f"{self.log_tail()}"
                ) from None
            response = conn.getresponse()
            raw = response.read()
            seconds = time.perf_counter() - began
        finally:
            conn.close()
        if response.status != 201:
            raise BenchError(
                f"upload of {size_label(size)} answered {response.status}: {raw[:500]!r}\n"
                f"{self.log_tail()}"
            )
        return seconds, json.loads(raw)["id"]

    def download(self, document_id: str, dest: Path) -> tuple[float, str, str]:
        """Stream the content into `dest`; returns (seconds, SHA-256 hex, Repr-Digest)."""
        digest = hashlib.sha256()
        conn = self.connection()
        try:
            began = time.perf_counter()
            conn.request(
                "GET",
                f"/api/v1/documents/{document_id}/content",
                headers={"Authorization": f"Bearer {self.token}"},
            )
            response = conn.getresponse()
            if response.status != 200:
                raise BenchError(
                    f"download answered {response.status}: {response.read()[:500]!r}\n"
                    f"{self.log_tail()}"
                )
            with dest.open("wb") as handle:
                while chunk := response.read(CHUNK):
                    digest.update(chunk)
                    handle.write(chunk)
            seconds = time.perf_counter() - began
            repr_digest = response.getheader("Repr-Digest", "")
        finally:
            conn.close()
        return seconds, digest.hexdigest(), repr_digest


# --------------------------------------------------------------------------- backends


@dataclass
class Result:
    backend: str
    size: int
    upload_s: list[float] = field(default_factory=list)
    raw_put_s: list[float] = field(default_factory=list)
    download_s: list[float] = field(default_factory=list)
    raw_get_s: list[float] = field(default_factory=list)
    rss_upload_mb: list[float] = field(default_factory=list)
    rss_download_mb: list[float] = field(default_factory=list)
    rss_peak_mb: list[float] = field(default_factory=list)  # absolute, upload or download
    rss_warm_mb: float = 0.0  # the worker's RSS after the warm-up, before any measurement

    def rate(self, seconds: list[float]) -> float:
        return self.size / min(seconds) / MB  # best of the repeats

    @property
    def upload(self) -> float:
        return self.rate(self.upload_s)

    @property
    def raw_put(self) -> float:
        return self.rate(self.raw_put_s)

    @property
    def download(self) -> float:
        return self.rate(self.download_s)

    @property
    def raw_get(self) -> float:
        return self.rate(self.raw_get_s)

    @property
    def rss_upload(self) -> float:
        return max(self.rss_upload_mb)

    @property
    def rss_download(self) -> float:
        return max(self.rss_download_mb)


class RawFile:
    label = "file copy"

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / "raw"
        self.dir.mkdir(parents=True, exist_ok=True)

    def put(self, source: Path) -> tuple[float, object]:
        dest = self.dir / f"{uuid.uuid4()}.put"
        began = time.perf_counter()
        shutil.copyfile(source, dest)
        fsync_path(dest)  # the file store fsyncs every object; so does this baseline
        return time.perf_counter() - began, dest

    def get(self, handle: object, dest: Path) -> float:
        began = time.perf_counter()
        shutil.copyfile(handle, dest)
        return time.perf_counter() - began

    def delete(self, handle: object) -> None:
        Path(handle).unlink(missing_ok=True)


class RawS3:
    label = "minio fput/fget"
    bucket = "raw-bench"

    def __init__(self, server: S3Server) -> None:
        from eakte.storage.s3 import PART_SIZE

        self.part_size = PART_SIZE
        self.client = server.client()
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket)

    def put(self, source: Path) -> tuple[float, object]:
        name = f"raw/{uuid.uuid4()}"
        began = time.perf_counter()
        # eakte's own settings: 16 MiB parts, one at a time
        self.client.fput_object(
            self.bucket, name, str(source), part_size=self.part_size, num_parallel_uploads=1
        )
        return time.perf_counter() - began, name

    def get(self, handle: object, dest: Path) -> float:
        began = time.perf_counter()
        self.client.fget_object(self.bucket, str(handle), str(dest))
        return time.perf_counter() - began

    def delete(self, handle: object) -> None:
        with contextlib.suppress(Exception):
            self.client.remove_object(self.bucket, str(handle))


def run_backend(
    backend: str, sizes: list[int], repeat: int, workdir: Path, stack: contextlib.ExitStack
) -> list[Result]:
    storage_env: dict[str, str] = {}
    if backend == "s3":
        print("starting SeaweedFS (weed mini) …", flush=True)
        s3 = start_s3_server(workdir / "s3")
        stack.callback(s3.stop)
        print(f"  S3 on {s3.endpoint}, up in {s3.startup_seconds:.1f} s", flush=True)
        storage_env = {
            "EAKTE_STORAGE_URL": s3.url("documents"),
            "EAKTE_S3_ACCESS_KEY": s3.access_key,
            "EAKTE_S3_SECRET_KEY": s3.secret_key,
        }
        raw: RawFile | RawS3 = RawS3(s3)
    else:
        raw = RawFile(workdir)
    server = EakteServer(workdir / "eakte", storage_env)
    stack.callback(server.stop)
    server.start()
    print(f"eakte serve on 127.0.0.1:{server.port}, worker pid(s) {server.worker_pids()}")
    case_file_id = server.set_up_case_file()
    data_dir = workdir / "data"
    data_dir.mkdir(exist_ok=True)

    # Warm-up: the first upload/download of a worker loads libraries and opens pools,
    # and SeaweedFS allocates a bucket's first volumes on its first write.
    warm = data_dir / "warm-up.bin"
    write_random_file(warm, 256 * 1024)
    _, warm_id = server.upload(case_file_id, warm, "warm-up")
    server.download(warm_id, data_dir / "warm-up.out")
    _, handle = raw.put(warm)
    raw.get(handle, data_dir / "warm-up.raw")
    raw.delete(handle)
    for path in (warm, data_dir / "warm-up.out", data_dir / "warm-up.raw"):
        path.unlink()
    time.sleep(0.5)
    warm_mb = sum(_rss_kb(pid) or 0 for pid in server.worker_pids()) * 1024 / MB
    print(f"worker RSS after warm-up: {warm_mb:.1f} MB", flush=True)

    results = []
    for size in sizes:
        result = Result(backend, size, rss_warm_mb=warm_mb)
        source = data_dir / f"bench-{size}.bin"
        fetched = data_dir / f"bench-{size}.out"
        for attempt in range(repeat):
            print(f"[{backend}] {size_label(size)} run {attempt + 1}/{repeat}: data …", flush=True)
            expected = write_random_file(source, size)
            os.sync()  # nothing of the data file left to write back during the measurements

            with RssSampler(server.process.pid) as rss:
                seconds, document_id = server.upload(
                    case_file_id, source, f"Benchmark {size_label(size)}"
                )
            result.upload_s.append(seconds)
            result.rss_upload_mb.append(rss.growth_mb)
            result.rss_peak_mb.append(rss.peak_kb * 1024 / MB)
            print(
                f"  upload   {size / seconds / MB:8.1f} MB/s  "
                f"RSS +{rss.growth_mb:.1f} MB ({rss.samples} samples)",
                flush=True,
            )

            with RssSampler(server.process.pid) as rss:
                seconds, actual, repr_digest = server.download(document_id, fetched)
            if actual != expected:
                raise BenchError(f"download of {size_label(size)}: SHA-256 differs from upload")
            if _digest_hex(repr_digest) != expected:
                raise BenchError(f"Repr-Digest {repr_digest!r} does not match the upload")
            result.download_s.append(seconds)
            result.rss_download_mb.append(rss.growth_mb)
            result.rss_peak_mb.append(rss.peak_kb * 1024 / MB)
            fetched.unlink()
            print(
                f"  download {size / seconds / MB:8.1f} MB/s  "
                f"RSS +{rss.growth_mb:.1f} MB ({rss.samples} samples), SHA-256 ok",
                flush=True,
            )

            seconds, handle = raw.put(source)
            result.raw_put_s.append(seconds)
            seconds_get = raw.get(handle, fetched)
            if sha256_of(fetched) != expected:
                raise BenchError(f"raw {raw.label} of {size_label(size)}: SHA-256 differs")
            result.raw_get_s.append(seconds_get)
            raw.delete(handle)
            fetched.unlink()
            print(
                f"  raw {raw.label}: put {size / seconds / MB:.1f} MB/s,"
                f" get {size / seconds_get / MB:.1f} MB/s",
                flush=True,
            )
        source.unlink()
        results.append(result)
    return results


def _digest_hex(repr_digest: str) -> str:
    match = re.search(r"sha-256=:([^:]+):", repr_digest)
    return base64.b64decode(match.group(1)).hex() if match else ""


# --------------------------------------------------------------------------- report


HEADER = (
    "| backend | size | upload MB/s | raw put MB/s | up ratio | download MB/s "
    "| raw get MB/s | down ratio | RSS Δ upload MB | RSS Δ download MB |"
)
RULE = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"


def table(results: list[Result]) -> str:
    rows = [HEADER, RULE]
    for r in results:
        rows.append(
            f"| {r.backend} | {size_label(r.size)} | {r.upload:.1f} | {r.raw_put:.1f} "
            f"| {r.upload / r.raw_put:.2f} | {r.download:.1f} | {r.raw_get:.1f} "
            f"| {r.download / r.raw_get:.2f} | {r.rss_upload:.1f} | {r.rss_download:.1f} |"
        )
    return "\n".join(rows)


def cumulative(results: list[Result]) -> str:
    """Per backend: RSS after warm-up, the highest value seen, and the difference."""
    parts = []
    for backend in dict.fromkeys(r.backend for r in results):
        mine = [r for r in results if r.backend == backend]
        warm = mine[0].rss_warm_mb
        peak = max(p for r in mine for p in r.rss_peak_mb)
        parts.append(
            f"{backend}: {warm:.0f} MB after warm-up, highest {peak:.0f} MB (+{peak - warm:.0f} MB)"
        )
    return "; ".join(parts)


def interpretation(results: list[Result], skipped: list[str]) -> str:
    parts = []
    for backend, raw in (("file", "a plain `shutil.copyfile`"), ("s3", "minio straight to S3")):
        mine = [r for r in results if r.backend == backend]
        if not mine:
            continue
        big = max(mine, key=lambda r: r.size)
        parts.append(
            f"On the {backend} backend an upload of {size_label(big.size)} through eakte runs at "
            f"{big.upload / big.raw_put:.0%} and a download at {big.download / big.raw_get:.0%} "
            f"of {raw} (ratios over all sizes: upload "
            f"{min(r.upload / r.raw_put for r in mine):.2f}–"
            f"{max(r.upload / r.raw_put for r in mine):.2f}, download "
            f"{min(r.download / r.raw_get for r in mine):.2f}–"
            f"{max(r.download / r.raw_get for r in mine):.2f})."
        )
    parts.append(
        "The gap is the request path: Werkzeug parses the multipart body in 64 KiB reads "
        "from gunicorn and spools it to a temporary file (a second full write), then eakte "
        "reads it back, hashes it (SHA-256) and encrypts it in 1 MiB AES-256-GCM segments "
        "before the store writes it; a download reads, authenticates and decrypts every "
        "segment and sends it through gunicorn. The baselines keep Python out of the data "
        "path (`copyfile` uses `sendfile`), and small files are dominated by per-request "
        "work (authentication, audit, database commit)."
    )
    peak = max(max(r.rss_upload, r.rss_download) for r in results)
    largest = max(r.size for r in results)
    over = [
        f"{r.backend} {size_label(r.size)} ({direction} +{value:.0f} MB)"
        for r in results
        for direction, value in (("upload", r.rss_upload), ("download", r.rss_download))
        if value >= RSS_GOAL_MB
    ]
    verdict = (
        f"missed by {', '.join(over)}"
        if over
        else f"met for every size up to {size_label(largest)}"
    )
    parts.append(
        f"The worker's peak RSS growth over its value just before a transfer was at most "
        f"{peak:.0f} MB; the goal (a 1 GiB upload and download under {RSS_GOAL_MB} MB of "
        f"growth) is {verdict}."
    )
    overall = max(max(r.rss_peak_mb) - r.rss_warm_mb for r in results)
    if overall > peak + 10:
        parts.append(
            f"Counted from the warmed-up worker instead, RSS grew by up to {overall:.0f} MB "
            f"over a whole run ({'above' if overall >= RSS_GOAL_MB else 'below'} the goal "
            "if read that way): buffers freed after a transfer stay with the C allocator "
            "(glibc keeps an arena per gunicorn thread) and are reused by later transfers "
            "instead of going back to the system, so a later, larger transfer can show less "
            "growth than an earlier, smaller one."
        )
    if skipped:
        parts.append(f"Skipped: {'; '.join(skipped)}.")
    parts.append(
        "Caveat: the machine is a shared, noisy 2-core VM on which client, server and "
        "SeaweedFS compete for the same cores, so single runs vary by tens of percent; "
        "compare ratios from the same run rather than absolute MB/s across runs."
    )
    return " ".join(parts)


def section(results: list[Result], skipped: list[str], repeat: int, command: str, load: str) -> str:
    m = machine()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join(
        [
            BEGIN,
            "## Storage",
            "",
            f"- Date: {now}",
            f"- Machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram']} RAM, "
            f"Linux {m['kernel']}, Python {m['python']}; 1-minute load average {load} "
            "(start, end of the run)",
            f"- Command: `{command}`"
            + (f" (best of {repeat} runs per size)" if repeat > 1 else " (one run per size)"),
            "- Server: `eakte serve --workers 1` (gunicorn gthread, 4 threads), SQLite; "
            "S3 = SeaweedFS `weed mini` on 127.0.0.1 (tests/s3server.py)",
            "- Baselines: file = `shutil.copyfile` + fsync (put) and a copy of that copy (get); "
            "s3 = minio `fput_object` (16 MiB parts, serial, like eakte) / `fget_object`",
            "- MB = 10^6 bytes; ratio = eakte / raw; RSS Δ = peak VmRSS of the gunicorn worker "
            "during the transfer (sampled every 20 ms) minus its value just before; "
            "sizes run in the order listed, in one worker per backend",
            f"- Worker RSS over the whole run: {cumulative(results)}",
            "",
            table(results),
            "",
            interpretation(results, skipped),
            *[
                goal_marker(
                    "storage",
                    f"RSS growth of a 1 GiB upload and download < {RSS_GOAL_MB} MB",
                    f"+{max(r.rss_upload, r.rss_download):.0f} MB",
                    (max(r.rss_upload, r.rss_download) < RSS_GOAL_MB)
                    if r.size >= 1024**3
                    else None,
                    f"{r.backend}, {size_label(r.size)}"
                    + ("" if r.size >= 1024**3 else ": largest size measured, below 1 GiB"),
                )
                for backend in dict.fromkeys(r.backend for r in results)
                for r in [max((x for x in results if x.backend == backend), key=lambda x: x.size)]
            ],
            END,
        ]
    )


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1M,64M,1G", help="comma-separated, e.g. 1M,64M,1G")
    parser.add_argument("--backends", default="file,s3", help="comma-separated: file, s3")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (best is reported)")
    parser.add_argument("--tmpdir", type=Path, default=None, help="scratch space (default: TMPDIR)")
    args = parser.parse_args(argv)

    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    for backend in backends:
        if backend not in ("file", "s3"):
            parser.error(f"unknown backend {backend!r} (file, s3)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    scratch_parent = args.tmpdir or Path(tempfile.gettempdir())
    free = shutil.disk_usage(scratch_parent).free
    skipped = []
    if free < DISK_NEEDED_FOR_1G and any(s >= 1024**3 for s in sizes):
        note = (
            f"sizes of 1 GiB and more, as only {free / 1000**3:.1f} GB are free in "
            f"{scratch_parent} (needs {DISK_NEEDED_FOR_1G / 1000**3:.0f} GB)"
        )
        print(f"skipping {note}", file=sys.stderr)
        skipped.append(note)
        sizes = [s for s in sizes if s < 1024**3]
    if not sizes:
        print("nothing to measure", file=sys.stderr)
        return 1

    load_at_start = load_average()

    def measure(scratch: Path) -> list[Result]:
        results: list[Result] = []
        for backend in backends:
            with contextlib.ExitStack() as stack:
                workdir = scratch / backend
                workdir.mkdir()
                # Each backend's files go when it is done: 1 GiB transfers need the space.
                stack.callback(shutil.rmtree, workdir, ignore_errors=True)
                results += run_backend(backend, sizes, args.repeat, workdir, stack)
        return results

    results, status = guarded(measure, prefix="eakte-bench-", parent=scratch_parent)
    if results is None:
        return status

    print()
    print(table(results))
    print()
    text = interpretation(results, skipped)
    print(text)
    command = "python bench/storage.py " + " ".join(
        [f"--sizes {args.sizes}", f"--backends {args.backends}"]
        + ([f"--repeat {args.repeat}"] if args.repeat > 1 else [])
    )
    load = f"{load_at_start}, {load_average()}"
    write_section(args.output, "storage", section(results, skipped, args.repeat, command, load))
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
