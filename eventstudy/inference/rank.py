"""The rank tests: Corrado-Zivney (multi-day per Campbell-Wasley) and Wilcoxon.

Corrado: for each event, its residuals over the estimation window plus the
event window are ranked together (average ranks for ties);
``U_it = rank_it / (T_i + 1) - 1/2`` with ``T_i`` its number of non-missing
days. For each relative day ``t``, ``Ubar_t`` is the mean of ``U_it`` over the
column's events with a value that day, ``S = sqrt(mean_t Ubar_t^2)`` over
every relative day, and the statistic of a window of ``L`` days is
``sum_{t in w} Ubar_t / (sqrt(L) S)``.

Wilcoxon: ``W+``, the sum of the ranks of ``|CAR_i|`` over the positive CARs,
with the p-value of ``scipy.stats.wilcoxon(CAR, alternative="two-sided")``.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import stats

from eventstudy.inference.rowranks import row_ranks


def corrado_u(resid_all: np.ndarray) -> np.ndarray:
    """``U_it = rank_it / (T_i + 1) - 1/2`` over each row's non-missing days (NaN stays)."""
    ranks = row_ranks(resid_all)
    t = np.isfinite(resid_all).sum(axis=1)
    return ranks / (t[:, None] + 1.0) - 0.5


class CorradoSums:
    """Sums of ``U`` over the events of every column, accumulated chunk by chunk, exactly.

    ``U_it = (2 rank_it - D_i) / (2 D_i)`` with ``D_i = T_i + 1``: twice an
    average rank is a whole number, so the numerators are summed as integers
    per denominator ``D`` (events have few distinct ``T_i``) and divided once at
    the end, in a fixed order. The result does not depend on how the events
    were split into chunks. ``base`` counts every estimated event; each column
    then drops its excluded events (estimated but without a CAR there), which
    are few: the work is ``O(N T)`` plus ``O(excluded T)``, not ``O(N T K)``.
    """

    def __init__(self, n_columns: int, n_days: int) -> None:
        self.n_columns, self.n_days = n_columns, n_days
        self.total: dict[int, np.ndarray] = {}
        self.count = np.zeros(n_days, np.int64)
        self.minus: dict[tuple[int, int], np.ndarray] = {}
        self.minus_count = np.zeros((n_columns, n_days), np.int64)

    def add(self, resid_all: np.ndarray, estimated: np.ndarray, included: np.ndarray) -> None:
        """A chunk's residuals over estimation + event window (n, T); ``estimated`` (n,);
        ``included`` (n, K), a subset of it."""
        ranks = row_ranks(resid_all)
        finite = np.isfinite(resid_all) & estimated[:, None]
        d = np.isfinite(resid_all).sum(axis=1) + 1
        twice = np.rint(2.0 * np.where(finite, ranks, 0.0)).astype(np.int64)
        num = np.where(finite, twice - d[:, None], 0)
        self.count += finite.sum(axis=0)
        excluded = estimated[:, None] & ~included
        for denom in np.unique(d[estimated]):
            rows = (d == denom) & estimated
            key = int(denom)
            part = num[rows].sum(axis=0)
            self.total[key] = self.total.get(key, 0) + part
            for k in np.flatnonzero(excluded[rows].any(axis=0)).tolist():
                out = rows & excluded[:, k]
                self.minus[(k, key)] = self.minus.get((k, key), 0) + num[out].sum(axis=0)
        for k in np.flatnonzero(excluded.any(axis=0)).tolist():
            self.minus_count[k] += finite[excluded[:, k]].sum(axis=0)

    def _sums(self, k: int) -> np.ndarray:
        out = np.zeros(self.n_days)
        for denom in sorted(self.total):
            num = self.total[denom] - self.minus.get((k, denom), 0)
            out += num / (2.0 * denom)
        return out

    def statistics(self, window_cols: list[np.ndarray], n_included: np.ndarray) -> np.ndarray:
        """The statistic of each column (its day columns within ``0..T-1``)."""
        out = np.full(len(window_cols), np.nan)
        for k, cols in enumerate(window_cols):
            if n_included[k] < 2:
                continue
            counts = self.count - self.minus_count[k]
            with np.errstate(invalid="ignore", divide="ignore"):
                ubar = np.where(counts > 0, self._sums(k) / counts, np.nan)
                s = np.sqrt(np.nanmean(ubar**2))
                out[k] = float(np.sum(ubar[cols]) / (np.sqrt(len(cols)) * s))
        return out


def _signed_rank_sum(d: np.ndarray) -> tuple[float, np.ndarray]:
    """``W+``, the sum of the average ranks (1-based) of ``|d|`` over ``d > 0``, and
    the sizes of the tie groups of ``|d|``.

    From two sorts (every ``|d|``, the positive ones) instead of an argsort: a
    positive value's rank is its tie group's ``start + (size + 1) / 2``. Ranks
    are half-integers, so their sum is exact in any order.
    """
    a = np.abs(d)
    sv = np.sort(a)
    starts = np.flatnonzero(np.r_[True, sv[1:] != sv[:-1]])
    sizes = np.diff(np.r_[starts, len(sv)])
    avg = starts + (sizes + 1) / 2.0
    positive = np.sort(a[d > 0])
    return float(avg[np.searchsorted(sv[starts], positive)].sum()), sizes


