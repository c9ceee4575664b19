"""The alternative hypothesis of every test: ``two-sided``, ``greater`` or ``less``.

Every test statistic here is oriented so that a positive abnormal return
moves it up. For a null distribution symmetric about zero (t, normal, and
the normal approximations of the sign, rank and Wilcoxon tests) the
one-sided p-values follow from the two-sided one ``p2`` and the sign of the
centred statistic ``s``:

.. math::

    p_{greater} = \\begin{cases} p_2 / 2 & s > 0 \\\\ 1 - p_2 / 2 & s \\le 0 \\end{cases},
    \\qquad p_{less}(s) = p_{greater}(-s)

(``s = 0``, where ``p_2 = 1``, gives 1/2 either way), which is ``P(T >= s)`` and ``P(T <= s)``
exactly because ``p_2 = 2 P(T >= |s|)``. Discrete exact tests (binomial,
Wilcoxon for small N, the sample-quantile and bootstrap tests) compute the
one-sided tail directly. Confidence intervals follow the alternative, as in
``scipy.stats.ttest_1samp``: ``greater`` gives ``[estimate - q_level SE, +inf)``,
``less`` gives ``(-inf, estimate + q_level SE]``, so that the interval
excludes 0 exactly when the test rejects at ``1 - level``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from eventstudy.settings import ALTERNATIVES

__all__ = [
    "ALTERNATIVES",
    "binom_p",
    "from_two_sided",
    "one_sided_columns",
    "quantile",
    "tail_share",
]


def from_two_sided(
    p2: np.ndarray | float, centred: np.ndarray | float, alternative: str
) -> np.ndarray:
    """One-sided p from the two-sided ``p2`` of a test symmetric about 0 (module doc)."""
    p2 = np.asarray(p2, dtype=float)
    if alternative == "two-sided":
        return p2
    s = np.asarray(centred, dtype=float)
    if alternative == "less":
        s = -s
    half = p2 / 2.0
    out = np.where(s > 0, half, 1.0 - half)
    return np.where(np.isnan(p2) | np.isnan(s), np.nan, out)


def binom_p(
    w: np.ndarray, n: np.ndarray, p0: np.ndarray, alternative: str, p2: np.ndarray
) -> np.ndarray:
    """``scipy.stats.binomtest(w, n, p0, alternative).pvalue`` for every column.

    ``greater``: ``P(W >= w)``; ``less``: ``P(W <= w)``; ``two-sided``: ``p2``
    (computed by :func:`eventstudy.inference.extra.binom_two_sided`).
    """
    if alternative == "two-sided":
        return np.asarray(p2, dtype=float)
    from scipy import stats

    w, n, p0 = (np.asarray(v, dtype=float) for v in (w, n, p0))
    ok = (n >= 1) & np.isfinite(p0) & (p0 >= 0) & (p0 <= 1) & np.isfinite(w)
    with np.errstate(invalid="ignore"):
        if alternative == "greater":
            p = stats.binom.sf(w - 1.0, n, p0)
        else:
            p = stats.binom.cdf(w, n, p0)
    return np.where(ok, np.minimum(1.0, p), np.nan)


def tail_share(
    below: np.ndarray, above: np.ndarray, count: np.ndarray, alternative: str
) -> np.ndarray:
    """p of an empirical null from the counts of draws at or below / at or above the
    observed value: ``min(1, 2 min(below, above) / count)``, ``above / count``
    (greater) or ``below / count`` (less)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if alternative == "greater":
            return above / count
        if alternative == "less":
            return below / count
        return np.minimum(1.0, 2.0 * np.minimum(below, above) / count)


def quantile(level: float, alternative: str) -> float:
    """The probability whose t/normal quantile bounds a ``level`` interval
    (``(1 + level) / 2`` two-sided, ``level`` one-sided)."""
    return 0.5 + level / 2.0 if alternative == "two-sided" else level


def one_sided_columns(table: Any, pairs: tuple[tuple[str, str], ...], alternative: str) -> Any:
    """A copy of ``table`` (a DataFrame) with each ``(statistic, p)`` column pair's
    two-sided p turned into the ``alternative``'s (:func:`from_two_sided`)."""
    if alternative == "two-sided" or len(table) == 0:
        return table
    out = table.copy()
    for stat, p in pairs:
        if stat in out and p in out:
            out[p] = from_two_sided(
                out[p].to_numpy(dtype=float), out[stat].to_numpy(dtype=float), alternative
            )
    return out
