"""Abnormal volatility: event-window against estimation-window residual variance.

Per event and CAR window of ``L`` sessions (every AR observed):

.. math::

    VR_i = \\frac{\\frac{1}{L} \\sum_{t \\in w} AR_{it}^2}{\\hat\\sigma_i^2},
    \\qquad p_i = P(F_{L, d_i} > VR_i)

``sigma^2 = SSR / d`` from the estimation window. Under the null of normal
residuals with the estimation-window variance, ``VR`` is (approximately, the
prediction-error terms aside) ``F(L, d)``; the test is one-sided (more
volatile than usual). ``volatility.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["volatility_table"]


def volatility_table(
    ar: pd.DataFrame, events: pd.DataFrame, windows: list[tuple[int, int]], k: int
) -> pd.DataFrame:
    """``event_id, start, end, var_ratio, df_num, df_den, p_value`` per event and window."""
    cols = ["event_id", "start", "end", "var_ratio", "df_num", "df_den", "p_value"]
    if ar.empty:
        return pd.DataFrame(columns=cols)
    ev = events.set_index(events["event_id"].astype(str))
    ids = pd.Index(pd.unique(ar["event_id"].astype(str)))
    days = np.sort(pd.unique(ar["rel_day"].to_numpy()))
    row = ids.get_indexer(pd.Index(ar["event_id"].astype(str)))
    col = np.searchsorted(days, ar["rel_day"].to_numpy())
    a2 = np.full((len(ids), len(days)), np.nan)
    a2[row, col] = ar["ar"].to_numpy(dtype=float) ** 2
    sigma2 = ev.loc[ids, "sigma"].to_numpy(dtype=float) ** 2
    d = ev.loc[ids, "n_est"].to_numpy(dtype=float) - k
    frames = []
    for a, b in windows:
        sel = (days >= a) & (days <= b)
        length = int(sel.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            vr = a2[:, sel].mean(axis=1) / sigma2
        ok = np.flatnonzero(np.isfinite(vr) & (d >= 1) & (length > 0))
        frames.append(
            pd.DataFrame(
                {
                    "event_id": ids[ok],
                    "start": a,
                    "end": b,
                    "var_ratio": vr[ok],
                    "df_num": length,
                    "df_den": d[ok].astype(np.int64),
                    "p_value": stats.f.sf(vr[ok], length, d[ok]),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[cols]
