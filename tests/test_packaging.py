"""Packaging a user can trust: the declared floors work and the sdist carries its suite.

``test_floors_install_together_and_pass_the_fast_tests`` pins every ``>=`` floor
of ``[project].dependencies`` and of the ``test`` extra to ``==``, installs the
project (not editable, from a copy of the source tree) into a fresh virtual
environment with those constraints, checks that pip really installed the floors
and runs a set of fast tests there. It needs the package index and skips, with
the reason, when the index cannot be reached.

``test_sdist_ships_the_suite`` builds the sdist and checks that it carries the
LICENSE and the whole test suite with its corpus and sample data.

Nothing is written into the repository: every build, environment, cache and
test run lives under pytest's ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"

# Quick tests that need no browser, run at the floors (about 30 s together);
# between them they import every runtime dependency: the engine and its
# reference (numpy, pandas, scipy, statsmodels, exchange_calendars), the price
# files and cache (pyarrow, platformdirs), Yahoo (yfinance), the CLI (click,
# rich), the report (jinja2, markupsafe, plotly), properties (hypothesis).
FAST_TESTS = [
    "tests/test_golden.py",
    "tests/test_events.py",
    "tests/test_engine_tables.py",
    "tests/test_cli.py",
    "tests/test_report.py",
    "tests/test_files_provider.py",
    "tests/test_yahoo.py",
    "tests/test_quality.py",
    "tests/test_readme.py",
]

# Top-level entries of the checkout that are not source (environments, builds,
# outputs); caches are left out at every level.
_NOT_SOURCE_TOP = {".git", ".venv", "venv", "build", "dist", "reports"}
_NOT_SOURCE_ANYWHERE = {
    "__pycache__",
    ".pytest_cache",
    ".hypothesis",
    ".mypy_cache",
    ".ruff_cache",
    ".DS_Store",
}

# pip's words for "the index could not be reached" (as opposed to "the floor
# does not exist" or "the floors conflict", which must fail the test).
_NETWORK_ERROR = re.compile(
    r"NewConnectionError|Failed to establish a new connection|Temporary failure in name "
    r"resolution|Name or service not known|nodename nor servname|Network is unreachable|"
    r"Connection refused|ConnectTimeout|ConnectionError|Read timed out|ProxyError|"
    r"Max retries exceeded|Could not fetch URL|No route to host",
    re.IGNORECASE,
)
_PIP_QUIET = ["--disable-pip-version-check", "-q"]


def floors() -> dict[str, str]:
    """``{normalised name: lower bound}`` of the runtime dependencies and the test extra."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    found: dict[str, str] = {}
    for text in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        req = Requirement(text)
        lower = [spec.version for spec in req.specifier if spec.operator == ">="]
        assert len(lower) == 1, f"{text!r}: every dependency needs exactly one '>=' floor"
        found[canonicalize_name(req.name)] = lower[0]
    return found


def _copy_tree(dest: Path, *, package: bool = True) -> Path:
    """A copy of the checkout's source files (``package=False``: without ``eventstudy/``)."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        skip = {n for n in names if n in _NOT_SOURCE_ANYWHERE or n.endswith((".pyc", ".pyo"))}
        if Path(folder) == ROOT:
            skip |= {n for n in names if n in _NOT_SOURCE_TOP or n.endswith(".egg-info")}
            if not package:
                skip.add("eventstudy")
        return skip

    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=True)
    return dest


def _run(cmd: list[str], *, timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


def _output(proc: subprocess.CompletedProcess[str], lines: int = 60) -> str:
    text = "\n".join(
        line
        for line in (proc.stdout + proc.stderr).splitlines()
        if "is ignored: it is neither a file nor a directory" not in line
    )
    return "\n".join(text.splitlines()[-lines:])


def _skip_if_offline(proc: subprocess.CompletedProcess[str], what: str) -> None:
    """Skip, with pip's own words, when a failed pip step could not reach the index."""
    if proc.returncode == 0:
        return
    said = [
        line.strip()
        for line in (proc.stdout + proc.stderr).splitlines()
        if _NETWORK_ERROR.search(line)
    ]
    if said:
        pytest.skip(f"the package index cannot be reached ({what}); pip said: {said[0][:240]}")


def _clean_env(venv: Path | None = None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    }
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    return env


