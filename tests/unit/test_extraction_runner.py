"""The extraction child process: results come back, limits hold, the next call still works."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from eakte.search.extract import Extraction, ExtractionInterruptedError, ExtractionLimits
from eakte.search.extract.runner import ExtractionRunner
from tests.documents import W_NAMESPACE, make_pdf
from tests.processes import (
    ROOT,
    cpu_seconds,
    extraction_children_stopped_while_starting,
    wait_until,
)


def large_html_page() -> bytes:
    """About 28 MB of ordinary markup: seconds of parsing, far beyond a short time limit."""
    paragraph = "<div><p>Die <b>Baugenehmigung</b> f&uuml;r die Stra&szlig;e</p></div>\n"
    return (paragraph * 400_000).encode()


def docx_with_one_huge_paragraph(megabytes: int) -> bytes:
    """Within the unpacked-size limit and tiny when packed, yet one enormous text node."""
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)
    with archive, archive.open("word/document.xml", "w", force_zip64=True) as member:
        member.write(f'<w:document xmlns:w="{W_NAMESPACE}"><w:body><w:p><w:r><w:t>'.encode())
        chunk = b"Baugenehmigung " * 70_000  # about 1 MB
        for _ in range(megabytes):
            member.write(chunk)
        member.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return buffer.getvalue()


def test_extracts_through_the_child_process():
    with ExtractionRunner(ExtractionLimits()) as runner:
        pdf = runner.extract(make_pdf("Baugenehmigung für die Straße"), "application/pdf", "a.pdf")
        text = runner.extract("Änderungsbescheid".encode("cp1252"), "text/plain", "a.txt")

    assert pdf == Extraction("extracted", "Baugenehmigung für die Straße")
    assert text == Extraction("extracted", "Änderungsbescheid")


def test_a_document_over_the_time_limit_fails_and_the_next_one_works():
    limits = ExtractionLimits(max_chars=100_000_000)  # no early stop: all of the page is read
    page = large_html_page()
    with ExtractionRunner(limits, timeout_seconds=0.5) as runner:
        assert runner.extract(b"Vorab", "text/plain", "a.txt").text == "Vorab"  # child is up
        started = time.perf_counter()

        slow = runner.extract(page, "text/html", "gross.html")

        waited = time.perf_counter() - started
        after = runner.extract(b"Flurst\xfcck", "text/plain", "a.txt")

    assert slow == Extraction("failed", detail="time limit of 0.5 s exceeded")
    assert waited < 0.5 + 10  # a wall-clock limit; the margin is for a busy host
    assert after == Extraction("extracted", "Flurstück")


def test_a_document_over_the_memory_limit_fails_and_the_next_one_works():
    document = docx_with_one_huge_paragraph(150)  # 150 MB of text in 300 KB
    assert len(document) < 1024**2
    with ExtractionRunner(ExtractionLimits(), memory_bytes=320 * 1024**2) as runner:
        huge = runner.extract(document, "application/zip", "a.docx")
        after = runner.extract(b"Stra\xdfe", "text/plain", "a.txt")

    assert huge == Extraction("failed", detail="out of memory")
    assert after == Extraction("extracted", "Straße")


def test_concurrent_callers_each_get_their_own_result():
    words = [f"Bescheid {number}" for number in range(8)]
    with ExtractionRunner(ExtractionLimits()) as runner, ThreadPoolExecutor(4) as pool:
        results = list(
            pool.map(lambda word: runner.extract(word.encode(), "text/plain", "a.txt"), words)
        )

    assert [result.text for result in results] == words


def test_a_closed_runner_refuses_work():
    runner = ExtractionRunner(ExtractionLimits())
    assert runner.extract(b"Akte", "text/plain", "a.txt").status == "extracted"
    runner.close()

    with pytest.raises(RuntimeError, match="closed"):
        runner.extract(b"Akte", "text/plain", "a.txt")


@pytest.fixture
def child_stopped_while_starting(tmp_path: Path) -> Iterator[None]:
    with extraction_children_stopped_while_starting(tmp_path):
        yield


def test_a_child_stopped_by_a_signal_hands_the_work_back_instead_of_failing_it(
    child_stopped_while_starting: None,
) -> None:
    with (
        ExtractionRunner(ExtractionLimits()) as runner,
        pytest.raises(ExtractionInterruptedError, match="SIGTERM"),
    ):
        runner.extract(b"Bescheid", "text/plain", "a.txt")


def test_a_child_that_crashes_mid_extraction_still_fails_the_document() -> None:
    """Killed by anything but a stop signal (here SIGKILL, as the OOM killer does) is a
    crash the document may have caused: it is settled as failed, never retried forever."""
    limits = ExtractionLimits(max_chars=100_000_000)
    with ExtractionRunner(limits) as runner:
        assert runner.extract(b"Vorab", "text/plain", "a.txt").status == "extracted"
        child = runner._process.pid
        idle = cpu_seconds(child)

        def kill_once_busy() -> None:
            wait_until(lambda: cpu_seconds(child) > idle + 0.2, 60, "the child to be busy")
            os.kill(child, signal.SIGKILL)

        killer = threading.Thread(target=kill_once_busy)
        killer.start()
        crashed = runner.extract(large_html_page(), "text/html", "gross.html")
        killer.join()
        after = runner.extract(b"Bescheid", "text/plain", "a.txt")

    assert crashed == Extraction("failed", detail="extraction process crashed")
    assert after.text == "Bescheid"


# The caller's stop signal, sent by another thread in the very instant the extraction
# child is being started (the window is made wide and certain by the hook).
SIGTERM_WHILE_STARTING = """
import os, signal, threading
from multiprocessing import context
from eakte.search.extract import ExtractionLimits
from eakte.search.extract.runner import ExtractionRunner

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
original = context.SpawnProcess._Popen

def popen(process):
    sender = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGTERM))
    sender.start()
    sender.join()
    return original(process)

context.SpawnProcess._Popen = staticmethod(popen)
with ExtractionRunner(ExtractionLimits()) as runner:
    runner.extract(b"Bescheid", "text/plain", "a.txt")
print("stop seen" if stop.wait(10) else "stop lost", flush=True)
"""


def test_a_stop_signal_while_the_child_starts_reaches_the_caller() -> None:
    """The worker must stop when told, also in the instant it starts an extraction child."""
    result = subprocess.run(
        [sys.executable, "-c", SIGTERM_WHILE_STARTING],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "stop seen"
