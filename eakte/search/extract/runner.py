"""Text extraction in a child process, so one document cannot take the worker down.

A PDF that makes PDFium spin, a decompression bomb or an enormous scan would
otherwise hang or exhaust the process that also serves requests or drains the
indexing outbox. The child is persistent because starting one costs well over
100 ms; it is killed when it overruns the time limit and started again on the
next call. A child that a stop signal ended before it answered (systemd stops
the whole unit; the child ignores stop signals only once its interpreter is up)
raises `ExtractionInterruptedError`, so the caller hands its work back rather than
recording the document as failed. This process's own signal handlers are never
touched: a stop signal for it must never be lost.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import multiprocessing
import os
import resource
import signal
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import TracebackType

from eakte.search.extract import (
    FAILED,
    Extraction,
    ExtractionInterruptedError,
    ExtractionLimits,
    extract_text,
    load_parsers,
    ocr_available,
)

log = logging.getLogger(__name__)

_READY = "ready"
_OUT_OF_MEMORY = "out of memory"
_CRASHED = "extraction process crashed"
# Importing PDFium, Pillow and friends in a fresh interpreter, on a loaded host.
_STARTUP_SECONDS = 30.0
_JOIN_SECONDS = 5.0
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class ExtractionRunner:
    """Runs extract_text in a persistent child process so a hostile or huge document
    can neither hang the worker (time limit: the child is killed and restarted) nor
    exhaust its memory (RLIMIT_AS in the child).

    Thread-safe: calls from several threads take turns on the one child.
    `memory_bytes` caps the child's whole address space, its own ~150 MB of
    interpreter and libraries included, and is inherited by tesseract.
    """

    def __init__(
        self,
        limits: ExtractionLimits,
        *,
        timeout_seconds: float = 60.0,
        memory_bytes: int = 2 * 1024**3,
    ) -> None:
        self._limits = limits
        self._timeout_seconds = timeout_seconds
        self._memory_bytes = memory_bytes
        # The parent is multi-threaded; forking it could copy a lock held by another thread.
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._closed = False

    def extract(self, content: bytes, media_type: str, filename: str) -> Extraction:
        """Raises ExtractionInterruptedError if a stop signal ended the child meanwhile."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the extraction runner is closed")
            connection = self._running_child()
            if connection is None:
                return Extraction(FAILED, detail=_CRASHED)
            try:
                connection.send((content, media_type, filename))
                if not connection.poll(self._timeout_seconds):
                    log.warning("text extraction over its time limit: the process is replaced")
                    self._stop_child()
                    detail = f"time limit of {self._timeout_seconds:g} s exceeded"
                    return Extraction(FAILED, detail=detail)
                result: Extraction = connection.recv()
            except (EOFError, OSError):
                _raise_if_stopped(self._stop_child(gently=True))
                log.warning("the text extraction process died: it is replaced")
                return Extraction(FAILED, detail=_CRASHED)
            if result.detail == _OUT_OF_MEMORY:
                self._stop_child(gently=True)  # it is on its way out; the next call starts anew
            return result

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._stop_child(gently=True)

    def __enter__(self) -> ExtractionRunner:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _running_child(self) -> Connection | None:
        """The connection to a live, ready child, started now if need be."""
        if self._process is not None and self._process.is_alive():
            return self._connection
        self._stop_child()
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_serve,
            args=(child_end, self._limits, self._memory_bytes),
            name="eakte-extraction",
            daemon=True,  # dies with the parent's normal exit; EOF ends it otherwise
        )
        process.start()
        child_end.close()
        self._process, self._connection = process, parent_end
        # Before multiprocessing's own exit handler (atexit runs last-in first-out), which
        # would only SIGTERM the child, now ignored, and then wait for it.
        atexit.register(self.close)
        try:
            if parent_end.poll(_STARTUP_SECONDS) and parent_end.recv() == _READY:
                return parent_end
        except (EOFError, OSError):  # it ended while starting: find out why
            _raise_if_stopped(self._stop_child(gently=True))
        log.error("the text extraction process did not start")
        self._stop_child()
        return None

    def _stop_child(self, *, gently: bool = False) -> int | None:
        """End the child; its exit code if it had ended by itself (None if killed here)."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()  # an idle child reads EOF and exits
        if process is None:
            return None
        atexit.unregister(self.close)
        if gently:
            process.join(_JOIN_SECONDS)
        exitcode = process.exitcode
        if process.is_alive() and process.pid is not None:
            # The whole process group: a running tesseract must not outlive its parent.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()
        process.join()
        process.close()
        return exitcode


def _raise_if_stopped(exitcode: int | None) -> None:
    if exitcode is not None and -exitcode in _STOP_SIGNALS:
        name = signal.Signals(-exitcode).name
        raise ExtractionInterruptedError(f"the text extraction process was stopped ({name})")


def _serve(connection: Connection, limits: ExtractionLimits, memory_bytes: int) -> None:
    """The child's loop: one (content, media type, file name) in, one Extraction out."""
    # Stopping the child is the parent's business (EOF on the pipe, SIGKILL on overrun).
    # A SIGTERM or Ctrl-C meant for the whole service (systemd signals every process of
    # the unit) must not cut an extraction short: the parent finishes its batch first.
    # One that came earlier, while the interpreter started, has ended this process; the
    # parent sees why (its exit code) and hands the work back.
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    os.setpgrp()  # own process group, so a kill also reaches tesseract
    if limits.ocr is None:  # "auto": asks tesseract, before the memory limit applies
        limits = dataclasses.replace(limits, ocr=ocr_available(limits.ocr_languages))
    load_parsers()  # before "ready": the first document's time limit is for the document
    # Tesseract's OpenMP threads each reserve address space; several of them would hit
    # RLIMIT_AS on a many-core host, and parallel pages buy nothing here.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    _, hard_limit = resource.getrlimit(resource.RLIMIT_AS)
    if hard_limit != resource.RLIM_INFINITY:
        memory_bytes = min(memory_bytes, hard_limit)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, hard_limit))
    connection.send(_READY)
    while True:
        try:
            request: tuple[bytes, str, str] | None = connection.recv()
        except (EOFError, OSError):
            return  # the parent closed the pipe or died
        except MemoryError:
            request = None
            result = Extraction(FAILED, detail=_OUT_OF_MEMORY)
        else:
            assert request is not None
            result = _extract_safely(*request, limits)
            request = None  # the document is not held while waiting for the next one
        connection.send(result)
        if result.detail == _OUT_OF_MEMORY:
            return  # the heap may be too fragmented to go on: make way for a fresh child


def _extract_safely(
    content: bytes, media_type: str, filename: str, limits: ExtractionLimits
) -> Extraction:
    try:
        return extract_text(content, media_type, filename, limits)
    except MemoryError:
        return Extraction(FAILED, detail=_OUT_OF_MEMORY)
    except Exception as error:
        # A bug of ours, not a bad document; the message may quote the document.
        log.error("text extraction failed unexpectedly with %s", type(error).__name__)
        log.debug("text extraction failed", exc_info=True)
        return Extraction(FAILED, detail="unexpected extraction error")
