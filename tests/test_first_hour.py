"""What a new user sees in the first hour (issue 8): the sample study runs from the
bundled files, warnings name the events, ``-q`` still names failures, the default
output layout, the plain-words sentences and clear errors instead of empty charts."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import eventstudy as es
from eventstudy.cli import default_out_dir, main
from eventstudy.errors import DuplicateEventWarning
from tests.conftest import ROOT, SAMPLE_PRICES


def invoke(*args: str, cwd: Path | None = None):
    runner = CliRunner(env={"COLUMNS": "200"})
    if cwd is None:
        return runner.invoke(main, list(args), catch_exceptions=False)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def test_sample_study_runs_from_the_bundled_files(tmp_path: Path):
    """The README's first command, minus the install: every sample event ok, exit 0."""
    work = tmp_path / "clone"
    work.mkdir()
    shutil.copy(ROOT / "events.csv", work / "events.csv")
    shutil.copytree(SAMPLE_PRICES, work / "examples" / "prices")
    result = invoke("run", "events.csv", "--prices", "examples/prices", cwd=work)
    assert result.exit_code == 0, result.output
    out = work / "reports" / "study"
    events = pd.read_csv(out / "events.csv")
    assert len(events) == 10 and (events["status"] == "ok").all()
    assert (out / "index.html").is_file()
    assert len(list((out / "events").glob("*.html"))) == 10
    assert list((out / "assets").glob("plotly-*.min.js"))  # opens offline
    meta = json.loads((out / "run.json").read_text())
    assert "examples/prices" in meta["data_source"]
    founding = events.set_index("event_id").loc["msft-openai-mou-2025"]
    assert founding["day0"] == "2025-09-12"
    assert "Across 10 events, the average abnormal return on day 0 was" in result.output


def test_every_sample_price_file_is_documented():
    sources = (SAMPLE_PRICES / "SOURCES.md").read_text()
    for path in SAMPLE_PRICES.glob("*.csv"):
        assert f"`{path.name}`" in sources, path.name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("events.csv", "reports/study"),
        ("Events.CSV", "reports/study"),
        ("msft_deals.csv", "reports/msft_deals"),
        ("my deals.csv", "reports/my_deals"),
    ],
)
def test_default_output_folder_reads_well(name: str, expected: str):
    assert default_out_dir(Path("/data") / name) == Path(expected)


def _duplicate_events(tmp_path: Path) -> Path:
    path = tmp_path / "dupes.csv"
    path.write_text(
        "event_id,ticker,date,timing\n"
        "thu,MSFT,2025-09-11,after_close\n"
        "fri-eve,MSFT,2025-09-11,amc\n"
        "aapl,AAPL,2025-09-11,after_close\n"
    )
    return path


def test_duplicate_events_are_named_in_validate_run_and_report(tmp_path: Path):
    events = _duplicate_events(tmp_path)
    checked = invoke("validate", str(events))
    assert checked.exit_code == 0
    assert "1 warning" in checked.output
    assert re.search(r"warning: MSFT day 0 2025-09-12: events 'thu', 'fri-eve'", checked.stderr)
    out = tmp_path / "out"
    ran = invoke("run", str(events), "--prices", str(SAMPLE_PRICES), "--out", str(out))
    assert ran.exit_code == 0, ran.output
    assert ran.stderr.count("warning: MSFT day 0 2025-09-12") == 1
    meta = json.loads((out / "run.json").read_text())
    assert meta["duplicate_events"] == [["thu", "fri-eve"]]
    index = (out / "index.html").read_text()
    assert "events &#39;thu&#39;, &#39;fri-eve&#39; share a ticker and day 0" in index
    page = (out / "events" / "thu.html").read_text()
    assert "Same ticker and day 0 as fri-eve" in page
    # Both are kept: the warning says it, nothing is dropped.
    assert len(pd.read_csv(out / "events.csv")) == 3


def test_duplicate_events_warn_in_python(tmp_path: Path):
    with pytest.warns(DuplicateEventWarning, match="'thu', 'fri-eve'"):
        es.EventStudy.from_csv(_duplicate_events(tmp_path))


def test_quiet_run_still_names_failed_events(tmp_path: Path):
    events = tmp_path / "e.csv"
    events.write_text(
        "event_id,ticker,date,timing\n"
        "ok1,MSFT,2025-09-11,after_close\nnope,ZZZZ,2025-09-11,after_close\n"
    )
    result = invoke(
        "run", str(events), "--prices", str(SAMPLE_PRICES), "--out", str(tmp_path / "o"), "-q"
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert re.search(r"^failed: nope: no prices for 'ZZZZ'", result.stderr, flags=re.M)
    assert "ok1" not in result.stderr


@pytest.fixture(scope="module")
def sample_result() -> es.StudyResult:
    return es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)


