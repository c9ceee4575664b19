"""The placebo inside a study: ``res.placebo``, ``run --placebo`` and the report section."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import eventstudy as es
from eventstudy.cli import main
from eventstudy.errors import EventStudyWarning
from eventstudy.placebo import MIN_SESSIONS, PlaceboSpec, few_session_tickers, run_placebo

TICKERS = ["S0", "S1", "S2"]


@pytest.fixture(scope="module")
def long_prices() -> pd.DataFrame:
    import exchange_calendars as xcals

    days = xcals.get_calendar("XNYS", start="2014-01-01").sessions_in_range(
        "2015-01-02", "2019-12-31"
    )
    rng = np.random.default_rng(5)
    rm = 0.0003 + 0.01 * rng.standard_normal(len(days))
    frames = [
        pd.DataFrame({"date": days, "ticker": "^GSPC", "adj_close": 100 * np.cumprod(1 + rm)})
    ]
    for k, t in enumerate(TICKERS):
        r = (0.7 + 0.2 * k) * rm + 0.015 * rng.standard_t(4, len(days))
        frames.append(
            pd.DataFrame({"date": days, "ticker": t, "adj_close": 40 * np.cumprod(1 + r)})
        )
    return pd.concat(frames, ignore_index=True)


def _events() -> pd.DataFrame:
    return pd.DataFrame({"ticker": TICKERS * 2, "date": ["2017-03-01"] * 3 + ["2018-09-04"] * 3})


def test_result_placebo_equals_the_placebo_command_and_is_in_the_report(long_prices, tmp_path):
    study = es.EventStudy(_events())
    res = study.run(prices=long_prices)
    got = res.placebo(12, seed=4, inject=0.002)
    direct = run_placebo(study, res.price_set, PlaceboSpec(trials=12, seed=4, inject=0.002))
    pd.testing.assert_frame_equal(got.table, direct.table)
    assert res.meta["placebo"]["trials"] == 12 and res.meta["placebo"]["warnings"] == []
    index = Path(res.to_html(str(tmp_path / "rep")))
    page = index.read_text(encoding="utf-8")
    assert 'id="placebo"' in page and "+0.20% added to day 0" in page
    five = got.table[(got.table["level"] == 0.05) & (got.table["statistic"] == "t_cs")]
    for r in five.itertuples():
        assert f"{100 * r.rate:.2f}%" in page  # the table shows the CSV's rates
    matrix = page[page.index('id="placebo-matrix"') : page.index("Every level (1%")]
    row = matrix[matrix.index('data-statistic="t_cs"') :]
    row = row[: row.index("</tr>")]
    assert [f"{100 * r.rate:.1f}%" for r in five.itertuples()] == [
        part.split("</span>")[0] for part in row.split('<span class="rate">')[1:]
    ]
    assert 'class="over"' not in matrix  # a power run is not flagged
    assert json.loads(json.dumps(res.meta["placebo"]))["seed"] == 4


def test_run_placebo_option_writes_placebo_csv_like_the_command(long_prices, tmp_path):
    prices = tmp_path / "prices.csv"
    long_prices.to_csv(prices, index=False)
    events = tmp_path / "ev.csv"
    _events().to_csv(events, index=False)
    run_out, cmd_out = tmp_path / "study", tmp_path / "pl"
    base = [str(events), "--prices", str(prices)]
    r = CliRunner().invoke(
        main, ["run", *base, "--placebo", "8", "--placebo-seed", "2", "--out", str(run_out), "-q"]
    )
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(
        main, ["placebo", *base, "--trials", "8", "--seed", "2", "--out", str(cmd_out), "-q"]
    )
    assert r.exit_code == 0, r.output
    a = pd.read_csv(run_out / "placebo.csv")
    b = pd.read_csv(cmd_out / "placebo.csv")
    pd.testing.assert_frame_equal(a, b)
    meta = json.loads((run_out / "run.json").read_text())["placebo"]
    assert meta["trials"] == 8 and meta["seed"] == 2
    assert "Placebo: do the tests hold their size" in (run_out / "index.html").read_text()
    without = tmp_path / "plain"
    r = CliRunner().invoke(main, ["run", *base, "--out", str(without), "-q"])
    assert not (without / "placebo.csv").exists()
    assert 'id="placebo"' not in (without / "index.html").read_text()


def test_few_possible_sessions_are_named_in_a_warning_and_the_report(long_prices, tmp_path):
    # S2's prices cover only its own windows: a few possible day-0 sessions
    s2 = long_prices[long_prices["ticker"] == "S2"]
    d = pd.DatetimeIndex(s2["date"])
    keep = (d >= pd.Timestamp("2016-02-01")) & (d <= pd.Timestamp("2017-03-20"))
    px = pd.concat([long_prices[long_prices["ticker"] != "S2"], s2[keep]], ignore_index=True)
    ev = pd.DataFrame({"ticker": TICKERS, "date": ["2017-03-01"] * 3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = es.EventStudy(ev).run(prices=px)
    with pytest.warns(EventStudyWarning, match=r"S2 \(\d+\)"):
        res.placebo(5)
    assert "S2" in res.meta["placebo"]["warnings"][0]
    page = Path(res.to_html(str(tmp_path / "rep"))).read_text(encoding="utf-8")
    assert "barely vary between trials" in page


def test_few_session_tickers_counts_candidate_sessions():
    tickers = np.array(["A", "B", "C", "D"], dtype=object)
    a = np.array([0, 5, 3, 0])
    b = np.array([0, 5 + MIN_SESSIONS - 1, 3 + MIN_SESSIONS - 2, -1])
    # A: 1 session, B: exactly MIN_SESSIONS (enough), C: one short, D: none (left out)
    assert few_session_tickers(tickers, a, b) == {"A": 1, "C": MIN_SESSIONS - 1}
