"""Prometheus metrics: request rate and latency, upload bytes, errors, queue lags.

Counters and histograms are kept per process. Under `eakte serve` several
gunicorn workers and the background worker share them through files in
PROMETHEUS_MULTIPROC_DIR (set by `eakte serve`, see `multiprocess_dir`);
prometheus_client decides between in-memory and file-backed values when it is
first imported, so it is imported lazily here, never at module import.
Lags (outbox, audit sealing) are read from the database at scrape time by the
caller and passed to `render`: they are the deployment's, not one process's.
"""

from __future__ import annotations

import functools
import os
import shutil
import struct
import time
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds; upload and download requests of large files sit in the last buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120)


@functools.cache
def _metrics() -> SimpleNamespace:
    from prometheus_client import Counter, Histogram

    return SimpleNamespace(
        requests=Counter(
            "eakte_http_requests_total",
            "HTTP requests answered, by route and status",
            ["method", "endpoint", "status"],
        ),
        latency=Histogram(
            "eakte_http_request_duration_seconds",
            "Time until the response started, by route",
            ["method", "endpoint"],
            buckets=LATENCY_BUCKETS,
        ),
        upload_bytes=Counter(
            "eakte_upload_bytes_total", "Bytes of document versions written to the object store"
        ),
        worker_errors=Counter(
            "eakte_worker_errors_total", "Background task runs that failed", ["task"]
        ),
        storage_errors=Counter(
            "eakte_storage_errors_total",
            "Object store calls that failed (unavailable or refused)",
            ["kind"],
        ),
    )


def prepare() -> None:
    """Create this process's metrics now, at start-up: under PROMETHEUS_MULTIPROC_DIR
    that creates its files, which a scrape must not find half-made later."""
    _metrics()


def observe_request(method: str, endpoint: str, status: int, seconds: float) -> None:
    metrics = _metrics()
    metrics.requests.labels(method, endpoint, str(status)).inc()
    metrics.latency.labels(method, endpoint).observe(seconds)


def count_upload(size: int) -> None:
    _metrics().upload_bytes.inc(size)


def count_worker_error(task: str) -> None:
    _metrics().worker_errors.labels(task).inc()


def count_storage_error(kind: str) -> None:
    _metrics().storage_errors.labels(kind).inc()


def render(gauges: Mapping[str, tuple[str, float | None]]) -> tuple[bytes, str]:
    """The exposition text: every process's counters plus `gauges` {name: (help, value)}."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    _metrics()  # the families exist (with no samples) before the first request
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY

        registry.register(_Forward(REGISTRY))

    class _Gauges:
        def collect(self) -> Any:
            for name, (help_text, value) in gauges.items():
                if value is not None:
                    yield GaugeMetricFamily(name, help_text, value=value)

    registry.register(_Gauges())
    for _ in range(2):
        try:
            return generate_latest(registry), CONTENT_TYPE_LATEST
        except struct.error:
            # Another process is creating its metrics file right now (it exists but is
            # still empty): read again in a moment rather than fail the scrape.
            time.sleep(0.05)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Forward:
    """Collects what another registry holds (the process's own metrics)."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry

    def collect(self) -> Any:
        return self._registry.collect()


def multiprocess_dir(instance_path: Path) -> Path:
    """An empty folder for this node's metric files, named in the environment.

    Called by `eakte serve` before gunicorn forks (and before anything imports
    prometheus_client), so workers and the background worker inherit it.
    """
    folder = Path(os.environ.get(MULTIPROC_ENV) or instance_path / "run" / "metrics")
    shutil.rmtree(folder, ignore_errors=True)  # counts of earlier runs are meaningless
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def process_exited(pid: int) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges must not linger."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def serve_standalone(host: str, port: int) -> None:
    """A metrics endpoint of its own, for an `eakte worker` on a node without `eakte serve`."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host)
