"""A child process that must not outlive the process that started it.

`eakte serve` starts `eakte worker` beside gunicorn. If `serve` is killed outright
(kill -9, the OOM killer) it cannot stop the worker, which would then run on
unowned, one more with each restart. The worker therefore watches its parent:
on Linux the kernel sends it SIGTERM when the parent dies (PR_SET_PDEATHSIG),
anywhere else (and as a second line) it notices that its parent pid changed.
Either way it stops as gracefully as on a SIGTERM from the operator.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
CHECK_EVERY = 0.5


def end_with_parent(parent_pid: int, stop: threading.Event, *, every: float = CHECK_EVERY) -> None:
    """Set `stop` as soon as `parent_pid` is no longer this process's parent.

    Expects a SIGTERM handler that sets `stop` to be installed already.
    """
    _ask_kernel_for_sigterm()
    # Checked after the prctl: a parent that died before it would never be signalled.
    if _orphaned(parent_pid, stop):
        return

    def watch() -> None:
        while not stop.wait(every):
            if _orphaned(parent_pid, stop):
                return

    threading.Thread(target=watch, name="eakte-parent-watch", daemon=True).start()


def _ask_kernel_for_sigterm() -> None:
    """SIGTERM to this process when its parent ends (Linux only; best effort).

    The kernel signals when the *thread* that forked this process ends, not the
    whole parent: `eakte serve` starts the worker from its main thread, which is
    gunicorn's arbiter and lives exactly as long as `serve`. The setting survives
    exec but not fork, so this process's own children are not affected.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        failed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0
    except (OSError, AttributeError):
        failed = True
    if failed:
        log.warning("cannot ask the kernel to end this process with its parent; polling instead")


def _orphaned(parent_pid: int, stop: threading.Event) -> bool:
    if os.getppid() == parent_pid:
        return False
    log.warning("the process that started this one (pid %d) is gone: stopping", parent_pid)
    stop.set()
    return True
