"""The background worker: indexes the outbox, seals the audit trail, issues checkpoints,
erases old addresses, finishes interrupted dispositions.

Safe to run on several nodes at once: sealing and checkpoints take a database
lock, so the nodes take turns; indexing claims outbox rows with
`FOR UPDATE SKIP LOCKED`. Each task keeps its own pace and its own backoff,
so a search engine that is down does not hold up the audit trail.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from eakte import metrics
from eakte.db import UNAVAILABLE_ERRORS
from eakte.errors import EakteError
from eakte.services import audit_pseudonyms, audit_sealing, disposition_execution, indexing
from eakte.services.context import Ports

log = logging.getLogger(__name__)

PSEUDONYMISE_EVERY = 3600.0
RESUME_EVERY = 60.0  # dispositions a failure interrupted
MAX_BACKOFF = 60.0


@dataclass
class _Task:
    name: str
    run: Callable[[], bool]  # True when more work is already waiting
    interval: float
    due: float = 0.0
    backoff: float = 0.0

    def tick(self, now: float) -> None:
        try:
            busy = self.run()
        except (EakteError, *UNAVAILABLE_ERRORS) as error:
            self.backoff = min(max(self.backoff * 2, self.interval, 1.0), MAX_BACKOFF)
            self.due = now + self.backoff
            metrics.count_worker_error(self.name)
            log.warning(
                "%s failed (%s); retrying in %.0f s",
                self.name,
                type(error).__name__,
                self.backoff,
                extra={"task": self.name, "error": type(error).__name__},
            )
            return
        self.backoff = 0.0
        self.due = now if busy else now + self.interval


def run_worker(
    ports: Ports, stop: threading.Event, *, interval: float = 1.0, index_interval: float = 0.05
) -> None:
    """Tick until `stop` is set; a failing dependency only delays its own task."""
    next_pseudonymise = 0.0

    def audit_trail() -> bool:
        nonlocal next_pseudonymise
        audit_sealing.seal_all(ports)
        audit_sealing.checkpoint_if_due(ports)
        if time.monotonic() >= next_pseudonymise:
            audit_pseudonyms.pseudonymise_addresses(ports)
            next_pseudonymise = time.monotonic() + PSEUDONYMISE_EVERY
        return False

    # The audit trail wakes at least once per checkpoint interval, so that new events are
    # signed within two intervals (10 s by default) whatever `--interval` says.
    audit_interval = min(interval, float(ports.settings.audit_checkpoint_seconds))
    tasks = [
        _Task("indexing", lambda: indexing.drain(ports) > 0, index_interval),
        _Task("audit trail", audit_trail, audit_interval),
        _Task("disposition", lambda: disposition_execution.resume_executions(ports), RESUME_EVERY),
    ]
    while not stop.is_set():
        for task in tasks:
            if time.monotonic() >= task.due:
                task.tick(time.monotonic())
        stop.wait(max(min(task.due for task in tasks) - time.monotonic(), 0.0))
