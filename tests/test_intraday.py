"""Intraday abnormal returns from 5-minute bars against an independent computation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy.errors import SettingsError
from eventstudy.intraday import intraday_car, load_intraday
from tests.conftest import ROOT

BARS = ROOT.parent / "shared" / "data" / "intraday" / "MSFT_5min_RTH_2025-08-15_2025-09-12.csv"
needs_bars = pytest.mark.skipif(not BARS.exists(), reason=f"intraday bars absent: {BARS}")
TZ = "America/New_York"


def _reference(raw: pd.DataFrame, anchor: pd.Timestamp, a: int, b: int, x=None):
    """Plain loop over the raw file: bar returns, previous 10 sessions, window sums."""
    et = pd.to_datetime(raw["Datetime_UTC"]).dt.tz_localize("UTC").dt.tz_convert(TZ)
    day = et.dt.normalize()
    rets = []
    for i in range(len(raw)):
        if i == 0 or day.iloc[i] != day.iloc[i - 1]:
            rets.append(raw["Close"].iloc[i] / raw["Open"].iloc[i] - 1)
        else:
            rets.append(raw["Close"].iloc[i] / raw["Close"].iloc[i - 1] - 1)
    r = pd.Series(rets, index=et)
    session = anchor.normalize()
    prior = sorted({d for d in day if d < session})[-10:]
    est = r[day.isin(prior).to_numpy()]
    if x is None:
        mu = est.mean()
        sigma = est.std(ddof=1)
        d = len(est) - 1
        exp = pd.Series(mu, index=r.index)
    else:
        fit = sm.OLS(est.to_numpy(), sm.add_constant(x.reindex(est.index).to_numpy())).fit()
        sigma, d = np.sqrt(fit.scale), int(fit.df_resid)
        exp = fit.params[0] + fit.params[1] * x.reindex(r.index)
    minutes = (r.index - anchor).total_seconds() / 60
    sel = (day == session).to_numpy() & (minutes >= a) & (minutes < b)
    ar = (r - exp)[sel]
    car = ar.sum()
    se = sigma * np.sqrt(len(ar))
    return car, se, 2 * stats.t.sf(abs(car / se), d)


@needs_bars
def test_during_market_event_equals_a_plain_loop_constant_mean():
    raw = pd.read_csv(BARS)
    bars = load_intraday(BARS)
    anchor = pd.Timestamp("2025-09-05 11:02", tz=TZ)
    windows, _ = intraday_car(bars, "MSFT", anchor, "during_market")
    bar = anchor.floor("5min")  # the bar that holds the announcement
    assert (windows["anchor"] == bar.isoformat()).all()
    assert list(windows["window"]) == ["[-30,+0)", "[+0,+15)", "[+0,+60)", "to_open"]
    for row in windows.itertuples(index=False):
        car, se, p = _reference(raw, bar, row.start, row.end)
        assert row.car == pytest.approx(car, abs=1e-10)
        assert row.se == pytest.approx(se, abs=1e-10)
        assert row.p_value == pytest.approx(p, abs=1e-10)


@needs_bars
def test_market_model_on_synthetic_spy_bars():
    raw = pd.read_csv(BARS)
    bars = load_intraday(BARS)
    rng = np.random.default_rng(4)
    spy = bars[["timestamp"]].assign(
        ticker="SPY", open=600.0, close=600.0 * np.exp(np.cumsum(rng.normal(0, 5e-4, len(bars))))
    )
    spy["open"] = spy["close"].shift().fillna(600.0)
    anchor = pd.Timestamp("2025-09-05 11:02", tz=TZ)
    windows, _ = intraday_car(bars, "MSFT", anchor, "during_market", benchmark_bars=spy)
    et = spy["timestamp"].dt.tz_convert(TZ)
    first = et.dt.normalize().ne(et.dt.normalize().shift())
    rm = np.where(first, spy["close"] / spy["open"] - 1, spy["close"] / spy["close"].shift() - 1)
    x = pd.Series(rm, index=pd.DatetimeIndex(et))
    for row in windows.itertuples(index=False):
        car, se, p = _reference(raw, anchor.floor("5min"), row.start, row.end, x=x)
        assert row.model == "market"
        assert row.p_value == pytest.approx(p, abs=1e-10)
        assert row.car == pytest.approx(car, abs=1e-10)
        assert row.se == pytest.approx(se, abs=1e-10)


@needs_bars
def test_after_close_event_is_measured_from_the_next_open():
    """The founding announcement (after Thursday's close): Friday's opening minutes."""
    bars = load_intraday(BARS)
    ann = pd.Timestamp("2025-09-11 16:05", tz=TZ)
    windows, _ = intraday_car(bars, "MSFT", ann, "after_close")
    w = windows.set_index(["start", "end"])
    assert w.loc[(0, 15), "anchor"] == "2025-09-12T09:30:00-04:00"
    assert w.loc[(0, 15), "n_bars"] == 3 and w.loc[(0, 15), "car"] > 0
    assert "outside the bars' hours" in w.loc[(-30, 0), "note"]
    assert "no bars between the announcement and the open" in w.loc[(0, 0), "note"]


def test_naive_timestamps_are_refused(tmp_path: Path):
    f = tmp_path / "bars.csv"
    f.write_text("timestamp,ticker,close\n2025-09-12 09:30:00,MSFT,500\n")
    with pytest.raises(SettingsError, match="no time zone"):
        load_intraday(f)


@needs_bars
def test_run_writes_intraday_tables_for_the_founding_event(tmp_path: Path):
    from click.testing import CliRunner

    from eventstudy.cli import main
    from tests.conftest import SAMPLE_PRICES

    out = tmp_path / "o"
    args = ["run", str(ROOT / "events.csv"), "--prices", str(SAMPLE_PRICES), "--format", "csv"]
    r = CliRunner().invoke(main, [*args, "--out", str(out), "-q", "--intraday-prices", str(BARS)])
    assert r.exit_code == 0, r.output
    car = pd.read_csv(out / "intraday_car.csv")
    mou = car[car["event_id"] == "msft-openai-mou-2025"].astype({"start": int, "end": int})
    mou = mou.set_index(["start", "end"])
    assert mou.loc[(0, 15), "anchor"] == "2025-09-12T09:30:00-04:00"
    # events of other years have no bars in the file: said, not dropped
    for eid in ("msft-openai-1bn-2019", "msft-openai-ceo-ousted-2023"):
        old = car[car["event_id"] == eid]
        assert len(old) == 1 and isinstance(old["note"].iloc[0], str), old
