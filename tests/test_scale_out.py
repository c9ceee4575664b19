"""Placebo trials in blocks, here and on a Dask LocalCluster: the same numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy import scale_out
from eventstudy.errors import DuplicateEventWarning
from eventstudy.placebo import PlaceboSpec, run_placebo
from eventstudy.study import fetch_prices, resolve_provider

TICKERS = [f"S{k}" for k in range(6)]


@pytest.fixture(scope="module")
def null_prices() -> pd.DataFrame:
    import exchange_calendars as xcals

    days = xcals.get_calendar("XNYS", start="2014-01-01").sessions_in_range(
        "2015-01-02", "2019-12-31"
    )
    rng = np.random.default_rng(5)
    rm = 0.0003 + 0.01 * rng.standard_normal(len(days))
    frames = [pd.DataFrame({"date": days, "ticker": "SPY", "adj_close": 100 * np.cumprod(1 + rm)})]
    for k, t in enumerate(TICKERS):
        r = 0.0001 + (0.7 + 0.1 * k) * rm + 0.02 * rng.standard_t(4, len(days)) / np.sqrt(2)
        frames.append(
            pd.DataFrame({"date": days, "ticker": t, "adj_close": 40 * np.cumprod(1 + r)})
        )
    return pd.concat(frames, ignore_index=True)


def _setup(null_prices: pd.DataFrame):
    ev = pd.DataFrame({"ticker": TICKERS, "date": "2017-06-01", "benchmark": "SPY"})
    study = es.EventStudy(ev, car_windows=[(0, 0), (-1, 1)])
    return study, fetch_prices(resolve_provider(null_prices), study.date_ranges())


def test_blocks_cover_every_trial_once():
    assert scale_out.trial_blocks(7, None, None) == [range(7)]
    for trials, workers in [(1, 1), (10, 2), (1000, 3), (5, 8)]:
        blocks = scale_out.trial_blocks(trials, None, workers)
        assert [t for b in blocks for t in b] == list(range(trials))
        assert max(len(b) for b in blocks) <= scale_out.BLOCK_TRIALS


def test_any_split_into_blocks_gives_the_same_numbers(null_prices):
    from eventstudy.placebo import _sessions, draw_events

    study, prices = _setup(null_prices)
    frame = draw_events(study.events, prices, study.settings, PlaceboSpec(9, 4), _sessions)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateEventWarning)  # trials share a day
        stacked = es.EventStudy(frame.rename(columns={"trial": "placebo_trial"}))
    trial = stacked.events["placebo_trial"].to_numpy(dtype=np.int64)
    args = (stacked.events, trial)
    one = scale_out.compute_blocks(*args, [range(9)], prices, study.settings, None)
    split = [range(0, 2), range(2, 7), range(7, 9)]
    many = scale_out.compute_blocks(*args, split, prices, study.settings, None)
    np.testing.assert_array_equal(one.p, many.p)
    np.testing.assert_array_equal(one.ok, many.ok)
    np.testing.assert_array_equal(one.event_trial, many.event_trial)
    np.testing.assert_array_equal(one.event_p, many.event_p)


def test_local_cluster_gives_the_rates_of_the_local_run(null_prices):
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    study, prices = _setup(null_prices)
    spec = PlaceboSpec(trials=12, seed=8)
    local = run_placebo(study, prices, spec)
    remote = run_placebo(study, prices, spec, workers=2)
    pd.testing.assert_frame_equal(local.table, remote.table)
    assert remote.meta["scheduler"] == "LocalCluster(2 workers)"


def test_missing_dask_is_a_clear_settings_error(null_prices, monkeypatch):
    import builtins

    from eventstudy.errors import SettingsError

    real = builtins.__import__

    def no_dask(name, *a, **k):
        if name.startswith("dask"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    study, prices = _setup(null_prices)
    with pytest.raises(SettingsError, match=r"pip install 'eventstudy\[dask\]'"):
        run_placebo(study, prices, PlaceboSpec(trials=2), workers=1)
