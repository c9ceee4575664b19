"""Abnormal trading volume: the mean-adjusted log-volume model of Campbell & Wasley (1996).

For event ``i`` with daily share volume ``V_it`` (from the price provider):

.. math::

    v_{it} = \\ln(1 + V_{it}), \\qquad AV_{it} = v_{it} - \\bar v_i, \\qquad
    t_{it} = AV_{it} / s_i

with ``v-bar_i`` and ``s_i`` (ddof 1) the mean and SD of ``v`` over the
event's estimation-window sessions with a volume (at least 30). Per
relative day, the cross-section: ``n``, the mean ``AAV_t``, its
cross-sectional t (t, n - 1) and Campbell & Wasley's portfolio test
``AAV_t / S`` with ``S`` the time-series SD (ddof 1) of the mean abnormal log
volume over the estimation window's relative days (t, T - 1). Events whose
provider gives no volume are listed with ``note``. ``volume.csv``,
``volume_tests.csv``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["MIN_DAYS", "volume_tables"]

#: Fewest estimation-window sessions with a volume for an abnormal volume.
MIN_DAYS = 30
NO_VOLUME = "no volume from the price provider"
FEW = f"fewer than {MIN_DAYS} estimation sessions with a volume"


def _volume(frame: pd.DataFrame | None, dates: np.ndarray) -> np.ndarray:
    if frame is None or "volume" not in frame or frame.empty:
        return np.full(len(dates), np.nan)
    s = frame["volume"]
    idx = pd.DatetimeIndex(frame.index)
    pos = idx.get_indexer(pd.DatetimeIndex(dates))
    vals = s.to_numpy(dtype=float, na_value=np.nan)
    out = np.where(pos >= 0, vals[np.maximum(pos, 0)], np.nan)
    return np.where(out >= 0, out, np.nan)


def volume_tables(
    events: pd.DataFrame,
    ar: pd.DataFrame,
    estimation: pd.DataFrame,
    prices: Mapping[str, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per event and event day, per relative day) tables of abnormal log volume."""
    cols = ["event_id", "rel_day", "date", "volume", "log_volume", "abnormal_log_volume", "t"]
    ticker = events.set_index(events["event_id"].astype(str))["ticker"].astype(str)
    per_event, est_means = [], []
    # Each event's estimation rows, found once (not one scan of the table per event).
    est_ids = estimation["event_id"].astype(str).to_numpy()
    est_rows = pd.Series(np.arange(len(est_ids))).groupby(est_ids, sort=False).indices
    est_dates, est_days = estimation["date"].to_numpy(), estimation["rel_day"].to_numpy()
    for eid, g in ar.groupby(ar["event_id"].astype(str), sort=False, observed=True):
        sym = str(ticker.get(eid, ""))
        frame = prices.get(sym)
        rows = est_rows.get(eid, np.zeros(0, np.int64))
        v_est = np.log1p(_volume(frame, est_dates[rows]))
        v_evt = np.log1p(_volume(frame, g["date"].to_numpy()))
        ok = np.isfinite(v_est)
        note = ""
        if (
            frame is None
            or "volume" not in frame
            or (not np.isfinite(v_evt).any() and not ok.any())
        ):
            note = NO_VOLUME
        elif ok.sum() < MIN_DAYS:
            note = FEW
        if note:
            mean, sd = np.nan, np.nan
        else:
            mean, sd = float(np.mean(v_est[ok])), float(np.std(v_est[ok], ddof=1))
            est_means.append(pd.Series(v_est - mean, index=est_days[rows], name=eid))
        av = v_evt - mean
        with np.errstate(invalid="ignore", divide="ignore"):
            t = av / sd
        per_event.append(
            pd.DataFrame(
                {
                    "event_id": eid,
                    "rel_day": g["rel_day"].to_numpy(),
                    "date": g["date"].to_numpy(),
                    "volume": np.expm1(v_evt),
                    "log_volume": v_evt,
                    "abnormal_log_volume": av,
                    "t": t,
                    "note": note,
                }
            )
        )
    table = pd.concat(per_event, ignore_index=True) if per_event else pd.DataFrame(columns=cols)
    return table, _cross_section(table, est_means)


def _cross_section(table: pd.DataFrame, est: list[pd.Series]) -> pd.DataFrame:
    out_cols = ["rel_day", "n", "mean_abnormal_log_volume", "t_cs", "p_cs", "t_cw", "p_cw"]
    if table.empty:
        return pd.DataFrame(columns=out_cols)
    if est:
        aav_est = pd.concat(est, axis=1).mean(axis=1, skipna=True)
        s = float(np.std(aav_est.dropna().to_numpy(), ddof=1))
        t_len = int(aav_est.notna().sum())
    else:
        s, t_len = np.nan, 0
    rows = []
    for day, g in table.groupby("rel_day", sort=True):
        x = g["abnormal_log_volume"].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        n = len(x)
        mean = float(np.mean(x)) if n else np.nan
        with np.errstate(invalid="ignore", divide="ignore"):
            t_cs = mean / (np.std(x, ddof=1) / np.sqrt(n)) if n >= 2 else np.nan
            t_cw = mean / s if n and t_len >= 2 else np.nan
        rows.append(
            {
                "rel_day": int(str(day)),
                "n": n,
                "mean_abnormal_log_volume": mean,
                "t_cs": t_cs,
                "p_cs": 2 * stats.t.sf(abs(t_cs), n - 1) if np.isfinite(t_cs) else np.nan,
                "t_cw": t_cw,
                "p_cw": 2 * stats.t.sf(abs(t_cw), t_len - 1) if np.isfinite(t_cw) else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=out_cols)
