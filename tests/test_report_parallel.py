"""Event pages rendered by forked worker processes: the same files as in one process."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from eventstudy.report import write_report
from eventstudy.report.render import PARALLEL_MIN, fork_available, worker_count
from tests.test_report import synthetic_result

needs_fork = pytest.mark.skipif(not fork_available(), reason="forked workers need Linux")


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@needs_fork
def test_parallel_pages_equal_sequential_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    res = synthetic_result(n_events=40, seed=21, hostile=True)

    def refuse(*_: object) -> None:
        raise AssertionError("the result was pickled for a worker")

    # Workers inherit the compact data by fork and receive only row positions.
    monkeypatch.setattr(type(res), "__reduce_ex__", refuse, raising=False)
    write_report(res, tmp_path / "one", workers=1)
    write_report(res, tmp_path / "two", workers=2)
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert len([k for k in one if k.startswith("events")]) == 40
    assert one == two
    assert not [k for k in two if k.endswith(".tmp")]


@needs_fork
def test_parallel_incremental_rewrite_touches_only_the_asked_pages(tmp_path: Path):
    res = synthetic_result(n_events=12, seed=22)
    out = tmp_path / "r"
    write_report(res, out, workers=2)
    inodes = {p.name: p.stat().st_ino for p in (out / "events").glob("*.html")}
    write_report(res, out, workers=2, event_ids=["E0003", "E0007"])
    now = {p.name: p.stat().st_ino for p in (out / "events").glob("*.html")}
    changed = {k for k in now if now[k] != inodes[k]}
    assert changed == {"E0003.html", "E0007.html"}


def test_worker_count(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert worker_count(None, PARALLEL_MIN) == 1  # few pages: no pool
    assert worker_count(1, 10_000) == 1
    assert worker_count(8, 3) == (3 if fork_available() else 1)
    if fork_available():
        assert worker_count(None, PARALLEL_MIN + 1) == 4
    monkeypatch.setattr(sys, "platform", "darwin")
    assert worker_count(None, 10_000) == 1  # no fork: pages are written in this process


@needs_fork
def test_a_failing_worker_raises_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import eventstudy.report.event_page as event_page

    res = synthetic_result(n_events=10, seed=23)
    real = event_page.event_context

    def broken(book, i, fj):
        if book.ids[i] == "E0006":
            raise RuntimeError("boom")
        return real(book, i, fj)

    monkeypatch.setattr(event_page, "event_context", broken)
    with pytest.raises(RuntimeError, match="boom"):
        write_report(res, tmp_path / "r", workers=2)
    assert not [p for p in (tmp_path / "r").rglob("*.tmp")]
