"""The tidy tables of a study (INTERFACE.md) from the engine's per-event arrays.

Nothing here computes a statistic: it lays out what the engine computed.
``ar`` and ``car`` carry ``event_id`` as a categorical column (one code per
row instead of one string), which compares, groups and prints like text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy import models
from eventstudy.inference.battery import TEST_NAMES
from eventstudy.panel import EventIndex, Factors, chunks, dates_of, gather

if TYPE_CHECKING:
    from eventstudy.engine import EngineOutput, EventArrays
    from eventstudy.inference.crosssection import CrossSections
    from eventstudy.settings import StudySettings
    from eventstudy.store import PriceStore


@dataclass(frozen=True)
class EstimationSource:
    """What rebuilding the estimation windows needs (they are re-read, not stored)."""

    store: PriceStore
    index: EventIndex
    numbers: np.ndarray
    event_ids: np.ndarray
    settings: StudySettings
    est_days: np.ndarray
    factors: Factors | None


def _ids(index: EventIndex, events: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    ids = events["event_id"].astype(str).to_numpy(dtype=object)
    return ids[index.rows], pd.Index(ids[index.rows])


class _Categories:
    """Event ids as categorical columns whose categories are sorted like the text (so
    sorting, grouping and comparing behave as with strings); the sort is done once
    for every table (sorting a million ids costs about a second)."""

    def __init__(self, ids: pd.Index) -> None:
        self.ids = ids.astype(str)
        self.unique = not self.ids.has_duplicates  # unique after loading; be safe
        if self.unique:
            order = np.argsort(np.asarray(self.ids, dtype=object), kind="stable")
            self.rank = np.empty(len(self.ids), dtype=np.int64)
            self.rank[order] = np.arange(len(self.ids))
            self.sorted = self.ids[order]

    def of(self, codes: np.ndarray) -> pd.Categorical:
        """Ids ``ids[codes]``."""
        if not self.unique:
            return pd.Categorical(np.asarray(self.ids)[codes])
        return pd.Categorical.from_codes(self.rank[codes], categories=self.sorted)


def _dates(store: PriceStore, index: EventIndex, rows: np.ndarray, days: np.ndarray) -> np.ndarray:
    out = np.empty(len(rows), dtype="datetime64[ns]")
    for k, mic in enumerate(index.mics):
        here = index.calendar[rows] == k
        out[here] = dates_of(store, mic, index.p0[rows][here] + days[here])
    return out


def events_table(
    events: pd.DataFrame,
    status: np.ndarray,
    reason: np.ndarray,
    index: EventIndex,
    arr: EventArrays,
    settings: StudySettings,
) -> pd.DataFrame:
    out = events.copy()
    out["status"] = status.astype(str)
    out["reason"] = reason.astype(str)
    out["model"] = settings.model
    n = len(out)
    keep = arr.numbers
    rows = index.rows[keep]
    n_est = np.full(n, np.nan)
    n_est[rows] = arr.n_est[keep]
    sigma = np.full(n, np.nan)
    sigma[rows] = np.sqrt(arr.sigma2[keep])
    r2 = np.full(n, np.nan)
    r2[rows] = arr.r2[keep]
    out["n_est"] = pd.array(n_est, dtype="Int64") if n else pd.array([], dtype="Int64")
    out["sigma"] = sigma
    for k, name in enumerate(models.PARAM_NAMES[settings.model]):
        values = np.full(n, np.nan)
        values[rows] = arr.params[keep, k]
        out[name] = values
    out["r2"] = r2
    return out


def ar_table(
    arr: EventArrays,
    index: EventIndex,
    store: PriceStore,
    cats: _Categories,
    evt_days: np.ndarray,
) -> pd.DataFrame:
    ei, di = np.nonzero(arr.observed)
    car = np.cumsum(arr.ar, axis=1)
    sources = {
        "ret": arr.ret,
        "benchmark_ret": arr.bench,
        "expected": arr.expected,
        "ar": arr.ar,
        "se": arr.se,
        "car": car,
        "car_se": arr.car_se,
    }
    # The float columns gathered straight into one block: a frame built from a
    # dict of columns would copy them into one (1.2 GB at 1,000,000 events).
    flat = np.ravel_multi_index((ei, di), arr.observed.shape)
    block = np.empty((len(sources), len(ei)))
    for k, values in enumerate(sources.values()):
        np.take(values.ravel(), flat, out=block[k])
    out = pd.DataFrame(block.T, columns=list(sources), copy=False)
    out.insert(0, "event_id", pd.Series(cats.of(ei), copy=False))
    out.insert(1, "rel_day", evt_days[di])
    out.insert(2, "date", pd.DatetimeIndex(_dates(store, index, ei, evt_days[di])))
    return out


def t_interval(
    center: np.ndarray, se: np.ndarray, df: np.ndarray, level: float, alternative: str = "two-sided"
) -> tuple[np.ndarray, np.ndarray]:
    """``center -/+ t_{df}((1 + level) / 2) * se`` (NaN where ``df < 1``); one-sided
    ``[center - t_{df}(level) se, +inf)`` for ``greater``, ``(-inf, center +
    t_{df}(level) se]`` for ``less`` (as ``scipy.stats.ttest_1samp``)."""
    from scipy import stats

    from eventstudy.inference.alternative import quantile

    dfs = np.where(np.asarray(df, dtype=float) >= 1, df, np.nan)
    # Events share a few degrees of freedom: the quantile once per distinct df.
    uniq, at = np.unique(dfs, return_inverse=True)
    with np.errstate(invalid="ignore"):
        q = stats.t.ppf(quantile(level, alternative), uniq)[at.reshape(np.shape(dfs))]
    lo, hi = center - q * se, center + q * se
    if alternative == "greater":
        hi = np.where(np.isnan(lo), np.nan, np.inf)
    elif alternative == "less":
        lo = np.where(np.isnan(hi), np.nan, -np.inf)
    return lo, hi


def car_table(arr: EventArrays, cats: _Categories, settings: StudySettings) -> pd.DataFrame:
    """Per event and CAR window; ``ci_low, ci_high`` at ``settings.conf_level`` with the
    event's Student-t degrees of freedom ``df``."""
    w = arr.window
    frames = []
    for c, (a, b) in enumerate(settings.car_windows):
        has = arr.numbers & np.isfinite(w["car"][:, c])
        rows = np.flatnonzero(has)
        df = arr.dof[rows].astype(float)
        lo, hi = t_interval(
            w["car"][rows, c], w["se"][rows, c], df, settings.conf_level, settings.alternative
        )
        frames.append(
            {
                "event_id": rows,
                "start": np.full(len(rows), a),
                "end": np.full(len(rows), b),
                "car": w["car"][rows, c],
                "se": w["se"][rows, c],
                "t": w["t"][rows, c],
                "p_value": w["p"][rows, c],
                "scar": w["scar"][rows, c],
                "sq_p": w["sq_p"][rows, c],
                "df": arr.dof[rows],
                "ci_low": lo,
                "ci_high": hi,
            }
        )
    # The windows joined as arrays, the ids made categorical once (concatenating
    # one categorical per window re-hashes the categories: a second at 10^6 events).
    # Settings guarantee at least one CAR window.
    table: dict[str, Any] = {k: np.concatenate([f[k] for f in frames]) for k in frames[0]}
    table["event_id"] = cats.of(table["event_id"])
    return pd.DataFrame(table)


