"""Long buy-and-hold windows (``bhar_windows``, ``--bhar-window``) beyond the event window."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from click.testing import CliRunner

import eventstudy as es
from eventstudy.cli import main
from eventstudy.errors import SettingsError
from tests.real_data import NO_YAHOO, YAHOO, daily_returns, yahoo_long


def _synthetic() -> pd.DataFrame:
    import exchange_calendars as xcals

    days = xcals.get_calendar("XNYS", start="2014-01-01").sessions_in_range(
        "2015-01-02", "2019-12-31"
    )
    rng = np.random.default_rng(9)
    rm = 0.0003 + 0.01 * rng.standard_normal(len(days))
    frames = [
        pd.DataFrame({"date": days, "ticker": "^GSPC", "adj_close": 100 * np.cumprod(1 + rm)})
    ]
    for k, t in enumerate(("A", "B")):
        r = (0.8 + 0.3 * k) * rm + 0.014 * rng.standard_t(5, len(days))
        frames.append(
            pd.DataFrame({"date": days, "ticker": t, "adj_close": 30 * np.cumprod(1 + r)})
        )
    return pd.concat(frames, ignore_index=True)


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": ["A", "B", "A", "B"],
            "date": ["2016-05-02", "2017-02-01", "2018-03-01", "2019-11-01"],
        }
    )


@pytest.mark.parametrize("model", ["market", "constant_mean", "market_adjusted"])
def test_long_windows_inside_the_event_window_equal_the_car_window_path(model):
    long = _synthetic()
    a = es.EventStudy(_events(), model=model, bhar_windows=[(0, 5), (-3, 7)]).run(prices=long)
    b = es.EventStudy(_events(), model=model, car_windows=[(0, 5), (-3, 7)]).run(prices=long)
    pair = list(zip(a.bhar["start"], a.bhar["end"], strict=True))
    got = a.bhar[[w in {(0, 5), (-3, 7)} for w in pair]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, b.bhar, check_exact=False, rtol=1e-13, atol=1e-15)
    assert len(got) == 8


def test_a_window_past_the_last_price_leaves_the_event_out_and_n_says_so():
    res = es.EventStudy(_events(), bhar_windows=[(0, 60)]).run(prices=_synthetic())
    long = res.bhar[res.bhar["end"] == 60]
    # the 2019-11-01 event has fewer than 60 sessions of prices after day 0
    assert set(long["event_id"]) == {"A_2016-05-02", "B_2017-02-01", "A_2018-03-01"}
    tests = res.bhar_tests
    assert tests.loc[tests["end"] == 60, "n"].tolist() == [3, 3]


def test_bad_bhar_windows_are_refused_with_the_fix():
    with pytest.raises(SettingsError, match="overlaps the estimation window"):
        es.EventStudy(_events(), bhar_windows=[(-20, 5)])
    with pytest.raises(SettingsError, match="starts after it ends"):
        es.EventStudy(_events(), bhar_windows=[(5, 0)])
    with pytest.raises(SettingsError, match="longer than"):
        es.EventStudy(_events(), bhar_windows=[(0, 5000)])


def test_cli_bhar_window_adds_rows_to_bhar_csv(tmp_path):
    prices = tmp_path / "p.csv"
    _synthetic().to_csv(prices, index=False)
    events = tmp_path / "ev.csv"
    _events().to_csv(events, index=False)
    out = tmp_path / "out"
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(events),
            "--prices",
            str(prices),
            "--bhar-window",
            "0",
            "40",
            "--format",
            "csv",
            "--out",
            str(out),
            "-q",
        ],
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "bhar.csv")
    assert (table["end"] == 40).sum() == 4
    assert (pd.read_csv(out / "bhar_tests.csv")["end"] == 40).sum() == 2


@pytest.mark.skipif(not YAHOO.is_dir(), reason=NO_YAHOO)
def test_long_bhar_on_real_prices_equals_a_plain_computation():
    long = yahoo_long(("MSFT", "NVDA", "AAPL", "SPY"))
    events = pd.DataFrame(
        {
            "ticker": ["MSFT", "NVDA", "AAPL", "MSFT"],
            "date": ["2019-07-22", "2023-05-25", "2020-08-31", "2025-09-12"],
            "timing": "during_market",
            "benchmark": "SPY",
        }
    )
    windows = [(0, 60), (0, 250), (1, 120)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = es.EventStudy(events, bhar_windows=windows).run(prices=long)
    rets = daily_returns(long)
    seen = 0
    for ev in res.events.itertuples():
        i = rets.index.get_loc(pd.Timestamp(ev.day0))
        est = rets.iloc[i - 250 : i - 10]
        fit = sm.OLS(est[ev.ticker].to_numpy(), sm.add_constant(est["SPY"].to_numpy())).fit()
        alpha, beta = fit.params
        for a, b in windows:
            row = res.bhar[
                (res.bhar["event_id"] == ev.event_id)
                & (res.bhar["end"] == b)
                & (res.bhar["start"] == a)
            ]
            win = rets.iloc[i + a : i + b + 1]
            if i + b >= len(rets):
                assert row.empty  # not enough sessions after day 0 yet
                continue
            r, m = win[ev.ticker].to_numpy(), win["SPY"].to_numpy()
            bh = np.prod(1 + r) - 1
            assert row["bh_return"].iloc[0] == pytest.approx(bh, rel=1e-10)
            assert row["bhar"].iloc[0] == pytest.approx(
                bh - (np.prod(1 + alpha + beta * m) - 1), abs=1e-10
            )
            assert row["bhar_benchmark"].iloc[0] == pytest.approx(
                bh - (np.prod(1 + m) - 1), abs=1e-10
            )
            seen += 1
    assert seen == 11  # MSFT 2025-09-12 has no 250 sessions after it in the file
