"""Tables per group of events and the difference in CAAR between groups.

``--group COLUMN`` (a column of ``events.csv``): the study is run again on each
group's events (same settings and prices), so every test of every group is
exactly what a study of that group alone gives (``groups_tests.csv``, the
``tests.csv`` columns plus ``group``). For every pair of groups and CAR
window (``groups_diff.csv``): ``CAAR_a - CAAR_b``, Welch's t with the
Welch-Satterthwaite degrees of freedom (``scipy.stats.ttest_ind(...,
equal_var=False)``) and the Wilcoxon rank-sum / Mann-Whitney U test
(``scipy.stats.mannwhitneyu``, two-sided; exact for small samples without
ties, else the normal approximation) on the events' CARs. Events with a blank
group value form no group (counted in the log).
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.errors import SettingsError

logger = logging.getLogger(__name__)

__all__ = ["DIFF_COLUMNS", "group_tables"]

DIFF_COLUMNS = [
    "start",
    "end",
    "group_a",
    "group_b",
    "n_a",
    "n_b",
    "caar_a",
    "caar_b",
    "diff",
    "welch_t",
    "welch_df",
    "welch_p",
    "mannwhitney_u",
    "mannwhitney_p",
]
_INPUT = ["event_id", "ticker", "date", "time", "timing", "benchmark", "description"]


def group_tables(res: Any, column: str, prices: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(``groups_tests``, ``groups_diff``) of result ``res`` grouped by ``column``."""
    import warnings

    from eventstudy.study import EventStudy

    ev = res.events
    if column not in ev:
        raise SettingsError(
            f"--group {column!r}: no such column in the events file; give one of its own "
            "columns (e.g. sector)"
        )
    labels = ev[column].astype("string").fillna("").str.strip()
    keep = labels != ""
    if (~keep).any():
        blank = int((~keep).sum())
        logger.info("--group %s: %d event(s) with a blank value are in no group", column, blank)
    groups = sorted(pd.unique(labels[keep]).tolist())
    if len(groups) < 2:
        raise SettingsError(f"--group {column!r}: needs at least 2 groups, found {len(groups)}")
    s = res.settings
    options = {
        "model": s.model,
        "estimation_window": s.estimation_window,
        "event_window": s.event_window,
        "car_windows": s.car_windows,
        "min_estimation": s.min_estimation,
        "return_type": s.return_type,
        "kp_max_pairs": s.kp_max_pairs,
        "conf_level": s.conf_level,
        "alternative": s.alternative,
    }
    cols = [c for c in _INPUT if c in ev]
    tests, cars = [], {}
    for g in groups:
        sub = ev.loc[(labels == g).to_numpy(), cols]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicates were already warned about
            r = EventStudy(sub.reset_index(drop=True), **options).run(prices=prices)
        tests.append(r.tests.assign(group=g))
        cars[g] = r.car
    tests_df = pd.concat(tests, ignore_index=True)
    tests_df = tests_df[["group", *[c for c in tests_df.columns if c != "group"]]]
    rows = []
    for a, b in itertools.combinations(groups, 2):
        for start, end in s.car_windows:
            xa = _cars(cars[a], start, end)
            xb = _cars(cars[b], start, end)
            rows.append(_diff(int(start), int(end), a, b, xa, xb))
    return tests_df, pd.DataFrame(rows, columns=DIFF_COLUMNS)


def _cars(car: pd.DataFrame, start: int, end: int) -> np.ndarray:
    x = car.loc[(car["start"] == start) & (car["end"] == end), "car"].to_numpy(dtype=float)
    return x[np.isfinite(x)]


def _diff(start: int, end: int, a: str, b: str, xa: np.ndarray, xb: np.ndarray) -> dict:
    nan = float("nan")
    out: dict[str, Any] = {
        "start": start,
        "end": end,
        "group_a": a,
        "group_b": b,
        "n_a": len(xa),
        "n_b": len(xb),
        "caar_a": float(np.mean(xa)) if len(xa) else nan,
        "caar_b": float(np.mean(xb)) if len(xb) else nan,
    }
    out["diff"] = out["caar_a"] - out["caar_b"]
    if len(xa) >= 2 and len(xb) >= 2:
        w = stats.ttest_ind(xa, xb, equal_var=False)
        out.update(welch_t=float(w.statistic), welch_df=float(w.df), welch_p=float(w.pvalue))
    else:
        out.update(welch_t=nan, welch_df=nan, welch_p=nan)
    if len(xa) and len(xb):
        m = stats.mannwhitneyu(xa, xb, alternative="two-sided")
        out.update(mannwhitney_u=float(m.statistic), mannwhitney_p=float(m.pvalue))
    else:
        out.update(mannwhitney_u=nan, mannwhitney_p=nan)
    return out