def _caar(cs: CrossSections) -> np.ndarray:
    inc = cs.included
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(inc, cs.car, 0.0).sum(axis=0) / inc.sum(axis=0)


def _caar_interval(
    cs: CrossSections, level: float, alternative: str = "two-sided"
) -> tuple[np.ndarray, np.ndarray]:
    """``CAAR -/+ t_{N-1} sd(CAR) / sqrt(N)`` per column (the interval of ``t_cs``)."""
    inc = cs.included
    n = inc.sum(axis=0).astype(float)
    caar = _caar(cs)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = np.where(inc, cs.car - caar, 0.0)
        sd = np.sqrt((dev * dev).sum(axis=0) / (n - 1))
        se = np.where(n >= 2, sd / np.sqrt(n), np.nan)
    return t_interval(caar, se, n - 1, level, alternative)


def tests_table(cs: CrossSections, settings: StudySettings) -> pd.DataFrame:
    """One row per CAR window and test (the first ``W`` columns); ``caar_ci_low/high``
    is the ``t_cs`` interval of the CAAR at ``settings.conf_level``."""
    caar = _caar(cs)
    ci_lo, ci_hi = _caar_interval(cs, settings.conf_level, settings.alternative)
    rows = []
    for c, (a, b) in enumerate(settings.car_windows):
        for t in cs.tests:
            none = not np.isfinite(t.statistic[c]) and bool(t.note[c])
            rows.append(
                {
                    "start": a,
                    "end": b,
                    "statistic": t.name,
                    "value": float(t.statistic[c]),
                    "p_value": float(t.p_value[c]),
                    "n": int(t.n[c]),
                    "caar": float(caar[c]),
                    "caar_ci_low": float(ci_lo[c]),
                    "caar_ci_high": float(ci_hi[c]),
                    "distribution": "" if none else t.distribution,
                    "df": None if none or not np.isfinite(t.df[c]) else int(t.df[c]),
                    "note": t.note[c],
                }
            )
    return pd.DataFrame(rows)


