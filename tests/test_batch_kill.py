"""Batch crash safety with real processes: SIGKILL and SIGTERM mid-run, a concurrent run.

``python -m eventstudy batch`` is started with ``EVENTSTUDY_TEST_PAUSE_AFTER=<stage>``,
which makes it announce the stage on stderr and sleep there, so the kill lands
at a known point (deterministic, no racing timers).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from eventstudy.batch.staging import stage_path
from eventstudy.cli import main
from tests.conftest import ROOT
from tests.test_batch import (
    event_rows,
    normalised,
    run,
    snapshot,
    write_config,
    write_events,
    write_prices,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: The real report when it is importable (both runs use the same writer).
HTML = ("csv", "html") if importlib.util.find_spec("eventstudy.report") else ("csv",)


def start_paused(cfg: Path, stage: str) -> subprocess.Popen[str]:
    """Start ``python -m eventstudy batch cfg`` and return once it sleeps after ``stage``."""
    env = dict(os.environ)
    env["EVENTSTUDY_TEST_PAUSE_AFTER"] = stage
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-m", "eventstudy", "batch", str(cfg)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if f"paused after {stage}" in line:
            return proc
    proc.wait()
    raise AssertionError(
        f"the run never reached {stage!r} (exit {proc.returncode}):\n" + "".join(seen)
    )


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGKILL) -> int:
    proc.send_signal(sig)
    code = proc.wait(timeout=30)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    return code


def two_studies(
    tmp_path: Path, formats: tuple[str, ...] = ("csv",)
) -> tuple[Path, Path, Path, Path]:
    """Same events and prices, two output folders A and B, both after a first run.

    Then new sessions arrive (the pending event ``late`` can complete) and three
    events are appended, so the next run has real work to do.
    """
    prices = write_prices(tmp_path / "prices", end="2024-05-31")
    rows = [*event_rows(6), "late,AAA,2024-05-30,during_market,x"]
    events = write_events(tmp_path / "events.csv", rows)
    cfgs = [
        write_config(
            tmp_path / f"{n}.toml",
            events=events,
            prices=prices,
            output=tmp_path / n,
            formats=formats,
        )
        for n in ("A", "B")
    ]
    for cfg in cfgs:
        assert run(cfg).exit_code == 0
    write_prices(prices)
    write_events(events, rows + event_rows(3, start=6))
    return cfgs[0], tmp_path / "A", cfgs[1], tmp_path / "B"


@pytest.mark.parametrize(("stage", "formats"), [("tables", HTML), ("state", ("csv",))])
def test_sigkill_mid_run_then_normal_run_equals_uninterrupted_run(
    tmp_path: Path, stage: str, formats: tuple[str, ...]
):
    """Killed while writing the new outputs (``tables``: tables written, pages and state
    not yet) or with them complete but not swapped in (``state``)."""
    cfg_a, out_a, cfg_b, out_b = two_studies(tmp_path, formats)
    assert run(cfg_b).outcomes[0].outcome == "updated"  # the uninterrupted run
    before = snapshot(out_a)

    proc = start_paused(cfg_a, stage)
    assert stop(proc) == -signal.SIGKILL
    assert snapshot(out_a) == before, "the previous report and state must be intact"

    again = run(cfg_a)
    o = again.outcomes[0]
    assert (again.exit_code, o.outcome, o.new, o.pending) == (0, "updated", 3, 1)
    assert normalised(out_a) == normalised(out_b)
    assert not stage_path(out_a).exists()


def test_concurrent_run_exits_75_and_sigterm_keeps_the_previous_report(tmp_path: Path):
    cfg_a, out_a, _, _ = two_studies(tmp_path)
    before = snapshot(out_a)
    proc = start_paused(cfg_a, "tables")  # holds the lock, new tables half-way in staging
    try:
        assert stage_path(out_a).exists()
        result = CliRunner().invoke(main, ["batch", str(cfg_a)], catch_exceptions=False)
        assert result.exit_code == 75, result.output
        assert "locked" in result.stderr and "another batch run" in result.stderr
        assert snapshot(out_a) == before, "a locked run touches nothing"
    finally:
        code = stop(proc, signal.SIGTERM)
    assert code == 128 + signal.SIGTERM
    assert snapshot(out_a) == before, "SIGTERM leaves the previous report and state"
    assert not stage_path(out_a).exists(), "SIGTERM discards the staging folder"
    finished = run(cfg_a)
    assert finished.exit_code == 0 and finished.outcomes[0].new == 3
