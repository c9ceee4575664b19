"""Hostile input to ``eventstudy run``: every case ends in a result or one clear
message with exit code 2, never a traceback or an "unexpected" error.

Covers the classes of issue 13: wrong exit codes (huge windows, long paths,
nesting), resource bounds (limits checked before any work), output safety
(formula cells, control characters, the Content-Security-Policy) and
unvalidated input (benchmarks, hints that are themselves rejected)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstudy.cli import main
from tests.conftest import ROOT, SAMPLE_PRICES

EVENTS = ROOT / "events.csv"
HEADER = "event_id,ticker,date,time,timing,benchmark,description\n"
ROW = "e1,MSFT,2025-09-11,,after_close,^GSPC,the founding event\n"


def run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner(env=env).invoke(main, ["run", *args], catch_exceptions=False)
    assert "Traceback" not in result.output
    assert "error: unexpected" not in result.output, result.output
    return result


def _run_sample(tmp_path: Path, *extra: str, events: Path = EVENTS, env=None):
    out = tmp_path / "out"
    return run(
        str(events),
        "--prices",
        str(SAMPLE_PRICES),
        "--out",
        str(out),
        "-q",
        "--format",
        "csv",
        *extra,
        env=env,
    )


WINDOW_CASES = [
    (("--event-window", "0", str(10**20), "--car-window", "0", "0"), "sessions from day 0"),
    (("--event-window", "0", "100000000", "--car-window", "0", "0"), "sessions from day 0"),
    (("--event-window", "0", "5000", "--car-window", "0", "0"), "spans 5,001 sessions"),
    (("--estimation-window", str(-(2**63) + 1), "-11"), "sessions from day 0"),
    (("--estimation-window", str(-(10**20)), "-11"), "sessions from day 0"),
    (("--estimation-window", "-9000", "-11"), "spans 8,990 sessions"),
    (("--car-window", "-9223372036854775808", "0"), "sessions from day 0"),
]


@pytest.mark.parametrize("args,message", WINDOW_CASES)
def test_windows_beyond_the_limits_are_refused_before_any_work(tmp_path, args, message):
    r = _run_sample(tmp_path, *args)
    assert r.exit_code == 2
    assert message in r.output and "EVENTSTUDY_LIMIT_" in r.output
    assert not (tmp_path / "out").exists()  # nothing was written


def test_a_limit_can_be_raised_and_a_bad_limit_is_named(tmp_path):
    r = _run_sample(
        tmp_path,
        "--event-window",
        "0",
        "1500",
        "--car-window",
        "0",
        "0",
        env={"EVENTSTUDY_LIMIT_EVENT_WINDOW": "1"},
    )
    assert r.exit_code == 2 and "more than 1 " in r.output
    r = _run_sample(tmp_path, env={"EVENTSTUDY_LIMIT_EVENT_WINDOW": "lots"})
    assert r.exit_code == 2 and "EVENTSTUDY_LIMIT_EVENT_WINDOW='lots'" in r.output


def test_the_no_look_ahead_hint_is_itself_valid(tmp_path):
    r = _run_sample(tmp_path, "--estimation-window", "-3", "-2", "--min-estimation", "1")
    assert r.exit_code == 2
    hint = re.search(r"--estimation-window (-?\d+) (-?\d+)", r.output)
    assert hint, r.output
    a, b = int(hint.group(1)), int(hint.group(2))
    assert a <= b < -10  # the suggestion starts before it ends and ends before day -10
    r2 = _run_sample(tmp_path, "--estimation-window", str(a), str(b), "--min-estimation", "1")
    assert "must end before the event window" not in r2.output


def test_a_path_too_long_for_the_file_system_is_named(tmp_path):
    out = tmp_path / ("x" * 300)
    r = run(str(EVENTS), "--prices", str(SAMPLE_PRICES), "--out", str(out), "-q")
    assert r.exit_code == 2
    assert "the path is too long" in r.output


def test_too_many_events_and_too_large_files_are_refused_up_front(tmp_path):
    f = tmp_path / "events.csv"
    f.write_text(HEADER + "".join(ROW.replace("e1", f"e{i}") for i in range(5)))
    r = _run_sample(tmp_path, events=f, env={"EVENTSTUDY_LIMIT_EVENTS": "3"})
    assert r.exit_code == 2 and "5 events, more than one run takes" in r.output
    r = _run_sample(tmp_path, events=f, env={"EVENTSTUDY_LIMIT_EVENTS_FILE_BYTES": "100"})
    assert r.exit_code == 2 and "larger than this tool reads at once" in r.output
    r = _run_sample(tmp_path, env={"EVENTSTUDY_LIMIT_PRICE_FILE_BYTES": "1000"})
    assert r.exit_code == 2 and "price file" in r.output


def test_formula_cells_are_neutralised_in_csv_but_numbers_are_not(tmp_path):
    f = tmp_path / "events.csv"
    f.write_text(
        "event_id,ticker,date,time,timing,benchmark,description,note,size\n"
        '"=HYPERLINK(""http://x"",""y"")",MSFT,2025-09-11,,after_close,^GSPC,'
        '"@SUM(A1)","+cmd|x",-0.5\n'
    )
    r = _run_sample(tmp_path, events=f)
    assert r.exit_code == 0, r.output
    text = (tmp_path / "out" / "events.csv").read_text()
    assert "\"'=HYPERLINK(" in text and '"\'@SUM(A1)"' in text and '"\'+cmd|x"' in text
    back = pd.read_csv(tmp_path / "out" / "events.csv")
    assert float(back["size"].iloc[0]) == -0.5  # a number stays a number
    assert back["car" if "car" in back else "beta"].dtype.kind == "f"


def test_control_characters_never_reach_the_terminal(tmp_path):
    f = tmp_path / "events.csv"
    f.write_text(HEADER + "e\x1b[31mred,MSFT,2025-09-11,,after_close,^GSPC,\x1b[2Jclear\x07\n")
    out = tmp_path / "o"
    r = CliRunner().invoke(
        main, ["run", str(f), "--prices", str(SAMPLE_PRICES), "--out", str(out), "--format", "csv"]
    )
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\x07" not in r.output
    assert "\\x1b" in r.output
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "e,MS\x1b]0;owned\x07FT,2025-09-11,,after_close,^GSPC,d\n")
    r = CliRunner().invoke(main, ["run", str(bad), "--prices", str(SAMPLE_PRICES), "-q"])
    assert r.exit_code == 2 and "\x1b" not in r.output


@pytest.mark.parametrize("mode", [(), ("--self-contained",)])
def test_pages_carry_a_strict_csp_that_their_scripts_satisfy(tmp_path, mode):
    out = tmp_path / "rep"
    r = run(str(EVENTS), "--prices", str(SAMPLE_PRICES), "--out", str(out), "-q", *mode)
    assert r.exit_code == 0, r.output
    for page in [out / "index.html", *sorted((out / "events").glob("*.html"))[:3]]:
        html = page.read_text()
        csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
        assert csp, page
        policy = csp.group(1)
        assert "default-src 'none'" in policy and "connect-src 'none'" in policy
        assert "'unsafe-eval'" not in policy and "script-src 'unsafe-inline'" not in policy
        inline = re.findall(
            r"<script(?![^>]*(?:src=|application/json))[^>]*>(.*?)</script>", html, flags=re.S
        )
        for body in inline:
            digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy, "an inline script the policy blocks"
        if not mode:
            assert not inline and "script-src 'self'" in policy


@pytest.mark.parametrize("bench", [" ", "<b>x</b>", "/etc/passwd", "MS FT", "a" * 40, "\x1b[2J"])
def test_run_benchmark_is_validated_like_the_batch_config(tmp_path, bench):
    r = _run_sample(tmp_path, "--benchmark", bench)
    assert r.exit_code == 2, r.output
    assert "--benchmark" in r.output and "ticker" in r.output


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=30), min_size=7, max_size=9)
)
def test_fuzzed_event_rows_give_a_result_or_exit_2(tmp_path, cells):
    line = ",".join('"' + c.replace('"', '""') + '"' for c in cells)
    f = tmp_path / "fuzz.csv"
    f.write_bytes((HEADER + line + "\n").encode("utf-8", "surrogatepass"))
    r = CliRunner().invoke(main, ["validate", str(f)], catch_exceptions=False)
    assert r.exit_code in (0, 2), r.output
    assert "error: unexpected" not in r.output


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_random_bytes_as_events_file_exit_2(tmp_path, data):
    f = tmp_path / "bytes.csv"
    f.write_bytes(data)
    r = CliRunner().invoke(main, ["validate", str(f)], catch_exceptions=False)
    assert r.exit_code in (0, 2), r.output
    assert "error: unexpected" not in r.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bootstrap-reps", "1000000000"], "EVENTSTUDY_LIMIT_BOOTSTRAP_REPS"),
        (["--bootstrap-seed", "99999999999999999999999"], "at most 9,223,372,036,854,775,807"),
        (["--placebo", "100000000"], "EVENTSTUDY_LIMIT_PLACEBO_TRIALS"),
        (["--placebo", "2", "--placebo-seed", "-1"], "--placebo-seed must lie in 0"),
        (["--placebo", "2", "--placebo-inject", "5"], "--placebo-inject must be a return"),
    ],
)
def test_resampling_counts_and_seeds_are_bounded_before_any_work(tmp_path, args, message):
    r = _run_sample(tmp_path, *args)
    assert r.exit_code == 2 and message in r.output, r.output
    assert not (tmp_path / "out").exists()


def test_the_bootstrap_in_blocks_draws_what_one_call_draws(monkeypatch):
    import numpy as np

    from eventstudy import bootstrap

    x = np.random.default_rng(1).normal(size=37)
    idx = np.random.default_rng(5).integers(0, 37, size=(101, 37))
    monkeypatch.setattr(bootstrap, "_BLOCK_VALUES", 37 * 4 + 3)  # blocks of 4 resamples
    means, sds = bootstrap._resample_moments(np.random.default_rng(5), x, 101)
    np.testing.assert_array_equal(means, x[idx].mean(axis=1))
    np.testing.assert_array_equal(sds, x[idx].std(axis=1, ddof=1))


def test_a_regression_without_residual_degrees_of_freedom_is_named(tmp_path):
    """Found by the option fuzzing: one event and ``car ~ 1`` raised statsmodels'
    "resids must contain at least 2 elements" as an unexpected error."""
    ev = tmp_path / "one.csv"
    ev.write_text("event_id,ticker,date,timing\nmsft-openai,MSFT,2025-09-11,after_close\n")
    r = _run_sample(tmp_path, "--regress", "car ~ 1", events=ev)
    assert r.exit_code == 2, r.output
    assert "needs more events than coefficients" in r.output and "Warning" not in r.output