def test_sentences_are_derived_from_the_numbers(sample_result: es.StudyResult):
    from eventstudy.wording import result_event_sentence, result_study_sentence

    res = sample_result
    car = res.car.set_index(["event_id", "start", "end"])
    for eid in res.events["event_id"]:
        row = car.loc[(eid, 0, 0)]
        text = result_event_sentence(res, eid)
        assert f"{100 * row['car']:+.2f}%" in text
        assert f"t = {row['t']:.2f}" in text
        assert ("not significant at 5%" in text) == (row["p_value"] >= 0.05)
    assert result_event_sentence(res, "msft-openai-mou-2025") == (
        "MSFT's abnormal return on 2025-09-12 was +1.80% (t = 1.67, p = 0.095): not "
        "significant at 5%; a move this size happens about one day in ten for MSFT. "
        "Against MSFT's own estimation-window moves (sample-quantile test, no normality "
        "assumed): p = 0.067."
    )
    t = res.tests[(res.tests["start"] == 0) & (res.tests["end"] == 0)].set_index("statistic")
    study = result_study_sentence(res)
    assert "Across 10 events" in study and f"{100 * t.loc['t_cs', 'caar']:+.2f}%" in study
    assert f"{int((t['p_value'] < 0.05).sum())} of {len(t)} tests reject" in study
    assert study in str(res.summary())


def test_plot_event_on_a_failed_event_is_a_clear_error(tmp_path: Path):
    events = pd.DataFrame(
        {
            "event_id": ["good", "bad"],
            "ticker": ["MSFT", "ZZZZ"],
            "date": ["2025-09-11"] * 2,
            "timing": ["after_close"] * 2,
        }
    )
    res = es.EventStudy(events).run(prices=SAMPLE_PRICES)
    with pytest.raises(ValueError, match=r"'bad' has no abnormal returns to plot: it is failed"):
        res.plot_event("bad")
    with pytest.raises(KeyError, match="no event 'nobody'"):
        res.plot_event("nobody")
    assert res.plot_event("good").data


def test_one_event_says_why_there_are_no_tests(tmp_path: Path):
    events = pd.DataFrame(
        {"event_id": ["mou"], "ticker": ["MSFT"], "date": ["2025-09-11"], "timing": ["after_close"]}
    )
    res = es.EventStudy(events).run(prices=SAMPLE_PRICES)
    assert "No cross-sectional test" in str(res.summary())
    assert str(res.summary()).count("MSFT's abnormal return on 2025-09-12") == 1
    index = Path(res.to_html(str(tmp_path / "one"))).read_text()
    assert 'id="tests-note"' in index and "fewer than 2 events with a CAR (N = 1)" in index
    assert "MSFT&#39;s abnormal return on 2025-09-12 was +1.80%" in index
    result = invoke(
        "run",
        str(_one(tmp_path)),
        "--prices",
        str(SAMPLE_PRICES),
        "--out",
        str(tmp_path / "cli"),
        "--format",
        "csv",
    )
    assert result.exit_code == 0
    assert "No cross-sectional test" in result.output
    assert "Cross-sectional tests: statistic" not in result.output


def _one(tmp_path: Path) -> Path:
    path = tmp_path / "one.csv"
    path.write_text("event_id,ticker,date,timing\nmou,MSFT,2025-09-11,after_close\n")
    return path


def test_other_warnings_go_to_the_log_once(caplog):
    """A third-party warning inside a run (statsmodels, numpy) goes to the log once
    (``-v`` shows it), not to stderr as a Python warning, and is not recorded forever.

    Re-emitting inside the recording context fed the loop its own output (CI
    ran out of memory on the first pandas deprecation warning).
    """
    import logging
    import warnings

    from eventstudy.cli import _warnings_to_stderr
    from eventstudy.errors import EventStudyWarning

    with (
        caplog.at_level(logging.INFO, logger="eventstudy"),
        warnings.catch_warnings(record=True) as outer,
    ):
        warnings.simplefilter("always")
        with _warnings_to_stderr(quiet=True):
            warnings.warn("from a library", DeprecationWarning, stacklevel=1)
            warnings.warn("from the tool", EventStudyWarning, stacklevel=1)
    assert [str(w.message) for w in outer] == []
    logged = [r.getMessage() for r in caplog.records if "from a library" in r.getMessage()]
    assert len(logged) == 1 and "DeprecationWarning" in logged[0]