def aar_table(cs: CrossSections, n_windows: int, evt_days: np.ndarray) -> pd.DataFrame:
    """One row per relative day with every test's statistic and p-value."""
    day = slice(n_windows, n_windows + len(evt_days))
    aar = _caar(cs)[day]
    out = pd.DataFrame(
        {
            "rel_day": evt_days.astype(np.int64),
            "n": cs.included[:, day].sum(axis=0).astype(np.int64),
            "aar": aar,
        }
    )
    out["caar"] = out["aar"].cumsum(skipna=False)
    by_name = {t.name: t for t in cs.tests}
    for name in TEST_NAMES:
        t = by_name[name]
        out[name] = t.statistic[day]
        out[f"{name}_p"] = t.p_value[day]
    return out


def engine_output(
    events: pd.DataFrame,
    status: np.ndarray,
    reason: np.ndarray,
    index: EventIndex,
    arr: EventArrays,
    store: PriceStore,
    settings: StudySettings,
    cs: CrossSections,
    est_days: np.ndarray,
    evt_days: np.ndarray,
    fac: Factors | None,
) -> EngineOutput:
    from eventstudy.engine import EngineOutput

    ids, names = _ids(index, events)
    cats = _Categories(names)
    kp_r = {f"{a},{b}": float(cs.kp_r[c]) for c, (a, b) in enumerate(settings.car_windows)}
    source = EstimationSource(store, index, arr.numbers.copy(), ids, settings, est_days, fac)
    return EngineOutput(
        events=events_table(events, status, reason, index, arr, settings),
        ar=ar_table(arr, index, store, cats, evt_days),
        car=car_table(arr, cats, settings),
        aar=aar_table(cs, len(settings.car_windows), evt_days),
        tests=tests_table(cs, settings),
        kp_r=kp_r,
        source=source,
        kp_method=cs.kp_method,
    )


def estimation_table(src: Any) -> pd.DataFrame:
    """Estimation-window data of every estimated event (for plots and audits).

    ``event_id, rel_day, date, ret, benchmark_ret, expected, resid`` (factor
    models add their factor columns and ``RF``), re-read from the store and
    re-fitted chunk by chunk: the same numbers as the study's.
    """
    s: EstimationSource = src
    evt_days = np.arange(s.settings.event_window[0], s.settings.event_window[1] + 1)
    cats = _Categories(pd.Index(s.event_ids.astype(str)))
    parts = []
    for sel in chunks(s.index.take(np.flatnonzero(s.numbers)), 20_000):
        keep = np.flatnonzero(s.numbers)[sel]
        part = s.index.take(keep)
        w = gather(s.store, part, s.est_days, evt_days, s.factors)
        fit = models.fit(s.settings.model, w)
        used = np.isfinite(fit.resid_est)
        ei, di = np.nonzero(used)
        table = {
            "event_id": keep[ei],
            "rel_day": s.est_days[di],
            "date": _dates(s.store, part, ei, s.est_days[di]),
            "ret": w.ret_est[ei, di],
            "benchmark_ret": w.bench_est[ei, di],
            "expected": w.ret_est[ei, di] - fit.resid_est[ei, di],
            "resid": fit.resid_est[ei, di],
        }
        if w.factors_est is not None and w.rf_est is not None and s.factors is not None:
            for k, name in enumerate(s.factors.names):
                table[name] = w.factors_est[ei, di, k]
            table["RF"] = w.rf_est[ei, di]
        parts.append(pd.DataFrame(table))
    if not parts:
        return pd.DataFrame(
            columns=["event_id", "rel_day", "date", "ret", "benchmark_ret", "expected", "resid"]
        )
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["event_id", "rel_day"], kind="stable", ignore_index=True)
    out["event_id"] = cats.of(out["event_id"].to_numpy())
    out["date"] = pd.DatetimeIndex(out["date"].to_numpy())
    return out
