"""Shared by the benchmark scripts: the machine they ran on, their section of the report,
and how a run is cut short (Ctrl-C, SIGTERM, a failure) without leaving anything behind."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
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
    "markers) when the script runs again. Other sections are left alone. The summary of "
    "the goals at the top is rebuilt from all sections whenever one is written; plots are "
    "in `benchmarks/`. `make bench` runs every benchmark, `make bench QUICK=1` a small, "
    "quick version of each.\n"
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


SUMMARY = "summary"
_GOAL = re.compile(r"<!-- goal (\{.*?\}) -->")
_SECTION = re.compile(r"^<!-- (\w+):begin -->$(.*?)^<!-- \1:end -->$", re.DOTALL | re.MULTILINE)
_DATE = re.compile(r"^- Date: (.+)$", re.MULTILINE)
# "load average 1.7, 7.1 (start, end…" or "load average 0.5 / 2.6 / 3.7 at the start, 1.2 / …"
_LOAD = re.compile(r"load average ([\d.]+)(?: / [\d.]+ / [\d.]+)?(?:,| at the start,) ([\d.]+)")


def goal_marker(benchmark: str, goal: str, measured: str, met: bool | None, scope: str = "") -> str:
    """An invisible line in a section that the summary table at the top is built from;
    `met` None: not judged (e.g. a quick run below the size the goal is stated for)."""
    fields = {"benchmark": benchmark, "goal": goal, "measured": measured, "met": met}
    if scope:
        fields["scope"] = scope
    return f"<!-- goal {json.dumps(fields, ensure_ascii=False)} -->"


def summary(document: str) -> str:
    """The summary section: every goal found in the document's sections, in their order."""
    rows = [
        "| benchmark | goal | measured | verdict | measured on | load average (start, end) |",
        "|---|---|---|---|---|---|",
    ]
    for name, body in _SECTION.findall(document):
        if name == SUMMARY:
            continue
        date = _DATE.search(body)
        load = _LOAD.search(body)
        for raw in _GOAL.findall(body):
            goal = json.loads(raw)
            met = goal.get("met")
            verdict = "not judged" if met is None else ("**met**" if met else "**missed**")
            measured = goal["measured"] + (f" ({goal['scope']})" if goal.get("scope") else "")
            rows.append(
                f"| {goal['benchmark']} | {goal['goal']} | {measured} | {verdict} "
                f"| {date.group(1) if date else '?'} "
                f"| {f'{load.group(1)}, {load.group(2)}' if load else '?'} |"
            )
    if len(rows) == 2:
        rows.append("| – | no goal recorded yet | | | | |")
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    m = machine()
    return "\n".join(
        [
            f"<!-- {SUMMARY}:begin -->",
            "## Summary of the goals",
            "",
            f"Updated {now} from the sections below (each dated; a section is only replaced "
            f"when its script runs again). Machine: {m['cpus']} CPUs ({m['cpu']}), "
            f"{m['ram']} RAM, shared with other engineers' test runs (a 1-minute load "
            "average above 2 means the benchmark got only part of the two cores), so "
            "absolute figures vary between runs by tens of percent or more; the sections "
            "report ratios against raw baselines measured in the same run. Plots are in "
            "`benchmarks/`. `make bench` runs all four (1–2 hours, bounded by the search "
            "benchmark's time limits; `make bench QUICK=1` about 12 minutes, with sizes below "
            "those some goals are stated for: those rows say not judged).",
            "",
            *rows,
            f"<!-- {SUMMARY}:end -->",
        ]
    )


def with_summary(document: str) -> str:
    """`document` with its summary section rebuilt, placed before the first other section."""
    text = summary(document)
    begin, end = f"<!-- {SUMMARY}:begin -->", f"<!-- {SUMMARY}:end -->"
    if begin in document and end in document:
        return replace_section(document, SUMMARY, text)
    first = re.search(r"^<!-- \w+:begin -->$", document, re.MULTILINE)
    if first is None:
        return document.rstrip("\n") + "\n\n" + text + "\n"
    return document[: first.start()] + text + "\n\n" + document[first.start() :]


def replace_section(current: str, name: str, text: str) -> str:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin in current and end in current:
        before, rest = current.split(begin, 1)
        return before + text + rest.split(end, 1)[1]
    return current.rstrip("\n") + "\n\n" + text + "\n"


def write_section(output: Path, name: str, text: str) -> None:
    """Replace only section `name` (text includes its markers); other scripts own the rest.
    The summary of the goals at the top is rebuilt from all sections each time.

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
        temporary.write_text(with_summary(replace_section(current, name, text)))
        with contextlib.suppress(FileNotFoundError):
            shutil.copymode(output, temporary)
        os.replace(temporary, output)
        time.sleep(0.5)
        if text in output.read_text():
            return
    raise RuntimeError(f"could not write the {name} section of {output}")


# --------------------------------------------------------------------------- shared helpers

POSTGRES_ADMIN_URL = os.environ.get(
    "EAKTE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A fresh, empty database on the local PostgreSQL; dropped afterwards whatever happens."""
    import sqlalchemy as sa

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except sa.exc.OperationalError as error:
            raise BenchError(
                f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}"
            ) from error
        try:
            yield (
                sa.engine.make_url(POSTGRES_ADMIN_URL)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def ms(seconds: float) -> str:
    return "–" if seconds != seconds else f"{seconds * 1000:.1f}"  # NaN → dash


def secs(seconds: float) -> str:
    return "–" if seconds != seconds else f"{seconds:.2f}"
