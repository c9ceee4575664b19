"""File-system faults and concurrent runs: a clear message, the right exit code, and
the previous outputs left whole (all old or all new)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from eventstudy.cli import main
from tests.conftest import ROOT, SAMPLE_PRICES

EVENTS = ROOT / "events.csv"


def run(out: Path, *extra: str):
    r = CliRunner().invoke(
        main,
        ["run", str(EVENTS), "--prices", str(SAMPLE_PRICES), "--out", str(out), "-q", *extra],
        catch_exceptions=False,
    )
    assert "Traceback" not in r.output and "error: unexpected" not in r.output, r.output
    return r


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.mark.parametrize("stage", ["tables", "html"])
def test_a_full_disk_mid_run_leaves_the_previous_outputs_whole(tmp_path, monkeypatch, stage):
    out = tmp_path / "o"
    assert run(out, "--model", "market").exit_code == 0
    before = _snapshot(out)
    import eventstudy.output as output
    import eventstudy.report as report

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "x"))

    if stage == "tables":
        calls = {"n": 0}
        real = output.write_csv

        def later(df, path):  # a few tables get written, then the disk fills
            calls["n"] += 1
            if calls["n"] > 3:
                full()
            real(df, path)

        monkeypatch.setattr(output, "write_csv", later)
    else:
        monkeypatch.setattr(report, "write_report", full)
    r = run(out, "--model", "constant_mean")
    assert r.exit_code == 74 and "the disk is full" in r.output
    assert _snapshot(out) == before  # every file as it was: all old
    assert not [p for p in tmp_path.iterdir() if "staging" in p.name]


def test_a_second_run_into_a_locked_folder_exits_75_and_changes_nothing(tmp_path):
    import filelock

    from eventstudy.batch.staging import lock_path

    out = tmp_path / "o"
    assert run(out).exit_code == 0
    before = _snapshot(out)
    with filelock.FileLock(str(lock_path(out)), timeout=0):
        r = run(out, "--model", "constant_mean")
    assert r.exit_code == 75 and "another eventstudy run is writing" in r.output
    assert _snapshot(out) == before


def test_concurrent_runs_with_different_models_never_mix(tmp_path):
    """Five processes into one --out: each either wins the lock or exits 75; the folder
    holds one run's tables and run.json, never a mix."""
    out = tmp_path / "o"
    models = ["market", "constant_mean", "market_adjusted", "dimson", "scholes_williams"]
    cmd = [sys.executable, "-m", "eventstudy", "run", str(EVENTS), "--prices", str(SAMPLE_PRICES)]
    procs = [
        subprocess.Popen(
            [*cmd, "--out", str(out), "-q", "--format", "csv", "--model", m],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        for m in models
    ]
    codes = [p.wait(timeout=300) for p in procs]
    assert set(codes) <= {0, 75} and 0 in codes, codes
    import json

    import pandas as pd

    meta = json.loads((out / "run.json").read_text())
    model = meta["settings"]["model"]
    events = pd.read_csv(out / "events.csv")
    assert set(events["model"].dropna()) == {model}


def test_symlinks_and_fifos_in_the_output_are_never_followed(tmp_path):
    out = tmp_path / "o"
    assert run(out).exit_code == 0
    secret = tmp_path / "outside.txt"
    secret.write_text("keep me")
    (out / "car.csv").unlink()
    (out / "car.csv").symlink_to(secret)  # a table replaced by a link out of the folder
    (out / "notes-link").symlink_to(secret)
    (out / "loop").symlink_to(out / "loop")
    (out / "dirlink").symlink_to(tmp_path)
    os.mkfifo(out / "pipe")
    r = run(out)
    assert r.exit_code == 0, r.output
    assert secret.read_text() == "keep me"
    assert (out / "car.csv").is_file() and not (out / "car.csv").is_symlink()
    assert not (out / "notes-link").exists() and not (out / "dirlink").exists()
    assert not any(p.name == "outside.txt" for p in out.rglob("*"))


def test_paths_that_cannot_be_used_are_named_with_exit_2(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = run(f)
    assert r.exit_code == 2 and "is a file, not a folder" in r.output
    r = run(f / "sub")
    assert r.exit_code == 2 and str(f) in r.output
    from eventstudy.batch.staging import lock_path

    out = tmp_path / "o"
    lock_path(out).mkdir(parents=True)  # the lock path is a folder
    r = run(out)
    assert r.exit_code == 2 and "file system error" in r.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_output_folder_is_named(tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        r = run(parent / "o")
        assert r.exit_code == 2 and "permission denied" in r.output
    finally:
        parent.chmod(0o755)