def _make_venv(venv: Path) -> tuple[str, list[str]]:
    """A fresh virtual environment: its python, and the pip command that installs into it.

    This interpreter's pip (22.3 or later) drives the new environment through
    ``--python``, which saves seeding pip into it; otherwise the venv gets its own.
    """
    python = str(venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python"))
    try:
        from importlib.metadata import version

        outer_pip = Version(version("pip")) >= Version("22.3")
    except Exception:
        outer_pip = False
    cmd = [sys.executable, "-m", "venv", *(["--without-pip"] if outer_pip else []), str(venv)]
    made = _run(cmd, timeout=300, env=_clean_env())
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtual environment here: {_output(made, 3)}")
    if outer_pip:
        return python, [sys.executable, "-m", "pip", "--python", python]
    return python, [python, "-m", "pip"]


def test_every_dependency_has_a_floor():
    found = floors()
    for needed in ("pandas", "numpy", "markupsafe", "pytest", "hypothesis"):
        assert needed in found, f"{needed} is not declared with a '>=' floor"


@pytest.mark.slow
def test_floors_install_together_and_pass_the_fast_tests(tmp_path: Path):
    requires = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["requires-python"]
    (oldest,) = (Version(s.version) for s in SpecifierSet(requires) if s.operator == ">=")
    if sys.version_info[:2] != (oldest.major, oldest.minor):
        pytest.skip(
            f"the floors are checked on the oldest supported Python, {oldest}; "
            f"this is {sys.version_info.major}.{sys.version_info.minor}"
        )

    pins = floors()
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("".join(f"{name}=={v}\n" for name, v in pins.items()))

    venv = tmp_path / "venv"
    python, pip = _make_venv(venv)
    env = _clean_env(venv)

    # Is the index there? One tiny floor, fetched for real (no cache), short timeout.
    probe_name = "filelock" if "filelock" in pins else next(iter(pins))
    try:
        probe = _run(
            [
                *pip,
                "download",
                *_PIP_QUIET,
                "--no-deps",
                "--no-cache-dir",
                "--timeout",
                "10",
                "--retries",
                "1",
                "-d",
                str(tmp_path / "probe"),
                f"{probe_name}=={pins[probe_name]}",
            ],
            timeout=120,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("the package index cannot be reached (pip download timed out)")
    _skip_if_offline(probe, f"pip download {probe_name}=={pins[probe_name]}")
    assert probe.returncode == 0, _output(probe)

    # Install from a copy of the tree (an in-tree build would leave build/ behind).
    src = _copy_tree(tmp_path / "src")
    install = _run(
        [*pip, "install", *_PIP_QUIET, "--no-compile", "-c", str(constraints), f"{src}[test]"],
        timeout=1800,
        env=env,
    )
    _skip_if_offline(install, "pip install")
    assert install.returncode == 0, _output(install)

    # Exactly the floors, and the package itself from site-packages.
    report = _run(
        [
            python,
            "-c",
            (
                "import importlib.metadata as m, importlib.util as u, json; "
                "print(json.dumps({'dists': "
                "{d.metadata['Name']: d.version for d in m.distributions()}, "
                "'origin': u.find_spec('eventstudy').origin}))"
            ),
        ],
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert report.returncode == 0, _output(report)
    seen = json.loads(report.stdout)
    installed = {canonicalize_name(n): v for n, v in seen["dists"].items()}
    wrong = {
        name: installed.get(name)
        for name, floor in pins.items()
        if name not in installed or Version(installed[name]) != Version(floor)
    }
    assert not wrong, f"installed instead of the floors {pins}: {wrong}"
    assert Path(seen["origin"]).is_relative_to(venv), seen["origin"]

    # The fast tests, from a copy of the tree without the package (so the
    # installed one is imported), with every cache under tmp_path.
    run = _copy_tree(tmp_path / "run", package=False)
    shared = ROOT.parent / "shared"
    if shared.is_dir():  # the golden example and real prices the suite reads as ../shared
        (tmp_path / "shared").symlink_to(shared, target_is_directory=True)
    env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
    tests = _run(
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(run),
            "--basetemp",
            str(tmp_path / "basetemp"),
            "-m",
            "not network and not slow",
            *FAST_TESTS,
        ],
        timeout=1200,
        env=env,
        cwd=run,
    )
    summary = tests.stdout.strip().splitlines()[-1:] or [""]
    assert tests.returncode == 0, f"the fast tests fail at the floors:\n{_output(tests, 80)}"
    assert " passed" in summary[0] and "failed" not in summary[0], _output(tests)
    shutil.rmtree(venv, ignore_errors=True)  # 600 MB; kept only when the test fails


def _setuptools_new_enough() -> bool:
    """Can this interpreter build the sdist without an isolated (downloading) build env?"""
    try:
        from importlib.metadata import version

        required = Requirement(tomllib.loads(PYPROJECT.read_text())["build-system"]["requires"][0])
        return Version(version("setuptools")) in required.specifier
    except Exception:
        return False


def test_sdist_ships_the_suite(tmp_path: Path):
    pytest.importorskip("build", reason="the 'build' package (in the test extra) is not installed")
    src = _copy_tree(tmp_path / "src")
    offline_ok = _setuptools_new_enough()
    cmd = [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist")]
    if offline_ok:
        cmd.append("--no-isolation")
    built = _run([*cmd, str(src)], timeout=600, env=_clean_env(), cwd=tmp_path)
    if not offline_ok:
        _skip_if_offline(built, "the isolated build environment needs setuptools")
    assert built.returncode == 0, _output(built)

    (sdist,) = (tmp_path / "dist").glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        members = tar.getnames()
        top = members[0].split("/")[0]
        names = {m.removeprefix(f"{top}/") for m in members if m.startswith(f"{top}/")}
        pkg_info = tar.extractfile(f"{top}/PKG-INFO").read().decode()  # type: ignore[union-attr]

    for needed in (
        "LICENSE",
        "README.md",
        "pyproject.toml",
        "events.csv",
        ".ci/run",
        "tests/conftest.py",
        "tests/corpus/events/EXPECTED.tsv",
        "tests/corpus/prices/empty_folder/README.md",
        "examples/prices/MSFT.csv",
        "examples/founding_study.ipynb",
        "eventstudy/py.typed",
        "eventstudy/report/templates/base.html",
    ):
        assert needed in names, f"{needed} is missing from {sdist.name}"
    suite = {p.relative_to(src).as_posix() for p in (src / "tests").rglob("*") if p.is_file()}
    assert suite <= names, f"test files missing from the sdist: {sorted(suite - names)}"
    junk = [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith(".venv")]
    assert not junk, junk
    assert "License-Expression: MIT" in pkg_info
    assert "License-File: LICENSE" in pkg_info
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
