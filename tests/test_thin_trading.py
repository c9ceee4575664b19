"""Scholes-Williams and Dimson betas against a plain per-event computation
(numpy slopes, statsmodels OLS), on synthetic and real prices."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstudy as es
from tests.real_data import NO_YAHOO, YAHOO, daily_returns, yahoo_long

EST = (-250, -11)


def _plain(model: str, y: np.ndarray, x: np.ndarray) -> dict[str, float]:
    """One event: y, x the estimation-window returns (NaN where missing)."""
    lag = np.r_[np.nan, x[:-1]]
    lead = np.r_[x[1:], np.nan]
    ok = np.isfinite(y) & np.isfinite(x) & np.isfinite(lag) & np.isfinite(lead)
    y, x, lag, lead = y[ok], x[ok], lag[ok], lead[ok]
    if model == "scholes_williams":
        slopes = [sm.OLS(y, sm.add_constant(v)).fit().params[1] for v in (lag, x, lead)]
        rho = np.corrcoef(x, lag)[0, 1]
        beta = sum(slopes) / (1 + 2 * rho)
        k = 2
    else:
        fit = sm.OLS(y, sm.add_constant(np.column_stack([lag, x, lead]))).fit()
        beta = fit.params[1:].sum()
        k = 4
    alpha = y.mean() - beta * x.mean()
    e = y - alpha - beta * x
    return {
        "alpha": alpha,
        "beta": beta,
        "sigma": np.sqrt(e @ e / (len(y) - k)),
        "n": len(y),
        "xbar": x.mean(),
        "sxx": ((x - x.mean()) ** 2).sum(),
    }


def _check(long: pd.DataFrame, events: pd.DataFrame, model: str, bench: str) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = es.EventStudy(events, model=model, estimation_window=EST).run(prices=long)
    rets = daily_returns(long)
    dates = rets.index
    checked = 0
    for ev in res.events.itertuples():
        if ev.status != "ok":
            continue
        i = dates.get_loc(pd.Timestamp(ev.day0))
        win = rets.iloc[i + EST[0] : i + EST[1] + 1]
        ref = _plain(model, win[ev.ticker].to_numpy(), win[bench].to_numpy())
        assert ev.n_est == ref["n"]
        for name in ("alpha", "beta", "sigma"):
            assert getattr(ev, name) == pytest.approx(ref[name], rel=1e-10, abs=1e-13), name
        ar = res.ar[res.ar["event_id"] == ev.event_id]
        for r in ar.itertuples():
            j = dates.get_loc(pd.Timestamp(r.date))
            rs, rm = rets[ev.ticker].iloc[j], rets[bench].iloc[j]
            want = rs - ref["alpha"] - ref["beta"] * rm
            if not np.isfinite(want):  # a missing price: no return that day
                assert not np.isfinite(r.ar)
                continue
            assert r.ar == pytest.approx(want, abs=1e-13)
            var = ref["sigma"] ** 2 * (1 + 1 / ref["n"] + (rm - ref["xbar"]) ** 2 / ref["sxx"])
            assert r.se == pytest.approx(np.sqrt(var), rel=1e-10)
        checked += 1
    return checked


def _synthetic(seed: int, missing: float = 0.0) -> pd.DataFrame:
    import exchange_calendars as xcals

    days = xcals.get_calendar("XNYS", start="2014-01-01").sessions_in_range(
        "2016-01-04", "2019-12-31"
    )
    rng = np.random.default_rng(seed)
    rm = 0.0003 + 0.01 * rng.standard_normal(len(days))
    # a thinly traded stock: part of the market move shows up a day late
    r = 0.4 * rm + 0.5 * np.r_[0.0, rm[:-1]] + 0.012 * rng.standard_normal(len(days))
    px = 20 * np.cumprod(1 + r)
    if missing:
        px[rng.random(len(days)) < missing] = np.nan
    return pd.concat(
        [
            pd.DataFrame({"date": days, "ticker": "^GSPC", "adj_close": 100 * np.cumprod(1 + rm)}),
            pd.DataFrame({"date": days, "ticker": "THIN", "adj_close": px}),
        ],
        ignore_index=True,
    ).dropna()


@pytest.mark.parametrize("model", ["scholes_williams", "dimson"])
def test_thin_trading_betas_equal_a_per_event_computation(model):
    long = _synthetic(3, missing=0.03)
    events = pd.DataFrame({"ticker": "THIN", "date": ["2017-03-01", "2018-06-12", "2019-10-01"]})
    assert _check(long, events, model, "^GSPC") == 3


def test_thin_trading_beta_recovers_the_lagged_market_move():
    """Half the market move arrives a day late: OLS sees about 0.4, the
    thin-trading betas about the whole 0.9."""
    long = _synthetic(8)
    ev = pd.DataFrame(
        {"ticker": ["THIN"] * 4, "date": ["2017-03-01", "2018-01-10", "2018-09-04", "2019-06-03"]}
    )
    betas = {}
    for model in ("market", "scholes_williams", "dimson"):
        res = es.EventStudy(ev, model=model).run(prices=long)
        betas[model] = res.events["beta"].mean()
    assert betas["market"] == pytest.approx(0.4, abs=0.08)
    assert betas["scholes_williams"] == pytest.approx(0.9, abs=0.15)
    assert betas["dimson"] == pytest.approx(0.9, abs=0.15)


@settings(max_examples=15, deadline=None)
@given(st.floats(0.2, 5.0), st.floats(-0.01, 0.01), st.integers(0, 2**16))
def test_thin_trading_beta_scales_with_the_stock(scale, shift, seed):
    """Beta is linear in the stock return: R -> a + c R gives beta -> c beta and
    alpha -> a + c alpha; sigma scales by c."""
    from types import SimpleNamespace as Windows

    from eventstudy.thin_trading import fit_thin_trading

    rng = np.random.default_rng(seed)
    x = 0.01 * rng.standard_normal((3, 60))
    y = 0.8 * x + 0.3 * np.roll(x, 1, axis=1) + 0.01 * rng.standard_normal((3, 60))
    xe, ye = 0.01 * rng.standard_normal((3, 5)), 0.01 * rng.standard_normal((3, 5))
    for model in ("scholes_williams", "dimson"):
        a = fit_thin_trading(model, Windows(ret_est=y, bench_est=x, ret_evt=ye, bench_evt=xe))
        b = fit_thin_trading(
            model,
            Windows(
                ret_est=shift + scale * y, bench_est=x, ret_evt=shift + scale * ye, bench_evt=xe
            ),
        )
        np.testing.assert_allclose(b.params[:, 1], scale * a.params[:, 1], rtol=1e-9)
        np.testing.assert_allclose(
            b.params[:, 0], shift + scale * a.params[:, 0], rtol=1e-9, atol=1e-12
        )
        np.testing.assert_allclose(np.sqrt(b.sigma2), scale * np.sqrt(a.sigma2), rtol=1e-9)
        np.testing.assert_allclose(b.ar, scale * a.ar, rtol=1e-8, atol=1e-14)


@pytest.mark.skipif(not YAHOO.is_dir(), reason=NO_YAHOO)
@pytest.mark.parametrize("model", ["scholes_williams", "dimson"])
def test_thin_trading_on_real_prices(model):
    long = yahoo_long(("MSFT", "NVDA", "ORCL", "SPY"))
    events = pd.DataFrame(
        {
            "ticker": ["MSFT", "NVDA", "ORCL", "MSFT"],
            "date": ["2025-09-12", "2024-05-22", "2025-09-10", "2019-07-22"],
            "timing": "during_market",
            "benchmark": "SPY",
        }
    )
    assert _check(long, events, model, "SPY") == 4
