"""Buy-and-hold abnormal returns (``bhar.csv``, ``bhar_tests.csv``).

For event ``i`` and CAR window ``w`` (every day observed):

.. math::

    BHAR^{model}_i = \\prod_{t \\in w} (1 + R_{it}) - \\prod_{t \\in w} (1 + \\hat R_{it}),
    \\qquad
    BHAR^{bench}_i = \\prod_{t \\in w} (1 + R_{it}) - \\prod_{t \\in w} (1 + R_{mt})

against the model's expected returns and against a buy-and-hold of the
benchmark (``1 + R`` is ``e^r`` for log returns). Cross-section, per window
and measure: the mean, the t-test ``mean / (sd / sqrt N)`` (t, N - 1) and the
skewness-adjusted t of Hall (1992) as used by Lyon, Barber & Tsai (1999),

.. math::

    t_{sa} = \\sqrt N \\left(S + \\frac{\\hat\\gamma S^2}{3} + \\frac{\\hat\\gamma}{6N}\\right),
    \\quad S = \\frac{\\overline{BHAR}}{sd(BHAR)}, \\quad
    \\hat\\gamma = \\frac{\\sum (BHAR_i - \\overline{BHAR})^3}{N\\, sd(BHAR)^3}

(``sd`` with ``N - 1``) and its bootstrap p-value of Lyon, Barber & Tsai
(1999) (:func:`eventstudy.inference.extra.skew_t_bootstrap_p`: resamples of
the centred BHARs, seed ``(seed, 2, j)`` for the ``j``-th window and measure),
the bootstrap test LBT recommend for long-horizon returns, whose skewness
makes the normal p unreliable; ``skew_p_normal`` keeps the normal p beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["bhar_table", "bhar_tests", "long_bhar_table"]

BHAR_COLUMNS = [
    *("event_id", "start", "end", "bh_return", "bh_expected", "bh_benchmark"),
    *("bhar", "bhar_benchmark"),
]


def _dense(ar: pd.DataFrame, days: list[int], cols: tuple[str, ...]) -> tuple[pd.Index, dict]:
    ids = pd.Index(pd.unique(ar["event_id"].astype(str)))
    row = ids.get_indexer(pd.Index(ar["event_id"].astype(str)))
    col = pd.Index(days).get_indexer(pd.Index(ar["rel_day"].to_numpy()))
    keep = (row >= 0) & (col >= 0)
    out = {}
    for c in cols:
        a = np.full((len(ids), len(days)), np.nan)
        a[row[keep], col[keep]] = ar[c].to_numpy(dtype=float)[keep]
        out[c] = a
    return ids, out


def bhar_table(
    ar: pd.DataFrame, days: list[int], windows: list[tuple[int, int]], return_type: str
) -> pd.DataFrame:
    """One row per event and CAR window with every day observed."""
    cols = ("ret", "expected", "benchmark_ret")
    if ar.empty:
        return pd.DataFrame(
            columns=[
                *("event_id", "start", "end", "bh_return", "bh_expected", "bh_benchmark"),
                *("bhar", "bhar_benchmark"),
            ]
        )
    ids, d = _dense(ar, days, cols)
    frames = _windows_frame(
        np.asarray(ids, dtype=object), d, np.asarray(days), windows, return_type
    )
    return pd.concat(frames, ignore_index=True)


def _windows_frame(
    ids: np.ndarray,
    values: dict[str, np.ndarray],
    days: np.ndarray,
    windows: list[tuple[int, int]],
    return_type: str,
) -> list[pd.DataFrame]:
    """One frame per window of the events with every ``ret`` and ``expected`` day."""
    gross = {c: (np.exp(v) if return_type == "log" else 1.0 + v) for c, v in values.items()}
    frames = []
    for a, b in windows:
        sel = (days >= a) & (days <= b)
        bh = {c: np.prod(g[:, sel], axis=1) - 1.0 for c, g in gross.items()}
        rows = np.flatnonzero(np.isfinite(bh["ret"]) & np.isfinite(bh["expected"]))
        frames.append(
            pd.DataFrame(
                {
                    "event_id": ids[rows],
                    "start": a,
                    "end": b,
                    "bh_return": bh["ret"][rows],
                    "bh_expected": bh["expected"][rows],
                    "bh_benchmark": bh["benchmark_ret"][rows],
                    "bhar": bh["ret"][rows] - bh["expected"][rows],
                    "bhar_benchmark": bh["ret"][rows] - bh["benchmark_ret"][rows],
                }
            )
        )
    return frames


def long_bhar_table(src: Any, windows: list[tuple[int, int]], chunk: int = 5_000) -> pd.DataFrame:
    """BHARs over windows that may reach beyond the event window (``[0, +250]``).

    The returns of each window's sessions (relative to day 0 on the event's
    calendar) are read from the study's price store and the expected returns
    come from the same estimation-window fit as the study's (re-fitted chunk
    by chunk, the same numbers): ``E[R_t] = R_t - AR_t``. An event enters a
    window only with every session's return and expected return present (a
    window past the last price leaves it out; ``n`` in ``bhar_tests`` counts).
    """
    from eventstudy import models
    from eventstudy.panel import chunks, gather

    if not windows or src is None:
        return pd.DataFrame(columns=BHAR_COLUMNS)
    s = src
    days = np.arange(min(a for a, _ in windows), max(b for _, b in windows) + 1)
    estimated = np.flatnonzero(s.numbers)
    frames = []
    for sel in chunks(s.index.take(estimated), chunk):
        keep = estimated[sel]
        w = gather(s.store, s.index.take(keep), s.est_days, days, s.factors)
        fit = models.fit(s.settings.model, w)
        expected = w.ret_evt - fit.ar
        values = {"ret": w.ret_evt, "expected": expected, "benchmark_ret": w.bench_evt}
        ids = np.asarray(s.event_ids, dtype=object)[keep]
        frames += _windows_frame(ids, values, days, windows, s.settings.return_type)
    if not frames:
        return pd.DataFrame(columns=BHAR_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    order = {w: k for k, w in enumerate(windows)}
    out["_w"] = [order[(a, b)] for a, b in zip(out["start"], out["end"], strict=True)]
    out["_e"] = pd.Index(s.event_ids.astype(str)).get_indexer(out["event_id"].astype(str))
    out = out.sort_values(["_w", "_e"], kind="stable").drop(columns=["_w", "_e"])
    return out.reset_index(drop=True)


def skewness_adjusted_t(x: np.ndarray) -> float:
    """Hall (1992) / Lyon, Barber & Tsai (1999) skewness-adjusted t of the mean of ``x``."""
    n = len(x)
    if n < 3:
        return float("nan")
    sd = float(np.std(x, ddof=1))
    if sd == 0:
        return float("nan")
    s = float(np.mean(x)) / sd
    gamma = float(np.sum((x - np.mean(x)) ** 3)) / (n * sd**3)
    return float(np.sqrt(n) * (s + gamma * s * s / 3.0 + gamma / (6.0 * n)))


def bhar_tests(
    table: pd.DataFrame, reps: int = 999, seed: int = 0, alternative: str = "two-sided"
) -> pd.DataFrame:
    """Per window and measure (``bhar``, ``bhar_benchmark``): N, mean, t and skew-adjusted t
    (``skew_p``: bootstrap, ``reps`` resamples, for ``alternative``; t's p stays two-sided)."""
    from eventstudy.inference.alternative import from_two_sided
    from eventstudy.inference.extra import skew_t_bootstrap_p

    rows: list[dict[str, object]] = []
    for _, g in table.groupby(["start", "end"], sort=False):
        a, b = int(g["start"].iloc[0]), int(g["end"].iloc[0])
        for measure in ("bhar", "bhar_benchmark"):
            x = g[measure].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            n = len(x)
            mean = float(np.mean(x)) if n else float("nan")
            with np.errstate(invalid="ignore", divide="ignore"):
                t = mean / (np.std(x, ddof=1) / np.sqrt(n)) if n >= 2 else float("nan")
            p = float(2 * stats.t.sf(abs(t), n - 1)) if np.isfinite(t) else float("nan")
            sa = skewness_adjusted_t(x)
            p_sa = float(2 * stats.norm.sf(abs(sa))) if np.isfinite(sa) else float("nan")
            p_boot = skew_t_bootstrap_p(
                x[:, None],
                np.ones((n, 1), bool),
                np.array([sa]),
                alternative,
                reps,
                (seed, 2, len(rows)),
            )[0]
            rows.append(
                {
                    "start": a,
                    "end": b,
                    "measure": measure,
                    "n": n,
                    "mean": mean,
                    "t": float(t),
                    "p_value": p,
                    "skew_t": sa,
                    "skew_p": float(p_boot),
                    "skew_p_normal": float(from_two_sided(p_sa, sa, alternative)),
                }
            )
    columns = ["start", "end", "measure", "n", "mean", "t", "p_value", "skew_t", "skew_p"]
    return pd.DataFrame(rows, columns=[*columns, "skew_p_normal"])
