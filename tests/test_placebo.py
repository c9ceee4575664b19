"""Placebo studies: pseudo-events on the user's own securities, size and power."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

import eventstudy as es
from eventstudy.cli import main
from eventstudy.errors import SettingsError
from eventstudy.placebo import PlaceboSpec, _clopper_pearson, draw_events, run_placebo
from eventstudy.study import fetch_prices, resolve_provider

TICKERS = [f"S{k}" for k in range(8)]


@pytest.fixture(scope="module")
def null_prices() -> pd.DataFrame:
    """Market-model prices with normal shocks: nothing abnormal ever happens."""
    import exchange_calendars as xcals

    days = xcals.get_calendar("XNYS", start="2014-01-01").sessions_in_range(
        "2015-01-02", "2020-12-31"
    )
    rng = np.random.default_rng(11)
    rm = 0.0004 + 0.01 * rng.standard_normal(len(days))
    frames = [
        pd.DataFrame({"date": days, "ticker": "^GSPC", "adj_close": 100 * np.cumprod(1 + rm)})
    ]
    for k, t in enumerate(TICKERS):
        r = 0.0002 + (0.6 + 0.1 * k) * rm + 0.015 * rng.standard_normal(len(days))
        frames.append(
            pd.DataFrame({"date": days, "ticker": t, "adj_close": 50 * np.cumprod(1 + r)})
        )
    return pd.concat(frames, ignore_index=True)


def _study(n_per: int = 2) -> es.EventStudy:
    dates = ["2017-03-01", "2019-06-03"][:n_per]
    ev = pd.DataFrame(
        {"ticker": np.repeat(TICKERS, len(dates)), "date": np.tile(dates, len(TICKERS))}
    )
    return es.EventStudy(ev)


def _prices(study: es.EventStudy, long: pd.DataFrame):
    return fetch_prices(resolve_provider(long), study.date_ranges())


def test_same_seed_same_table_and_every_pseudo_event_fits(null_prices):
    study = _study()
    prices = _prices(study, null_prices)
    a = run_placebo(study, prices, PlaceboSpec(trials=6, seed=3))
    b = run_placebo(study, prices, PlaceboSpec(trials=6, seed=3))
    c = run_placebo(study, prices, PlaceboSpec(trials=6, seed=4))
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table["rate"].equals(c.table["rate"]) or not a.table.equals(c.table)
    assert a.meta["events_per_trial_min"] == len(study.events)  # complete data: all ok
    assert a.meta["seed"] == 3 and a.meta["trials"] == 6


def test_draws_keep_securities_and_cluster_puts_a_trial_on_one_day(null_prices):
    from eventstudy import event_time

    study = _study()
    prices = _prices(study, null_prices)
    plain = draw_events(
        study.events, prices, study.settings, PlaceboSpec(5, 1), event_time.sessions
    )
    assert sorted(plain["trial"].unique()) == list(range(5))
    for _, f in plain.groupby("trial"):
        assert sorted(f["ticker"]) == sorted(study.events["ticker"])
    clustered = draw_events(
        study.events, prices, study.settings, PlaceboSpec(5, 1, cluster=True), event_time.sessions
    )
    assert (clustered.groupby("trial")["date"].nunique() == 1).all()
    assert clustered.groupby("trial")["date"].first().nunique() > 1  # a new day per trial
    sessions = event_time.sessions("XNYS")
    assert pd.DatetimeIndex(plain["date"]).isin(sessions).all()
    # every drawn day 0 leaves the whole estimation and event window inside the data
    pos = sessions.get_indexer(pd.DatetimeIndex(plain["date"]))
    data = sessions.get_indexer(pd.DatetimeIndex(null_prices["date"].agg(["min", "max"])))
    assert (pos + study.settings.estimation_window[0] - 1 >= data[0]).all()
    assert (pos + study.settings.event_window[1] <= data[1]).all()


def test_draws_leave_out_pseudo_events_whose_windows_cannot_fit(null_prices):
    """A universe ticker with 100 sessions of prices can never hold a 250-day window."""
    from eventstudy import event_time

    short = null_prices[null_prices["ticker"] == "S0"].head(100).assign(ticker="SHORT")
    prices = _prices(_study(), pd.concat([null_prices, short], ignore_index=True))
    spec = PlaceboSpec(40, 2, universe=["S1", "SHORT"])
    frame = draw_events(_study().events, prices, _study().settings, spec, event_time.sessions)
    assert "SHORT" not in set(frame["ticker"]) and len(frame) > 0
    assert set(frame["ticker"]) == {"S1"}


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"alternative": "greater", "car_windows": [(0, 0), (-1, 1), (-3, 5)]},
        {"model": "constant_mean", "estimation_window": (-120, -11), "min_estimation": 60},
    ],
)
def test_stacked_trials_equal_one_study_per_trial(null_prices, options):
    """The vectorised pass gives, trial by trial, the p-values of a study of that
    trial's pseudo-events alone (``EventStudy.run``), with the injected return."""
    import dataclasses
    import warnings

    from eventstudy import event_time
    from eventstudy.inference.battery import TEST_NAMES
    from eventstudy.placebo import _sessions
    from eventstudy.scale_out import _xnys_fallback
    from eventstudy.trials import compute_trials

    study = es.EventStudy(_study().events[["ticker", "date"]], **options)
    prices = _prices(study, null_prices)
    spec = PlaceboSpec(trials=4, seed=9, universe=TICKERS[:5])
    frame = draw_events(study.events, prices, study.settings, spec, _sessions)
    settings = dataclasses.replace(study.settings, extra={"inject_day0": 0.004})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stacked = es.EventStudy(frame.rename(columns={"trial": "placebo_trial"}), **options)
    got = compute_trials(
        stacked.events,
        stacked.events["placebo_trial"].to_numpy(),
        spec.trials,
        prices,
        settings,
        event_time.sessions,
        _xnys_fallback,
    )
    for t in range(spec.trials):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one = es.EventStudy(frame[frame["trial"] == t].drop(columns="trial"), **options)
        one.settings = settings
        res = one.run(prices=prices)
        for c, (a, b) in enumerate(settings.car_windows):
            want = res.tests[(res.tests["start"] == a) & (res.tests["end"] == b)]
            want = want.set_index("statistic")["p_value"].reindex(list(TEST_NAMES))
            np.testing.assert_allclose(got.p[t, :, c], want.to_numpy(float), rtol=1e-12, atol=0)
            car = res.car[(res.car["start"] == a) & (res.car["end"] == b)]
            mine = got.event_trial == t
            np.testing.assert_allclose(
                np.sort(got.event_p[mine, c]), np.sort(car["p_value"].to_numpy(float)), rtol=1e-12
            )
            np.testing.assert_allclose(
                np.sort(got.event_sq[mine, c]), np.sort(car["sq_p"].to_numpy(float)), rtol=1e-12
            )
        assert got.ok[t] == (res.events["status"] == "ok").sum()


