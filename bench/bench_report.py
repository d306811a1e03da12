"""Shared by the benchmark scripts: the machine they ran on, their section of the report,
and how a run is cut short (Ctrl-C, SIGTERM, a failure) without leaving anything behind."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
EXIT_FAILED, EXIT_INTERRUPTED = 1, 130


class BenchError(RuntimeError):
    """The benchmark cannot go on (a server did not start, a transfer failed)."""


def guarded(
    work: Callable[[Path], T], *, prefix: str, parent: Path | None = None, keep: bool = False
) -> tuple[T | None, int]:
    """Run `work` in a fresh scratch folder; (its result, 0), or (None, exit status).

    Ctrl-C and SIGTERM both unwind through the callers' finally blocks, so servers
    are stopped; the folder goes afterwards unless `keep`.
    """

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        return work(scratch), 0
    except KeyboardInterrupt:
        print("\ninterrupted; cleaning up", file=sys.stderr)
        return None, EXIT_INTERRUPTED
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return None, EXIT_FAILED
    finally:
        if keep:
            print(f"instance kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


PREAMBLE = (
    "# Benchmarks\n\n"
    "Measured on the development machine; each section is written by its script and "
    "replaced as a whole (between its `<!-- NAME:begin -->` and `<!-- NAME:end -->` "
    "markers) when the script runs again. Other sections are left alone.\n"
)


def machine() -> dict[str, str]:
    cpu = ram = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        names = (line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
        cpu = next(names, cpu)
    with contextlib.suppress(OSError), open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    return {
        "cpus": str(len(os.sched_getaffinity(0))),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def load_average() -> str:
    """The 1-minute load average: the machine is shared, so every figure carries it."""
    return f"{os.getloadavg()[0]:.1f}"


def replace_section(current: str, name: str, text: str) -> str:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin in current and end in current:
        before, rest = current.split(begin, 1)
        return before + text + rest.split(end, 1)[1]
    return current.rstrip("\n") + "\n\n" + text + "\n"


def write_section(output: Path, name: str, text: str) -> None:
    """Replace only section `name` (text includes its markers); other scripts own the rest.

    The file is re-read right before writing and replaced by rename, so a reader
    never sees half a file; a concurrent writer is noticed and the write repeated.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            current = output.read_text()
        except FileNotFoundError:
            current = PREAMBLE
        temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        temporary.write_text(replace_section(current, name, text))
        with contextlib.suppress(FileNotFoundError):
            shutil.copymode(output, temporary)
        os.replace(temporary, output)
        time.sleep(0.5)
        if text in output.read_text():
            return
    raise RuntimeError(f"could not write the {name} section of {output}")
