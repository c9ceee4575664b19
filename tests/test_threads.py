"""The engine's second thread: order, errors, the switch (:mod:`eventstudy.threads`)."""

from __future__ import annotations

import threading

import pytest

from eventstudy import threads
from eventstudy.threads import Worker


@pytest.mark.parametrize("enabled", [False, True])
def test_tasks_run_in_the_order_given(enabled: bool):
    seen: list[int] = []
    with Worker(enabled) as worker:
        later = [worker.submit("add", seen.append, k) for k in range(50)]
        worker.drain()
    assert seen == list(range(50))
    assert all(f.done() for f in later)
    assert worker.seconds["add"] >= 0.0


def test_threaded_tasks_run_in_one_other_thread():
    names: set[str] = set()
    with Worker(True) as worker:
        for _ in range(5):
            worker.submit("name", lambda: names.add(threading.current_thread().name))
        worker.drain()
    assert len(names) == 1 and threading.current_thread().name not in names


@pytest.mark.parametrize("enabled", [False, True])
def test_an_unread_failure_is_raised_by_drain(enabled: bool):
    def boom() -> None:
        raise ValueError("task failed")

    with Worker(enabled) as worker:
        worker.submit("boom", boom)  # its result is never asked for
        worker.submit("fine", lambda: None)
        with pytest.raises(ValueError, match="task failed"):
            worker.drain()


def test_the_switch(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(threads, "usable_cpus", lambda: 2)
    monkeypatch.delenv(threads.ENV, raising=False)
    assert threads.wanted(threads.MIN_EVENTS)
    assert not threads.wanted(threads.MIN_EVENTS - 1)  # small studies: one thread
    monkeypatch.setenv(threads.ENV, "1")
    assert not threads.wanted(10**6)
    monkeypatch.setenv(threads.ENV, "2")
    assert threads.wanted(10**6)
    monkeypatch.setattr(threads, "usable_cpus", lambda: 1)
    assert not threads.wanted(10**6)  # one CPU: no second thread


def test_a_stealable_task_not_started_runs_in_the_caller():
    gate = threading.Event()
    where: list[str] = []
    with Worker(True) as worker:
        worker.submit("block", gate.wait)  # the worker is busy until the gate opens
        later = worker.submit(
            "steal", lambda: where.append(threading.current_thread().name) or 7, stealable=True
        )
        assert worker.result(later) == 7  # ran here, without waiting for the gate
        gate.set()
        worker.drain()
    assert where == [threading.current_thread().name]
    assert "steal" not in worker.seconds  # timed by the caller, not as the worker's


def test_a_started_stealable_task_is_waited_for():
    with Worker(True) as worker:
        later = worker.submit("quick", lambda: threading.current_thread().name, stealable=True)
        worker.drain()
        assert worker.result(later) != threading.current_thread().name


def test_an_interrupt_in_an_inline_task_is_not_deferred():
    def interrupted() -> None:
        raise KeyboardInterrupt

    with Worker(False) as worker, pytest.raises(KeyboardInterrupt):
        worker.submit("ctrl-c", interrupted)  # raised here, not at drain()