def test_injection_adds_exactly_x_to_the_day0_abnormal_return(null_prices):
    import dataclasses

    study = _study(1)
    prices = _prices(study, null_prices)
    base = study.run(prices=prices)
    study.settings = dataclasses.replace(study.settings, extra={"inject_day0": 0.013})
    hit = study.run(prices=prices)
    d = hit.ar["ar"].to_numpy() - base.ar["ar"].to_numpy()
    day0 = base.ar["rel_day"].to_numpy() == 0
    np.testing.assert_allclose(d[day0], 0.013, rtol=0, atol=1e-15)
    assert np.array_equal(d[~day0], np.zeros((~day0).sum()))
    pd.testing.assert_series_equal(hit.events["sigma"], base.events["sigma"])


def test_size_of_the_per_event_t_test_on_null_data(null_prices):
    """Normal market-model data: the t-test of one day-0 AR is exact, so 5% of 1,600."""
    study = _study()
    prices = _prices(study, null_prices)
    res = run_placebo(study, prices, PlaceboSpec(trials=100, seed=5))
    t = res.table.set_index(["start", "end", "statistic", "level"])
    row = t.loc[(0, 0, "event_t", 0.05)]
    assert row["trials"] == 1600
    assert row["ci_low"] <= 0.05 <= row["ci_high"], row
    power = run_placebo(study, prices, PlaceboSpec(trials=20, seed=5, inject=0.05))
    p = power.table.set_index(["start", "end", "statistic", "level"])
    assert p.loc[(0, 0, "t_cs", 0.05), "rate"] == 1.0  # a 5% day-0 AR on 16 firms


def test_rates_and_intervals_equal_scipy():
    k = np.array([0, 3, 10, 50])
    n = np.array([50, 50, 50, 50])
    lo, hi = _clopper_pearson(k, n)
    for i in range(len(k)):
        ci = stats.binomtest(int(k[i]), int(n[i])).proportion_ci(0.95, method="exact")
        assert lo[i] == pytest.approx(ci.low, abs=1e-12)
        assert hi[i] == pytest.approx(ci.high, abs=1e-12)


def test_bad_specs_are_refused():
    with pytest.raises(SettingsError, match="at least 1"):
        PlaceboSpec(trials=0)
    with pytest.raises(SettingsError, match="between -1 and 1"):
        PlaceboSpec(inject=5.0)


def test_cli_writes_csv_json_and_escaped_page(tmp_path: Path, null_prices):
    prices = tmp_path / "prices.csv"
    null_prices.to_csv(prices, index=False)
    events = tmp_path / "ev.csv"
    events.write_text("ticker,date,description\nS1,2017-03-01,<script>x</script>\nS2,2018-05-01,\n")
    out = tmp_path / "pl"
    r = CliRunner().invoke(
        main,
        ["placebo", str(events), "--prices", str(prices), "--trials", "5", "--out", str(out)],
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "placebo.csv")
    assert set(table["level"]) == {0.01, 0.05, 0.1}
    assert json.loads((out / "placebo.json").read_text())["trials"] == 5
    assert "<script>" not in (out / "placebo.html").read_text()
    # the console shows the 5% matrix: one line per test, a column per CAR window
    assert "5 trials (2.0 events each)" in r.output and "[-10,+10]" in r.output
    five = table[(table["level"] == 0.05) & (table["start"] == 0) & (table["end"] == 0)]
    lines = r.output.splitlines()
    for row in five.itertuples():
        line = next(x for x in lines if f" {row.statistic} " in x)
        if np.isfinite(row.rate):
            assert f"{100 * row.rate:.1f}% (" in line
        else:  # skew_t at N = 2: no bootstrap p in any trial
            assert row.statistic == "skew_t" and "n/a" in line
    bad = CliRunner().invoke(
        main, ["placebo", str(events), "--prices", str(prices), "--trials", "0"]
    )
    assert bad.exit_code == 2 and "at least 1" in bad.output
