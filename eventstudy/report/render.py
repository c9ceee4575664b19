"""Writing the event pages: in this process, or in forked worker processes when there are many.

With more than :data:`PARALLEL_MIN` pages (and more than one CPU) the pages
are rendered by a :class:`concurrent.futures.ProcessPoolExecutor` whose
workers are forked from this process: they inherit the compact per-event data
(the :class:`~eventstudy.report.book.ReportBook`, already computed) and the
compiled template, and receive only lists of row positions. Each worker
writes its pages itself, each atomically (:func:`eventstudy.report.write_file`).
Rendering is deterministic, so the files are byte-identical to the
sequential path's. Without ``fork`` (Windows, macOS) pages are written here.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from eventstudy.report.event_page import EventPages

logger = logging.getLogger(__name__)

#: Fewer pages than this are written in this process (a pool costs ~0.1 s to start).
PARALLEL_MIN = 200
CHUNKS_PER_WORKER = 8


@dataclass(frozen=True)
class _Job:
    pages: EventPages
    targets: Sequence[tuple[int, Path]]


_JOB: _Job | None = None  # set before the workers fork; they read it, never receive it


def _write(pages: EventPages, targets: Sequence[tuple[int, Path]]) -> None:
    from eventstudy.report import write_file

    for i, path in targets:
        write_file(path, pages.render(i), flush=False)


def _run_chunk(lo: int, hi: int) -> tuple[int, float]:
    """Worker: write pages ``lo:hi`` of the inherited job; ``(pages, CPU seconds)``."""
    job = _JOB
    if job is None:  # pragma: no cover - only without fork
        raise RuntimeError("no report job in this worker (the pool must fork)")
    c0 = time.process_time()
    _write(job.pages, job.targets[lo:hi])
    return hi - lo, time.process_time() - c0


def fork_available() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def worker_count(workers: int | None, n_pages: int) -> int:
    """Processes to use: ``workers`` if given, else all CPUs for more than PARALLEL_MIN pages."""
    if workers is None:
        workers = (os.cpu_count() or 1) if n_pages > PARALLEL_MIN else 1
    workers = max(1, min(int(workers), n_pages))
    return workers if workers > 1 and fork_available() else 1


def write_pages(
    pages: EventPages, targets: Sequence[tuple[int, Path]], workers: int | None = None
) -> int:
    """Write the page of each ``(row position, path)``; return how many processes wrote them."""
    n = worker_count(workers, len(targets))
    if n <= 1:
        _write(pages, targets)
        return 1
    global _JOB
    size = max(1, -(-len(targets) // (n * CHUNKS_PER_WORKER)))
    bounds = [(lo, min(lo + size, len(targets))) for lo in range(0, len(targets), size)]
    _JOB = _Job(pages, targets)
    try:
        with ProcessPoolExecutor(
            max_workers=n, mp_context=multiprocessing.get_context("fork")
        ) as pool:
            futures = [pool.submit(_run_chunk, lo, hi) for lo, hi in bounds]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in done if f.exception() is not None]
            if failed:
                for f in futures:
                    f.cancel()
                raise failed[0].exception()  # type: ignore[misc]
            cpu = sum(f.result()[1] for f in futures)
    finally:
        _JOB = None
    logger.debug(
        "report: %d event pages in %d processes (%.2f s CPU in the workers)", len(targets), n, cpu
    )
    return n
