"""Seeded bootstrap of the CAAR (``bootstrap.csv``).

For each CAR window with ``N >= 2`` CARs ``x``, ``B`` resamples of ``N``
events drawn with replacement (``numpy.random.default_rng(seed)``, all windows
from one stream in window order, recorded in ``run.json``):

* percentile: the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of the
  resampled means, and ``p = min(1, 2 min(P*(mean* <= 0), P*(mean* >= 0)))``;
* bootstrap-t: ``t* = (mean* - mean) / (sd* / sqrt N)`` against the observed
  ``t = mean / (sd / sqrt N)``, ``p = P*(|t*| >= |t|)`` (resamples with
  ``sd* = 0`` are dropped and counted).

One-sided (``alternative`` ``greater``): ``p = P*(mean* <= 0)`` and
``P*(t* >= t)``, the interval ``[q_{1 - level}, +inf)``; ``less``: ``P*(mean* >= 0)``,
``P*(t* <= t)`` and ``(-inf, q_level]``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "bootstrap_caar"]

COLUMNS = [
    "start",
    "end",
    "n",
    "caar",
    "reps",
    "seed",
    "pct_low",
    "pct_high",
    "p_percentile",
    "t",
    "p_boot_t",
    "dropped",
]


#: Resampled values held at once (blocks of resamples; 4M values = 64 MB with indices).
_BLOCK_VALUES = 1 << 22


def _resample_moments(
    rng: np.random.Generator, x: np.ndarray, reps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD (ddof 1) of ``reps`` resamples of ``x`` with replacement.

    Drawn in blocks of resamples so memory stays bounded at any ``reps x n``;
    the draws are those of one ``rng.integers(0, n, size=(reps, n))`` call
    (numpy's generator gives the same stream in blocks of rows).
    """
    n = len(x)
    block = max(1, _BLOCK_VALUES // n)
    means, sds = np.empty(reps), np.empty(reps)
    for lo in range(0, reps, block):
        hi = min(reps, lo + block)
        sample = x[rng.integers(0, n, size=(hi - lo, n))]
        means[lo:hi] = sample.mean(axis=1)
        sds[lo:hi] = sample.std(axis=1, ddof=1)
    return means, sds


def bootstrap_caar(
    car: pd.DataFrame,
    windows: Sequence[tuple[int, int]],
    reps: int,
    seed: int,
    level: float,
    alternative: str = "two-sided",
) -> pd.DataFrame:
    """One row per CAR window (see the module docstring)."""
    rng = np.random.default_rng(seed)
    rows = []
    for a, b in windows:
        x = car.loc[(car["start"] == a) & (car["end"] == b), "car"].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        n = len(x)
        row = {"start": int(a), "end": int(b), "n": n, "reps": reps, "seed": seed}
        if n < 2:
            rows.append({**row, "caar": float(x.mean()) if n else np.nan})
            continue
        means, sds = _resample_moments(rng, x, reps)
        mean, sd = float(x.mean()), float(x.std(ddof=1))
        t_obs = mean / (sd / np.sqrt(n)) if sd > 0 else np.nan
        ok = sds > 0
        t_star = (means[ok] - mean) / (sds[ok] / np.sqrt(n))
        at_most, at_least = float(np.mean(means <= 0)), float(np.mean(means >= 0))
        if alternative == "greater":
            lo, hi = float(np.quantile(means, 1 - level)), np.inf
            p_pct = at_most
            p_t = float(np.mean(t_star >= t_obs))
        elif alternative == "less":
            lo, hi = -np.inf, float(np.quantile(means, level))
            p_pct = at_least
            p_t = float(np.mean(t_star <= t_obs))
        else:
            lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
            p_pct = min(1.0, 2 * min(at_most, at_least))
            p_t = float(np.mean(np.abs(t_star) >= abs(t_obs)))
        if not np.isfinite(t_obs):
            p_t = np.nan
        rows.append(
            {
                **row,
                "caar": mean,
                "pct_low": float(lo),
                "pct_high": float(hi),
                "p_percentile": p_pct,
                "t": t_obs,
                "p_boot_t": p_t,
                "dropped": int((~ok).sum()),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)
