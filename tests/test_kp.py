"""KP cross-correlation: the aligned fast path, the date-matching path and a pair loop agree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eventstudy import kp


def _setup(seed: int = 1, n: int = 50):
    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("2015-01-01", periods=3000).to_numpy(dtype="datetime64[ns]")
    p0 = rng.integers(300, 450, n)
    p0[:8] = 400  # a cluster on one day
    est, evt = np.arange(-250, -10), np.arange(-10, 11)
    dates_est, dates_evt = sessions[p0[:, None] + est], sessions[p0[:, None] + evt]
    common = rng.normal(size=len(sessions))
    resid = 0.3 * common[p0[:, None] + est] + rng.normal(size=(n, len(est)))
    resid[rng.random(resid.shape) < 0.05] = np.nan
    return resid, dates_est, dates_evt, p0


def _brute_r(resid, dates_est, dates_evt, cols, min_common=30) -> float:
    n = len(resid)
    total = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            wi, wj = set(dates_evt[i, cols]), set(dates_evt[j, cols])
            o = len(wi & wj) / np.sqrt(len(wi) * len(wj))
            if o == 0:
                continue
            a = pd.Series(resid[i], index=dates_est[i])
            b = pd.Series(resid[j], index=dates_est[j])
            both = pd.concat([a, b], axis=1, join="inner").dropna()
            rho = both.iloc[:, 0].corr(both.iloc[:, 1]) if len(both) >= min_common else 0.0
            total += rho * o
    return total / (n * (n - 1) / 2)


def test_fast_and_date_paths_match_a_pair_loop():
    resid, de, dw, p0 = _setup()
    fast = kp.pair_correlations(resid, de, dw, 30, calendar_id=np.zeros(len(p0), int), day0_pos=p0)
    dated = kp.pair_correlations(resid, de, dw, 30)
    assert (fast.shift != kp.NO_SHIFT).all() and (dated.shift == kp.NO_SHIFT).all()
    included = np.ones(len(p0), bool)
    for cols in (np.array([10]), np.arange(9, 12), np.arange(21)):
        want = _brute_r(resid, de, dw, cols)
        assert abs(kp.mean_rho_overlap(fast, included, dw[:, cols]) - want) < 1e-14
        assert abs(kp.mean_rho_overlap(dated, included, dw[:, cols]) - want) < 1e-14


def test_disjoint_windows_contribute_nothing():
    resid, de, dw, p0 = _setup(n=10)
    p0 = np.arange(10) * 100 + 300  # windows far apart
    sessions = pd.bdate_range("2015-01-01", periods=3000).to_numpy(dtype="datetime64[ns]")
    de = sessions[p0[:, None] + np.arange(-250, -10)]
    dw = sessions[p0[:, None] + np.arange(-10, 11)]
    pairs = kp.pair_correlations(resid, de, dw, 30, calendar_id=np.zeros(10, int), day0_pos=p0)
    assert len(pairs.i) == 0
    assert kp.mean_rho_overlap(pairs, np.ones(10, bool), dw) == 0.0
