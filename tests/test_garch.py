"""GARCH(1,1) market model (``--model garch``) against ``arch`` called directly on
independently computed returns, and its variance recursion against arch's forecast."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import eventstudy as es
from eventstudy.errors import SettingsError
from tests.real_data import NO_YAHOO, YAHOO, daily_returns, yahoo_long

arch = pytest.importorskip("arch", reason="the garch extra (arch) is not installed")


def variance_path(
    omega: float, a: float, b: float, e_last: float, h_last: float, steps: np.ndarray
) -> np.ndarray:
    """The GARCH(1,1) forecast by its recursion: ``h_{T+k}`` for each ``k >= 1`` in ``steps``."""
    k_max = int(steps.max()) if len(steps) else 0
    h = np.empty(max(k_max, 1))
    h[0] = omega + a * e_last * e_last + b * h_last
    for k in range(1, k_max):
        h[k] = omega + (a + b) * h[k - 1]
    return h[np.asarray(steps, dtype=int) - 1]


def _direct(y: np.ndarray, x: np.ndarray, horizon: int):
    model = arch.arch_model(
        100 * y, x=100 * x[:, None], mean="LS", vol="GARCH", p=1, q=1, dist="normal", rescale=False
    )
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore")
        res = model.fit(disp="off", show_warning=False)
    fc = res.forecast(horizon=horizon, x={"x0": np.zeros((1, horizon))}, reindex=False)
    return res.params, fc.variance.to_numpy()[0] / 1e4


@pytest.mark.skipif(not YAHOO.is_dir(), reason=NO_YAHOO)
def test_garch_market_model_on_real_prices_equals_arch_directly():
    long = yahoo_long(("MSFT", "NVDA", "SPY"))
    events = pd.DataFrame(
        {
            "ticker": ["MSFT", "NVDA"],
            "date": ["2025-09-12", "2023-05-25"],
            "timing": "during_market",
            "benchmark": "SPY",
        }
    )
    res = es.EventStudy(events, model="garch").run(prices=long)
    rets = daily_returns(long)
    for ev in res.events.itertuples():
        assert ev.status == "ok", ev.reason
        i = rets.index.get_loc(pd.Timestamp(ev.day0))
        est = rets.iloc[i - 250 : i - 10]
        params, h = _direct(est[ev.ticker].to_numpy(), est["SPY"].to_numpy(), 21)
        assert ev.alpha == pytest.approx(params["Const"] / 100, rel=1e-10, abs=1e-15)
        assert ev.beta == pytest.approx(params["x0"], rel=1e-10)
        assert ev.omega == pytest.approx(params["omega"] / 1e4, rel=1e-10, abs=1e-18)
        assert ev.arch_a == pytest.approx(params["alpha[1]"], abs=1e-10)
        assert ev.garch_b == pytest.approx(params["beta[1]"], abs=1e-10)
        ar = res.ar[res.ar["event_id"] == ev.event_id].sort_values("rel_day")
        assert len(ar) == 21
        # day -10 is 1 step after the last estimation day (-11), day +10 is 21 steps
        np.testing.assert_allclose(ar["se"].to_numpy(), np.sqrt(h), rtol=1e-10)
        np.testing.assert_allclose(
            ar["ar"].to_numpy(),
            ar["ret"].to_numpy() - ev.alpha - ev.beta * ar["benchmark_ret"].to_numpy(),
            atol=1e-14,
        )
        car = res.car[(res.car["event_id"] == ev.event_id)]
        for r in car.itertuples():
            sel = (ar["rel_day"] >= r.start) & (ar["rel_day"] <= r.end)
            assert r.se == pytest.approx(np.sqrt((ar["se"][sel] ** 2).sum()), rel=1e-12)
            assert r.t == pytest.approx(r.car / r.se, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(1e-7, 1e-3),
    st.floats(0.0, 0.3),
    st.floats(0.0, 0.69),
    st.floats(-0.05, 0.05),
    st.floats(1e-6, 1e-3),
)
@example(0.0009876713314191585, 0.28125, 0.6875, 0.0, 0.0001)  # a + b = 0.97: slow decay
def test_variance_path_follows_the_recursion_and_tends_to_the_long_run_variance(omega, a, b, e, h):
    steps = np.arange(1, 400)
    path = variance_path(omega, a, b, e, h, steps)
    assert path[0] == pytest.approx(omega + a * e * e + b * h, rel=1e-12)
    np.testing.assert_allclose(path[1:], omega + (a + b) * path[:-1], rtol=1e-12)
    # h_n - h_inf = (a + b)^(n - 1) (h_1 - h_inf): geometric decay to the long-run
    # variance (a fixed 1e-6 at step 399 fails when a + b is near 1, e.g. 0.97).
    long_run = omega / (1 - a - b)
    expected = long_run + (a + b) ** (steps - 1.0) * (path[0] - long_run)
    np.testing.assert_allclose(path, expected, rtol=0, atol=1e-11 * max(long_run, path[0]))
    # any subset of steps reads the same path
    np.testing.assert_array_equal(
        variance_path(omega, a, b, e, h, np.array([5, 1, 3])), path[[4, 0, 2]]
    )


def test_arch_forecast_follows_the_garch_recursion():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(300)
    e = np.empty(300)
    h = 1.0
    for t in range(300):  # a true GARCH(1,1) error
        e[t] = np.sqrt(h) * rng.standard_normal()
        h = 0.1 + 0.15 * e[t] ** 2 + 0.75 * h
    y = 0.05 + 0.9 * x + e
    model = arch.arch_model(y, x=x[:, None], mean="LS", vol="GARCH", p=1, q=1, rescale=False)
    res = model.fit(disp="off", show_warning=False)
    p = res.params
    fc = res.forecast(horizon=10, x={"x0": np.zeros((1, 10))}, reindex=False)
    mine = variance_path(
        p["omega"],
        p["alpha[1]"],
        p["beta[1]"],
        float(res.resid[-1]),
        float(res.conditional_volatility[-1] ** 2),
        np.arange(1, 11),
    )
    np.testing.assert_allclose(mine, fc.variance.to_numpy()[0], rtol=1e-5)


def test_without_arch_the_message_names_the_extra(monkeypatch):
    from eventstudy.garch import _arch_model

    monkeypatch.setitem(sys.modules, "arch", None)
    with pytest.raises(SettingsError, match=r"pip install 'eventstudy\[garch\]'"):
        _arch_model()