def wilcoxon_asymptotic(x: np.ndarray, alternative: str = "two-sided") -> tuple[float, float]:
    """``W+`` and the p-value of ``scipy.stats.wilcoxon(x, alternative=...)`` for
    ``len(x) > 50``.

    scipy's ``method="auto"`` uses the normal approximation there: zeros
    dropped, ``z = (W+ - n(n+1)/4) / sqrt((n(n+1)(2n+1) - sum(t^3 - t)/2) / 24)``
    with ``t`` the tie-group sizes, no continuity correction, ``p = 2 P(Z > |z|)``.
    """
    d = x[x != 0]
    n = float(len(d))
    if not n:
        return float("nan"), float("nan")
    w_plus, sizes = _signed_rank_sum(d)
    tie = float(np.sum(sizes.astype(float) ** 3 - sizes))
    se = np.sqrt((n * (n + 1.0) * (2.0 * n + 1.0) - tie / 2.0) / 24.0)
    z = (w_plus - n * (n + 1.0) * 0.25) / se
    if alternative == "greater":
        return w_plus, float(stats.norm.sf(z))
    if alternative == "less":
        return w_plus, float(stats.norm.cdf(z))
    return w_plus, float(2.0 * stats.norm.sf(abs(z)))


@functools.cache
def wilcoxon_pmf(n: int) -> np.ndarray:
    """Exact null pmf of ``W+`` for ``n`` untied, non-zero values: the number of
    subsets of ``{1..n}`` with each rank sum ``0 .. n(n+1)/2``, over ``2^n``.

    The counts are whole numbers below ``2^53`` for ``n <= 50``, so every value
    is exact and equal to scipy's (``_get_wilcoxon_distr``, the same recursion
    in halves). Cached per ``n``; read only.
    """
    counts = np.zeros(n * (n + 1) // 2 + 1, dtype=np.int64)
    counts[0] = 1
    for k in range(1, n + 1):
        top = k * (k + 1) // 2
        counts[k : top + 1] += counts[: top + 1 - k].copy()
    out = counts / 2.0**n
    out.flags.writeable = False
    return out


def wilcoxon_exact_p(w_plus: float, n: int, alternative: str = "two-sided") -> float:
    """The p-value of ``scipy.stats.wilcoxon`` (``method="exact"``) for a whole
    ``W+`` of ``n`` untied, non-zero values, from the cached pmf, with scipy's
    own sums: ``cdf(k) = sum pmf[:k+1]`` at or below the mean ``n(n+1)/4``,
    ``1 - sum pmf[k+1:]`` above it (``sf`` likewise), two-sided
    ``min(1, 2 min(sf(W+), cdf(W+)))``."""
    pmf = wilcoxon_pmf(n)
    k = int(w_plus)
    mean = n * (n + 1) / 4
    cdf = float(pmf[: k + 1].sum()) if k <= mean else float(1 - pmf[k + 1 :].sum())
    sf = float(pmf[k:].sum()) if k <= mean else float(1 - pmf[:k].sum())
    if alternative == "less":
        return cdf
    if alternative == "greater":
        return sf
    return float(np.clip(2 * min(sf, cdf), 0, 1))


def wilcoxon_columns(
    car: np.ndarray, included: np.ndarray, alternative: str = "two-sided"
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``W+`` and its p-value for each column (NaN with a note when undefined).

    The p-value is scipy's (``scipy.stats.wilcoxon(CAR, alternative=alternative)``):
    up to 50 events its exact test from :func:`wilcoxon_exact_p` when there are
    no zeros or ties, scipy itself otherwise (permutation or approximation);
    above 50 the same normal approximation, vectorised (:func:`wilcoxon_asymptotic`).
    """
    k = car.shape[1]
    w_plus, p = np.full(k, np.nan), np.full(k, np.nan)
    notes = [""] * k
    for j in range(k):
        x = car[included[:, j], j]
        if len(x) < 2:
            continue
        nonzero = x[x != 0]
        if len(nonzero) == 0:
            notes[j] = "every CAR is zero"
            continue
        if len(x) > 50:
            w_plus[j], p[j] = wilcoxon_asymptotic(x, alternative)
            continue
        w, sizes = _signed_rank_sum(nonzero)
        w_plus[j] = w
        if len(nonzero) == len(x) and (sizes == 1).all():
            # no zeros, no ties: scipy's exact test, from the cached null pmf
            p[j] = wilcoxon_exact_p(w, len(x), alternative)
        else:  # zeros or ties: scipy's permutation test (N <= 13) or approximation
            p[j] = float(stats.wilcoxon(x, alternative=alternative).pvalue)
    return w_plus, p, notes
