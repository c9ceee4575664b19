"""The cross-sectional band of the CAAR, from the result's own tables.

On each relative day ``t``

.. math::

    SE_t = \\frac{sd(CAR_i(t))}{\\sqrt{N_t}}, \\qquad
    CAAR_t \\pm t_{N_t - 1, 0.975} \\, SE_t,

``CAR_i(t)`` the cumulative AR of event ``i`` from the event-window start and
``N_t`` the events with a value that day (sd with ddof 1). The per-event data
(window dates, the SE of one event's CAR, the regression) are in
:mod:`eventstudy.report.book`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

BAND_COLUMNS = ["rel_day", "n", "caar", "se", "crit", "lower", "upper"]


def caar_band(res: StudyResult, level: float = 0.95) -> pd.DataFrame:
    """CAAR per relative day with its cross-sectional standard error and band.

    Returns
    -------
    DataFrame
        ``rel_day, n, caar, se, crit, lower, upper``; ``caar`` is ``res.aar``'s
        and ``se = sd(CAR_i(t)) / sqrt(N_t)``; no band where ``N_t < 2``.
    """
    from eventstudy.report.book import book_of

    aar = res.aar
    if aar.empty:
        return pd.DataFrame(columns=BAND_COLUMNS)
    out = aar[["rel_day", "n", "caar"]].copy()
    w = book_of(res).window
    finite = np.isfinite(w.car)
    count_day = finite.sum(axis=0).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(finite, w.car, 0.0).sum(axis=0) / count_day
        dev = np.where(finite, w.car - mean, 0.0)
        sd_day = np.sqrt((dev * dev).sum(axis=0) / (count_day - 1))
    pos = out["rel_day"].to_numpy(np.int64) - int(w.days[0]) if len(w.days) else None
    inside = (pos >= 0) & (pos < len(w.days)) if pos is not None else np.zeros(len(out), bool)
    at = np.where(inside, pos, 0) if pos is not None else np.zeros(len(out), int)
    count = np.where(inside, count_day[at] if len(w.days) else 0.0, 0.0)
    sd = np.where(inside & (count >= 2), sd_day[at] if len(w.days) else np.nan, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(count >= 2, sd / np.sqrt(count), np.nan)
        crit = np.where(count >= 2, stats.t.ppf(0.5 + level / 2, np.maximum(count - 1, 1)), np.nan)
    out["se"] = se
    out["crit"] = crit
    out["lower"] = out["caar"] - crit * se
    out["upper"] = out["caar"] + crit * se
    return out
