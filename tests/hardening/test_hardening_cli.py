"""Fuzzing the command-line options: any value of any option of ``run``,
``placebo`` and ``batch --dry-run`` ends in a result or a clear message with
exit 2 (1 only for events that failed), never a traceback or "unexpected"."""

from __future__ import annotations

import contextlib

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstudy.cli import main
from tests.conftest import SAMPLE_PRICES

ONE_EVENT = "event_id,ticker,date,timing\nmsft-openai,MSFT,2025-09-11,after_close\n"
#: Options whose value is fixed by the harness (where to read and write, how to talk).
FIXED = {"out", "prices", "offline", "cache", "debug", "quiet", "verbose", "help", "cdn"}
#: Placebo's cluster options start Dask (a scheduler address would be dialled).
FIXED |= {"scheduler", "workers", "trials"}
#: Values that reach deep code paths: plausible, boundary, hostile.
SPECIAL = [
    "",
    " ",
    "0",
    "1",
    "-1",
    "2",
    "3",
    "-250",
    "1e20",
    "nan",
    "inf",
    "-inf",
    "1e-320",
    "99999999999999999999999",
    "-9223372036854775809",
    "market",
    "csv",
    "html,csv",
    "csv,csv,parquet",
    "car ~ 1",
    "car ~ nonexistent",
    "cluster:date",
    "cluster:",
    "ticker",
    "^GSPC",
    "MSFT",
    "=HYPERLINK(1)",
    "\x1b[31mred",
    "../../../etc/passwd",
    "x" * 5000,
]
RUN = ["run", "--prices", str(SAMPLE_PRICES), "-q"]
PLACEBO = ["placebo", "--prices", str(SAMPLE_PRICES), "-q", "--trials", "3"]
VALUES = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=20),
).map(lambda v: v.replace("\x00", ""))  # argv cannot hold NUL (files can: other suites)


def _options(command: click.Command) -> list[click.Option]:
    return [
        p
        for p in command.params
        if isinstance(p, click.Option) and p.name not in FIXED and not p.hidden
    ]


@st.composite
def option_args(draw, command: click.Command) -> list[str]:
    args: list[str] = []
    for opt in draw(st.lists(st.sampled_from(_options(command)), min_size=1, max_size=3)):
        args.append(opt.opts[0])
        if not opt.is_flag:
            args += [draw(VALUES) for _ in range(max(1, opt.nargs))]
    return args


def _check(r) -> None:
    text = r.output
    assert r.exit_code in (0, 1, 2), (r.exit_code, text[-2000:])
    assert "Traceback" not in text and "unexpected" not in text, text[-2000:]
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "\x1b" not in text  # control characters shown escaped
    assert "Warning:" not in text, text[-2000:]  # third-party warnings go to the log


@pytest.fixture(scope="module")
def one_event(tmp_path_factory):
    """A one-event study; limits lowered so a drawn trial count stays quick (the
    limits themselves are what is checked)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("EVENTSTUDY_LIMIT_PLACEBO_TRIALS", "20")
    mp.setenv("EVENTSTUDY_LIMIT_BOOTSTRAP_REPS", "5000")
    folder = tmp_path_factory.mktemp("cli-fuzz")
    (folder / "events.csv").write_text(ONE_EVENT)
    yield folder
    mp.undo()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=option_args(main.commands["run"]))
def test_fuzzed_run_options(one_event, args):
    out = one_event / "out"
    runner = CliRunner()
    with contextlib.chdir(one_event):  # relative paths land here
        r = runner.invoke(
            main,
            [*RUN, str(one_event / "events.csv"), "--out", str(out), "--format", "csv", *args],
        )
    _check(r)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=option_args(main.commands["placebo"]))
def test_fuzzed_placebo_options(one_event, args):
    runner = CliRunner()
    with contextlib.chdir(one_event):  # relative paths land here
        r = runner.invoke(
            main,
            [*PLACEBO, str(one_event / "events.csv"), "--out", str(one_event / "p"), *args],
        )
    _check(r)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(args=option_args(main.commands["batch"]))
def test_fuzzed_batch_options(one_event, args):
    cfg = one_event / "b.toml"
    cfg.write_text(
        f'[studies.s]\nevents = "{one_event / "events.csv"}"\nprices = "{SAMPLE_PRICES}"\n'
        f'output = "{one_event / "batch-out"}"\n'
    )
    runner = CliRunner()
    with contextlib.chdir(one_event):  # relative paths land here
        r = runner.invoke(main, ["batch", str(cfg), "--dry-run", *args])
    _check(r)
