"""File-system faults and concurrent runs: a clear message, the right exit code, and
the previous outputs left whole (all old or all new)."""

from __future__ import annotations

import errno
import os
import shutil
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


def _as_plain_user() -> list[str]:
    """A command prefix that makes a subprocess obey file permissions like any user.

    Root bypasses permissions through capabilities (``CAP_DAC_OVERRIDE``,
    ``CAP_FOWNER``); ``setpriv`` drops them all while keeping uid 0, so the
    checks below run as a plain owner would see them, in CI (root) too.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot drop the capabilities")
    prefix = [setpriv, "--inh-caps=-all", "--bounding-set=-all", "--"]
    if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("setpriv cannot drop capabilities here (no CAP_SETPCAP)")
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", f"import eventstudy.cli; open({str(EVENTS)!r}).read()"],
        capture_output=True,
        cwd=ROOT,
    )
    if probe.returncode != 0:  # e.g. a checkout owned by another user
        pytest.skip("the checkout or Python cannot be read without root's capabilities")
    return prefix


def _needs_chown() -> None:
    if os.geteuid() != 0:
        pytest.skip("making a folder of another user needs root")


def _chown(path: Path, uid: int) -> None:
    """Give ``path`` to another user (skip where uids are not mapped, e.g. in a user
    namespace)."""
    try:
        os.chown(path, uid, uid)
    except OSError as exc:
        pytest.skip(f"cannot give a file to uid {uid} here: {exc.strerror}")


def cli_plain(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m eventstudy ARGS`` as a plain user (see :func:`_as_plain_user`)."""
    r = subprocess.run(
        [*_as_plain_user(), sys.executable, "-m", "eventstudy", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
        timeout=300,
    )
    assert "Traceback" not in r.stderr and "unexpected" not in r.stderr, r.stderr
    return r


def run_plain(tmp_path: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli_plain(
        tmp_path,
        *("run", str(EVENTS), "--prices", str(SAMPLE_PRICES), "--out", str(out), "-q"),
        *("--format", "csv", *extra),
    )


def test_a_read_only_parent_is_named_and_nothing_is_written(tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        r = run_plain(tmp_path, parent / "o")
        assert r.returncode == 2, r.stderr
        assert "permission denied" in r.stderr and str(parent) in r.stderr
        assert list(parent.iterdir()) == []
    finally:
        parent.chmod(0o755)


def test_read_only_folders_inside_the_output_are_replaced_and_leave_nothing_behind(tmp_path):
    out = tmp_path / "o"
    assert run(out, "--format", "csv").exit_code == 0
    (out / "notes").mkdir()
    (out / "notes" / "n.txt").write_text("mine")
    for folder in (out / "notes", out):
        folder.chmod(0o555)
    try:
        for model in ("constant_mean", "market"):  # the second run finds the first's folders
            r = run_plain(tmp_path, out, "--model", model)
            assert r.returncode == 0, r.stderr
            assert (out / "notes" / "n.txt").read_text() == "mine"
            assert out.stat().st_mode & 0o777 == 0o555  # the folder's mode is kept
            assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == [
                ".o.batch.lock",
                "o",
            ]
    finally:
        for folder in (out, out / "notes"):
            folder.chmod(0o755)
    import pandas as pd

    assert set(pd.read_csv(out / "events.csv")["model"].dropna()) == {"market"}


def test_another_users_folder_in_a_sticky_parent_is_refused_before_any_work(tmp_path):
    _needs_chown()
    shared = tmp_path / "tmp"
    shared.mkdir()
    out = shared / "shared"
    out.mkdir()
    (out / "index.html").write_text("theirs")
    shared.chmod(0o1777)
    out.chmod(0o1777)
    _chown(out / "index.html", 1234)
    _chown(out, 1235)
    _chown(shared, 1236)
    r = run_plain(tmp_path, out)
    assert r.returncode == 2, r.stderr
    assert "belongs to another user (uid 1235)" in r.stderr and "--out" in r.stderr
    assert (out / "index.html").read_text() == "theirs"
    assert sorted(p.name for p in out.iterdir()) == ["index.html"]
    assert not [p for p in shared.iterdir() if "staging" in p.name or "old" in p.name]


def test_another_users_file_in_my_sticky_output_is_carried_over(tmp_path):
    """A shared folder of mine (mode 1777) where a colleague left a file: the file is
    kept, the folder stays shared, and no previous outputs are left behind."""
    _needs_chown()
    out = tmp_path / "o"
    assert run(out, "--format", "csv").exit_code == 0
    (out / "colleague.txt").write_text("theirs")
    _chown(out / "colleague.txt", 1234)
    out.chmod(0o1777)
    r = run_plain(tmp_path, out, "--model", "constant_mean")
    assert r.returncode == 0, r.stderr
    assert (out / "colleague.txt").read_text() == "theirs"
    assert out.stat().st_mode & 0o7777 == 0o1777
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == [
        ".o.batch.lock",
        "o",
    ]


def test_a_batch_into_another_users_folder_exits_2(tmp_path):
    _needs_chown()
    out = tmp_path / "theirs"
    out.mkdir()
    _chown(out, 1235)
    cfg = tmp_path / "b.toml"
    cfg.write_text(
        f'[studies.s]\nevents = "{EVENTS}"\nprices = "{SAMPLE_PRICES}"\noutput = "{out}"\n'
    )
    r = cli_plain(tmp_path, "batch", str(cfg))
    assert r.returncode == 2, r.stderr + r.stdout
    assert "belongs to another user" in r.stderr + r.stdout
    assert not (out / "car.csv").exists()


@pytest.mark.parametrize("where", [".", "..", "sub/..", "project"])
def test_folders_the_swap_must_not_replace_are_refused(tmp_path, monkeypatch, where):
    """The outputs replace their folder whole: the current folder, one above it and a
    project folder (with .git) are refused before any work, naming a folder to use."""
    work = tmp_path / "work"
    (work / "project" / ".git").mkdir(parents=True)
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    before = sorted(p.name for p in work.iterdir())
    r = run(Path(where))
    assert r.exit_code == 2, r.output
    assert "replace their folder as a whole" in r.output and "study" in r.output
    assert sorted(p.name for p in work.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["work"]


def test_a_batch_output_that_is_a_project_folder_is_refused(tmp_path):
    (tmp_path / "proj" / ".git").mkdir(parents=True)
    cfg = tmp_path / "b.toml"
    cfg.write_text(
        f'[studies.s]\nevents = "{EVENTS}"\nprices = "{SAMPLE_PRICES}"\n'
        f'output = "{tmp_path / "proj"}"\n'
    )
    r = CliRunner().invoke(main, ["batch", str(cfg)])
    assert r.exit_code == 2 and "project folder" in r.output, r.output
    assert sorted(p.name for p in (tmp_path / "proj").iterdir()) == [".git"]
