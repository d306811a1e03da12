"""The background worker: seals the audit trail, issues checkpoints, erases old addresses.

Safe to run on several nodes at once: sealing and checkpoints take a database
lock, so the nodes take turns. Later work (search indexing, retention)
attaches here too.
"""

from __future__ import annotations

import logging
import threading
import time

from eakte.db import UNAVAILABLE_ERRORS
from eakte.errors import EakteError
from eakte.services import audit_log
from eakte.services.context import Ports

log = logging.getLogger(__name__)

PSEUDONYMISE_EVERY = 3600.0


def run_worker(ports: Ports, stop: threading.Event, *, interval: float = 1.0) -> None:
    """Tick until `stop` is set; a failing dependency only delays the next tick."""
    next_pseudonymise = 0.0
    delay = interval
    while not stop.is_set():
        try:
            audit_log.seal_all(ports)
            audit_log.checkpoint_if_due(ports)
            if time.monotonic() >= next_pseudonymise:
                audit_log.pseudonymise_addresses(ports)
                next_pseudonymise = time.monotonic() + PSEUDONYMISE_EVERY
            delay = interval
        except (EakteError, *UNAVAILABLE_ERRORS) as error:
            delay = min(delay * 2, 60.0)
            log.warning("worker tick failed (%s); retrying in %.0f s", type(error).__name__, delay)
        stop.wait(delay)
