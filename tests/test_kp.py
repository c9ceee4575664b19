"""KP cross-correlation: the banded-Gram exact path equals a pair loop; the
approximation is close to it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy.inference import kp

EST, EVT = np.arange(-250, -10), np.arange(-10, 11)


def _setup(seed: int = 1, n: int = 50, missing: float = 0.05):
    rng = np.random.default_rng(seed)
    sessions = pd.bdate_range("2015-01-01", periods=3000).to_numpy(dtype="datetime64[ns]")
    p0 = rng.integers(300, 450, n)
    p0[:8] = 400  # a cluster on one day
    common = rng.normal(size=len(sessions))
    resid = 0.3 * common[p0[:, None] + EST] + rng.normal(size=(n, len(EST)))
    resid[rng.random(resid.shape) < missing] = np.nan
    return resid, sessions, p0


def _rows(resid: np.ndarray, p0: np.ndarray, fast: bool = True) -> kp.Rows:
    """One calendar: the date axis is the session index itself. ``fast``: say so,
    so complete rows take the prefix-sum path; else every pair matches dates."""
    extra = (np.zeros(len(p0), int), p0 + EST[0]) if fast else (None, None)
    return kp.Rows(
        np.nan_to_num(resid),
        np.isfinite(resid).astype(float),
        p0[:, None] + EST[None, :],
        p0 + EVT[0],
        p0 + EVT[-1],
        *extra,
    )


def _brute_r(resid, sessions, p0, cols, min_common=30) -> float:
    n = len(resid)
    dates_est, dates_evt = sessions[p0[:, None] + EST], sessions[p0[:, None] + EVT]
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


def _r(pairs: kp.PairCorrelations, n: int, cols: np.ndarray) -> float:
    o = kp.overlap(pairs.i, pairs.j, pairs.shift, len(cols))
    return kp.mean_rho_overlap(pairs, np.ones(n, bool), o)


@pytest.mark.parametrize("missing", [0.0, 0.002, 0.05])
@pytest.mark.parametrize("fast", [True, False])
def test_exact_path_matches_a_pair_loop(missing: float, fast: bool):
    resid, sessions, p0 = _setup(missing=missing)
    pairs = kp.exact_pairs(_rows(resid, p0, fast), np.zeros(len(p0), int), p0, 30)
    assert (pairs.shift != kp.NO_SHIFT).all()
    for cols in (np.array([10]), np.arange(9, 12), np.arange(21)):
        assert abs(_r(pairs, len(p0), cols) - _brute_r(resid, sessions, p0, cols)) < 1e-14


def test_block_size_does_not_change_the_sums():
    resid, _, p0 = _setup(seed=4, n=120)
    rows = _rows(resid, p0)
    a, b = kp.banded_sums(rows, block=7), kp.banded_sums(rows, block=256)
    ka = np.lexsort((a.j, a.i))
    kb = np.lexsort((b.j, b.i))
    assert np.array_equal(a.i[ka], b.i[kb]) and np.array_equal(a.j[ka], b.j[kb])
    for name in ("n", "sx", "sy", "sxx", "syy", "sxy"):
        np.testing.assert_allclose(
            getattr(a, name)[ka], getattr(b, name)[kb], rtol=1e-12, atol=1e-10
        )
    first, last = rows.first, rows.last
    assert len(a.i) == kp.count_overlapping_pairs(first, last)
    i, j = kp.overlapping_pairs(first, last)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == set(
        zip(a.i.tolist(), a.j.tolist(), strict=True)
    )


def test_disjoint_windows_contribute_nothing():
    resid, _, _ = _setup(n=10)
    p0 = np.arange(10) * 100 + 300  # windows far apart
    pairs = kp.exact_pairs(_rows(resid, p0), np.zeros(10, int), p0, 30)
    assert len(pairs.i) == 0
    assert _r(pairs, 10, np.arange(21)) == 0.0


def test_dates_across_calendars_match_by_date():
    """Two calendars on one date axis: pairs are matched by date, and their window
    overlap is counted in common dates."""
    resid, _, p0 = _setup(seed=3, n=20, missing=0.0)
    rows = _rows(resid, p0)
    calendar = np.r_[np.zeros(10, int), np.ones(10, int)]
    pairs = kp.exact_pairs(rows, calendar, p0, 30)
    cross = pairs.shift == kp.NO_SHIFT
    assert cross.any() and (~cross).any()
    pos = p0[:, None] + EVT[None, :]
    o_dates = kp.overlap(pairs.i, pairs.j, pairs.shift, len(EVT), pos, np.ones(pos.shape, bool))
    same = kp.overlap(
        pairs.i, pairs.j, np.where(cross, p0[pairs.j] - p0[pairs.i], pairs.shift), len(EVT)
    )
    np.testing.assert_allclose(o_dates, same)


def test_approximation_is_close_for_a_cluster():
    """All events on one day: the group approximation is within a few 1e-3 of exact r."""
    rng = np.random.default_rng(9)
    n, p = 60, 420
    common = rng.normal(size=3000)
    p0 = np.full(n, p)
    p0[30:] = p + rng.integers(-5, 6, n - 30)
    resid = 0.4 * common[p0[:, None] + EST] + rng.normal(size=(n, len(EST)))
    rows = _rows(resid, p0)
    cal = np.zeros(n, int)
    exact = _r(kp.exact_pairs(rows, cal, p0, 30), n, np.arange(21))
    u = kp.standardise(resid)
    gr = kp.group_rows(
        u, np.ones(resid.shape, bool), rows.pos, rows.first, rows.last, cal, p0, p0 + EST[0]
    )
    gp = kp.group_pairs(gr)
    rep = np.zeros(len(gr.size), np.int64)
    rep[gr.of_event] = np.arange(n)
    o = kp.overlap(rep[gp.g], rep[gp.h], gp.shift, 21)
    approx = kp.approximate_r(gp, o, n)
    assert exact > 0.05
    assert abs(approx - exact) < 0.01, (approx, exact)
