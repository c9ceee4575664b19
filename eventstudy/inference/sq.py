"""The sample-quantile (SQ) test of a single event (Gelbach, Helland & Klick 2013).

For event ``i`` and a CAR window of ``L`` sessions, the null distribution of
its CAR is the empirical distribution of the sums of ``L`` consecutive
estimation-window residuals of the same event (every start ``j`` with all ``L``
residuals present; overlapping sums, ``M_i`` of them):

.. math::

    S_{ij} = \\sum_{t=j}^{j+L-1} e_{it}, \\qquad
    p_i = \\min\\Big(1,\\; \\frac{2}{M_i} \\min\\big(\\#\\{S_{ij} \\le CAR_i\\},\\;
    \\#\\{S_{ij} \\ge CAR_i\\}\\big)\\Big)

the two-sided p-value of rejecting when the CAR lies in either tail of that
distribution (``greater``: ``#{S_ij >= CAR_i} / M_i``; ``less``:
``#{S_ij <= CAR_i} / M_i``). It makes no normality assumption, which is what makes it the
better test for one firm (the t-test of one CAR assumes normal residuals).
Fewer than :data:`MIN_SUMS` sums: no p-value. The sums are differences of
prefix sums (rounding of order 1e-18 on daily returns).
"""

from __future__ import annotations

import numpy as np

from eventstudy.inference.alternative import tail_share

__all__ = ["MIN_SUMS", "sq_test"]

#: Fewest L-day sums for an SQ p-value (1/MIN_SUMS is the p-value's resolution).
MIN_SUMS = 20
#: Events per block (see :func:`sq_test`).
ROW_BLOCK = 512


def sq_test(
    resid_est: np.ndarray, car: np.ndarray, lengths: np.ndarray, alternative: str = "two-sided"
) -> tuple[np.ndarray, np.ndarray]:
    """SQ p-values and the number of sums, per event and window.

    ``resid_est`` (n, T) estimation residuals in session order (NaN where a
    day has none); ``car`` (n, K); ``lengths`` (K,) window lengths in sessions.
    Returns ``p`` (n, K) (NaN where the CAR is missing or there are fewer than
    :data:`MIN_SUMS` sums) and ``m`` (n, K) the number of sums. Events are
    independent: they are taken :data:`ROW_BLOCK` at a time, so that each
    block's temporaries stay in the CPU cache.
    """
    if len(resid_est) <= ROW_BLOCK:
        return _sq_block(resid_est, car, lengths, alternative)
    parts = [
        _sq_block(resid_est[a : a + ROW_BLOCK], car[a : a + ROW_BLOCK], lengths, alternative)
        for a in range(0, len(resid_est), ROW_BLOCK)
    ]
    return np.concatenate([q for q, _ in parts]), np.concatenate([c for _, c in parts])


def _sq_block(
    resid_est: np.ndarray, car: np.ndarray, lengths: np.ndarray, alternative: str
) -> tuple[np.ndarray, np.ndarray]:
    n, t = resid_est.shape
    k = car.shape[1]
    p = np.full((n, k), np.nan)
    m = np.zeros((n, k), np.int64)
    present = np.isfinite(resid_est)
    values = np.where(present, resid_est, 0.0)
    prefix = np.zeros((n, t + 1))
    np.cumsum(values, axis=1, out=prefix[:, 1:])
    gaps = np.zeros((n, t + 1), np.int64)
    np.cumsum(~present, axis=1, out=gaps[:, 1:])
    for length in np.unique(lengths).tolist():
        cols = np.flatnonzero(lengths == length)
        if length < 1 or length > t:
            continue
        sums = prefix[:, length:] - prefix[:, :-length]  # (n, T - L + 1)
        full = (gaps[:, length:] - gaps[:, :-length]) == 0
        count = full.sum(axis=1)
        for c in cols.tolist():
            x = car[:, c][:, None]
            below = (full & (sums <= x)).sum(axis=1)
            above = (full & (sums >= x)).sum(axis=1)
            pc = tail_share(below, above, count, alternative)
            ok = np.isfinite(car[:, c]) & (count >= MIN_SUMS)
            p[:, c] = np.where(ok, pc, np.nan)
            m[:, c] = count
    return p, m
