"""A second thread for the engine's independent array stages.

numpy releases the GIL inside sorts, ufunc loops and matrix products, so two
stages that share no outputs (the Corrado rank sums and the Kolari-Pynnonen
pairs, say) run on two cores at once. The numbers do not depend on it: every
task writes only its own outputs, and the worker runs its tasks one at a time
in the order they were given, so a collector filled chunk by chunk sees its
chunks in the same order as without the thread.

``EVENTSTUDY_THREADS=1`` turns the second thread off (``2``, the default, uses
it when the machine lets this process run on two CPUs or more). Studies of
fewer than :data:`MIN_EVENTS` events stay on one thread: there, a thread costs
more than it saves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

#: Events below which the engine stays on one thread.
MIN_EVENTS = 2_000
ENV = "EVENTSTUDY_THREADS"


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def wanted(n_events: int) -> bool:
    """Whether a study of ``n_events`` gets the second thread."""
    raw = os.environ.get(ENV, "").strip()
    threads = int(raw) if raw.isdigit() else 2
    return threads >= 2 and n_events >= MIN_EVENTS and usable_cpus() >= 2


class Worker:
    """Runs tasks in one background thread (``enabled``) or at once in the caller's.

    ``seconds`` holds each named task's own run time (the caller's clock cannot
    see it: it overlaps the caller's own stages).
    """

    def __init__(self, enabled: bool) -> None:
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="eventstudy") if enabled else None
        )
        self.seconds: dict[str, float] = {}
        self._given: list[Future[Any]] = []
        self._stealable: dict[Future[Any], Callable[[], Any]] = {}

    @property
    def threaded(self) -> bool:
        return self._pool is not None

    def submit(
        self, name: str, fn: Callable[..., T], *args: Any, stealable: bool = False
    ) -> Future[T]:
        """Run ``fn(*args)`` after the tasks given before it; its time is added under ``name``.

        ``stealable``: the task needs nothing from the tasks before it, so
        :meth:`result` may run it in the caller's thread if the worker has not
        started it yet (the caller would otherwise wait idle).
        """

        def task() -> T:
            t0 = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0

        if self._pool is not None:
            later = self._pool.submit(task)
        else:
            later = Future()
            try:
                later.set_result(task())
            except Exception as exc:  # handed to .result(), as the thread would
                later.set_exception(exc)  # (an interrupt or exit propagates at once)
        self._given = [f for f in self._given if not f.done() or _failed(f)]
        self._given.append(later)
        if stealable and self._pool is not None:
            self._stealable[later] = lambda: fn(*args)  # the caller's clock times it
        return later

    def result(self, later: Future[T]) -> T:
        """``later``'s result; a stealable task not started yet runs here and now."""
        task = self._stealable.pop(later, None)
        if task is not None and later.cancel():
            return task()
        return later.result()

    def drain(self) -> None:
        """Wait for every task given so far; raise the first one's error, if any failed
        (a task whose result nobody asked for must not fail unseen)."""
        given, self._given = self._given, []
        self._stealable.clear()
        for later in given:
            if not later.cancelled():  # a cancelled task was run by the caller (stolen)
                later.result()

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=kind is not None)


def _failed(later: Future[Any]) -> bool:
    return not later.cancelled() and later.exception() is not None


def inline() -> Worker:
    """A worker that runs everything at once in the caller's thread."""
    return Worker(enabled=False)
