"""Factor models (ff3, carhart, ff5) against a per-event statsmodels OLS on real data."""

from __future__ import annotations

import exchange_calendars as xc
import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import eventstudy as es
from eventstudy.errors import SettingsError
from eventstudy.settings import FACTOR_MODELS
from tests.conftest import DATA

FACTORS = DATA / "factors"


@pytest.fixture
def factor_dir(shared_prices):
    if not (FACTORS / "ff5_daily.csv").exists():
        pytest.skip(f"factor files absent: {FACTORS}")
    return FACTORS


def _reference(model: str, day0: str, prices_dir, factor_dir):
    """Plain statsmodels re-derivation of one event (METHODS.md sections 2-4)."""
    sessions = xc.get_calendar("XNYS", start="2000-01-01").sessions
    p0 = sessions.get_loc(pd.Timestamp(day0))
    px = pd.read_csv(prices_dir / "MSFT.csv", parse_dates=["Date"]).set_index("Date")["Close"]
    px = px.reindex(sessions[p0 - 260 : p0 + 11])
    ret = px / px.shift(1) - 1
    ff = pd.read_csv(factor_dir / "ff5_daily.csv", parse_dates=["date"]).set_index("date")
    mom = pd.read_csv(factor_dir / "ff_momentum_daily.csv", parse_dates=["date"]).set_index("date")
    ff = ff.join(mom) / 100.0
    ff = ff.rename(columns={"Mkt-RF": "MKT_RF", "Mom": "MOM"})
    names = list(FACTOR_MODELS[model])
    est = sessions[p0 - 250 : p0 - 10]
    evt = sessions[p0 - 10 : p0 + 11]
    y = (ret.reindex(est) - ff["RF"].reindex(est)).to_numpy()
    x = sm.add_constant(ff[names].reindex(est).to_numpy())
    fit = sm.OLS(y, x).fit()
    xs = sm.add_constant(ff[names].reindex(evt).to_numpy(), has_constant="add")
    ar = ret.reindex(evt).to_numpy() - ff["RF"].reindex(evt).to_numpy() - xs @ fit.params
    xtx_inv = np.linalg.inv(x.T @ x)
    v = fit.scale * (np.eye(len(evt)) + xs @ xtx_inv @ xs.T)
    return fit, ar, v


@pytest.mark.parametrize("model", ["ff3", "carhart", "ff5"])
def test_founding_event_matches_statsmodels(model, shared_prices, factor_dir):
    events = pd.DataFrame(
        {
            "event_id": ["mou"],
            "ticker": ["MSFT"],
            "date": ["2025-09-11"],
            "timing": ["after_close"],
            "benchmark": ["^GSPC"],
        }
    )
    res = es.EventStudy(events, model=model, factors=factor_dir).run(prices=shared_prices)
    fit, ar, v = _reference(model, "2025-09-12", shared_prices, factor_dir)
    ev = res.events.iloc[0]
    assert ev["status"] == "ok" and ev["model"] == model
    assert ev["n_est"] == 240
    np.testing.assert_allclose(ev["sigma"], np.sqrt(fit.scale), rtol=1e-10)
    np.testing.assert_allclose(ev["alpha"], fit.params[0], rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(ev["r2"], fit.rsquared, rtol=1e-10)
    got = res.ar.set_index("rel_day")
    np.testing.assert_allclose(got["ar"].to_numpy(), ar, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got["se"].to_numpy(), np.sqrt(np.diag(v)), rtol=1e-10)
    car = res.car.set_index(["start", "end"])
    for a, b in [(0, 0), (-1, 1), (-10, 10)]:
        cols = slice(a + 10, b + 11)
        c, se = ar[cols].sum(), np.sqrt(v[cols, cols].sum())
        d = 240 - 1 - len(FACTOR_MODELS[model])
        np.testing.assert_allclose(car.loc[(a, b), "car"], c, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(car.loc[(a, b), "se"], se, rtol=1e-10)
        np.testing.assert_allclose(
            car.loc[(a, b), "p_value"], 2 * stats.t.sf(abs(c / se), d), rtol=1e-9, atol=1e-13
        )


def test_factor_model_without_factors_is_a_settings_error():
    events = pd.DataFrame({"ticker": ["MSFT"], "date": ["2025-09-11"]})
    with pytest.raises(SettingsError, match="--factors"):
        es.EventStudy(events, model="ff3")


def test_event_past_the_factor_data_is_pending(shared_prices, factor_dir):
    # ff5_daily.csv ends 2025-11-28; prices go on into 2026.
    events = pd.DataFrame({"event_id": ["late"], "ticker": ["MSFT"], "date": ["2025-11-20"]})
    res = es.EventStudy(events, model="ff3", factors=factor_dir).run(prices=shared_prices)
    assert res.events.iloc[0]["status"] == "pending"
    assert res.ar["date"].max() <= pd.Timestamp("2025-11-28")
