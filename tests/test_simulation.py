"""Behaviour under the null: returns simulated from a market model with normal errors.

With ``L1`` estimation returns and ``k = 2`` parameters, each single-day SCAR is
Student t with ``d = L1 - k`` degrees of freedom, so ``Var(SCAR) = d / (d - 2)``
and the Patell statistic is standard normal. One vectorised engine run on
2,000 events (one firm each, seeded ``numpy.random.default_rng``) gives the
per-event SCARs and a Patell test per event-window day. (Several events per
firm, never overlapping, keep the per-ticker data checks of ``run`` cheap.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from eventstudy import EventStudy
from eventstudy.data.base import PriceSet
from tests.reference import xnys_sessions

N_FIRMS, EVENTS_PER_FIRM = 100, 20
N_EVENTS = N_FIRMS * EVENTS_PER_FIRM
L1, K = 150, 2
EVENT_DAYS = 60  # event window [0, 59]: 60 single-day tests on 2,000 events each
D = L1 - K
VAR_T = D / (D - 2)


@pytest.fixture(scope="module")
def null_study():
    """100 firms x 20 events; a firm's event spans (estimation + event window) never overlap."""
    rng = np.random.default_rng(19850101)
    sessions = xnys_sessions()
    span = L1 + 1 + EVENT_DAYS  # one price before the first estimation return
    n = (EVENTS_PER_FIRM + 1) * span
    sessions = sessions[sessions >= "1994-01-03"][:n]
    index = pd.DatetimeIndex(sessions, name="date")
    market = rng.normal(3e-4, 0.01, n)
    frames = {"^GSPC": pd.DataFrame({"adj_close": 1000 * np.cumprod(1 + market)}, index=index)}
    ids, tickers, day0s = [], [], []
    for f in range(N_FIRMS):
        alpha, beta = rng.normal(0, 5e-4), rng.uniform(0.3, 1.7)
        ret = alpha + beta * market + rng.uniform(0.01, 0.03) * rng.standard_normal(n)
        frames[f"S{f:03d}"] = pd.DataFrame({"adj_close": 20 * np.cumprod(1 + ret)}, index=index)
        offset = int(rng.integers(0, span))
        for j in range(EVENTS_PER_FIRM):
            ids.append(f"S{f:03d}_{j:02d}")
            tickers.append(f"S{f:03d}")
            day0s.append(str(sessions[offset + j * span + L1 + 1].date()))
    events = pd.DataFrame({"event_id": ids, "ticker": tickers, "date": day0s, "benchmark": "^GSPC"})
    study = EventStudy(
        events,
        estimation_window=(-L1, -1),
        event_window=(0, EVENT_DAYS - 1),
        car_windows=[(0, 0)],
        min_estimation=L1,
    )
    return study.run(prices=PriceSet(frames=frames, source="simulated market model"))


def test_every_event_is_estimated_on_L1_returns(null_study):
    ev = null_study.events
    assert (ev["status"] == "ok").all()
    assert (ev["n_est"] == L1).all()


def test_variance_of_single_day_scar_is_d_over_d_minus_2(null_study):
    scar = null_study.car["scar"].to_numpy()
    assert len(scar) == N_EVENTS
    dev = scar - scar.mean()
    var = dev.var(ddof=1)
    se_var = np.sqrt((np.mean(dev**4) - var**2) / N_EVENTS)
    assert abs(var - VAR_T) <= 4 * se_var, (var, VAR_T, se_var)


def test_pooled_scar_second_moment_over_the_event_window(null_study):
    """All 120,000 single-day SCARs; SE clustered by event (days share sigma-hat)."""
    ar = null_study.ar
    sq = (ar["ar"] / ar["se"]) ** 2
    per_event = sq.groupby(ar["event_id"]).mean()
    assert len(per_event) == N_EVENTS and len(sq) == N_EVENTS * EVENT_DAYS
    se = per_event.std(ddof=1) / np.sqrt(N_EVENTS)
    assert abs(per_event.mean() - VAR_T) <= 4 * se, (per_event.mean(), VAR_T, se)


def test_patell_rejects_about_five_percent(null_study):
    aar = null_study.aar
    assert len(aar) == EVENT_DAYS and (aar["n"] == N_EVENTS).all()
    rejections = int((aar["patell_p"] < 0.05).sum())
    # 60 (nearly independent) days: Binomial(60, 0.05); allow its 99.99% range
    assert rejections <= stats.binom.ppf(0.9999, EVENT_DAYS, 0.05), rejections
    # Patell ~ N(0, 1): mean square within 4 standard errors (sqrt(2 / 60)) of 1
    ms = float((aar["patell"] ** 2).mean())
    assert abs(ms - 1) <= 4 * np.sqrt(2 / EVENT_DAYS), ms
    # p-values are the two-sided normal tail of the statistic
    np.testing.assert_allclose(aar["patell_p"], 2 * stats.norm.sf(aar["patell"].abs()), rtol=1e-12)
