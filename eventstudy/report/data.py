"""Per-event slices of a result and the derived series the report draws.

Two derived series are computed here, both from the result's own tables:

* the cross-sectional band of the CAAR: on each relative day ``t``,

  .. math::

      SE_t = \\frac{sd(CAR_i(t))}{\\sqrt{N_t}}, \\qquad
      CAAR_t \\pm t_{N_t - 1, 0.975} \\, SE_t,

  ``CAR_i(t)`` the cumulative AR of event ``i`` from the event-window start
  and ``N_t`` the events with a value that day (sd with ddof 1);
* the standard error of one event's cumulative AR from the event-window
  start, with the full prediction-error covariance of METHODS.md section 4:

  .. math::

      Var(CAR(t_1, t)) = \\sigma^2 \\left(L + s' (X'X)^{-1} s\\right),
      \\qquad s = \\sum_{\\tau = t_1}^{t} x^*_\\tau,

  where ``X`` stacks the estimation-window regressors (rebuilt from
  ``res.estimation``) and ``L = t - t_1 + 1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

_EMPTY = pd.DataFrame()


@dataclass(frozen=True)
class EventData:
    """Everything the report shows about one event.

    Attributes
    ----------
    row
        The event's row of ``res.events``.
    ar, car, estimation
        Its rows of ``res.ar`` (sorted by ``rel_day``), ``res.car`` and
        ``res.estimation`` (possibly empty).
    prices
        Its ticker's price frame, or ``None`` when there are no prices.
    """

    row: pd.Series
    ar: pd.DataFrame
    car: pd.DataFrame
    estimation: pd.DataFrame
    prices: pd.DataFrame | None

    @property
    def event_id(self) -> str:
        return str(self.row["event_id"])


def _lookup_error(res: StudyResult, event_id: str) -> KeyError:
    ids = [str(i) for i in res.events["event_id"].head(5)]
    return KeyError(f"no event {event_id!r} in this result; ids start with {', '.join(ids)}")


def event_data(res: StudyResult, event_id: str) -> EventData:
    """Slice ``res`` for one event (raises ``KeyError`` for an unknown id)."""
    ev = res.events
    rows = ev[ev["event_id"].astype(str) == str(event_id)]
    if rows.empty:
        raise _lookup_error(res, str(event_id))
    row = rows.iloc[0]

    def pick(df: pd.DataFrame) -> pd.DataFrame:
        if df.empty or "event_id" not in df:
            return _EMPTY
        return df[df["event_id"].astype(str) == str(event_id)]

    return EventData(row, _sorted(pick(res.ar)), pick(res.car), pick(res.estimation),
                     res.prices.get(str(row["ticker"])))


def _sorted(ar: pd.DataFrame) -> pd.DataFrame:
    return ar.sort_values("rel_day") if not ar.empty else ar


def _groups(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if df.empty or "event_id" not in df:
        return {}
    return {str(k): g for k, g in df.groupby("event_id", sort=False)}


def iter_event_data(res: StudyResult, event_ids: set[str] | None = None) -> Iterator[EventData]:
    """:class:`EventData` of every event (or of ``event_ids``), grouping each table once."""
    ar, car, est = _groups(res.ar), _groups(res.car), _groups(res.estimation)
    for _, row in res.events.iterrows():
        eid = str(row["event_id"])
        if event_ids is not None and eid not in event_ids:
            continue
        yield EventData(row, _sorted(ar.get(eid, _EMPTY)), car.get(eid, _EMPTY),
                        est.get(eid, _EMPTY), res.prices.get(str(row["ticker"])))


def caar_band(res: StudyResult, level: float = 0.95) -> pd.DataFrame:
    """CAAR per relative day with its cross-sectional standard error and band.

    Returns
    -------
    DataFrame
        ``rel_day, n, caar, se, crit, lower, upper``; ``caar`` is ``res.aar``'s
        and ``se = sd(CAR_i(t)) / sqrt(N_t)``; no band where ``N_t < 2``.
    """
    aar = res.aar
    if aar.empty:
        return pd.DataFrame(columns=["rel_day", "n", "caar", "se", "crit", "lower", "upper"])
    out = aar[["rel_day", "n", "caar"]].copy()
    if res.ar.empty:
        cs = pd.DataFrame(columns=["count", "std"], index=pd.Index([], name="rel_day"))
    else:
        cs = res.ar.groupby("rel_day")["car"].agg(["count", "std"])
    count = out["rel_day"].map(cs["count"]).fillna(0).to_numpy(float)
    sd = out["rel_day"].map(cs["std"]).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(count >= 2, sd / np.sqrt(count), np.nan)
        crit = np.where(count >= 2, stats.t.ppf(0.5 + level / 2, np.maximum(count - 1, 1)), np.nan)
    out["se"] = se
    out["crit"] = crit
    out["lower"] = out["caar"] - crit * se
    out["upper"] = out["caar"] + crit * se
    return out


Columns = pd.DataFrame | dict[str, np.ndarray]


def _factor_column(frame: Columns, name: str) -> str | None:
    for c in (name, name.lower()):
        if c in frame:
            return c
    return None


def _col(frame: Columns, name: str) -> np.ndarray:
    return np.asarray(frame[name], dtype=float)


def regressors(model: str, frame: Columns) -> np.ndarray | None:
    """The model's regressors ``x_t`` rebuilt from a frame of ``res.estimation`` or ``res.ar``.

    ``market``: ``[1, benchmark_ret]``; ``constant_mean``: ``[1]``;
    ``market_adjusted``: none (an ``(L, 0)`` array); factor models: ``[1, factors]``
    when the frame carries the factor columns, else ``None`` (not recoverable).
    """
    from eventstudy.settings import FACTOR_MODELS

    n = len(frame["ret"])
    if model == "market":
        return np.column_stack([np.ones(n), _col(frame, "benchmark_ret")])
    if model == "constant_mean":
        return np.ones((n, 1))
    if model == "market_adjusted":
        return np.zeros((n, 0))
    cols = [_factor_column(frame, f) for f in FACTOR_MODELS.get(model, ())]
    if not cols or any(c is None for c in cols):
        return None
    return np.column_stack([np.ones(n), *(_col(frame, c) for c in cols if c)])


@dataclass(frozen=True)
class CarSE:
    """SE of the cumulative CAR per relative day, and whether it is exact."""

    se: pd.Series
    exact: bool


def car_se_path(ed: EventData, model: str, event_days: list[int]) -> CarSE:
    """SE of the event's CAR cumulated from the event-window start, per relative day.

    Uses ``res.ar``'s ``car_se`` column when the engine provides it, else the
    full covariance ``V = sigma^2 (I + X* (X'X)^-1 X*')`` rebuilt from the
    estimation rows (see the module docstring). When the regressors cannot be
    rebuilt (a factor model without factor columns), falls back on
    ``sqrt(sum SE(AR)^2)``, which ignores the covariance (``exact=False``).
    Days after a missing AR have no CAR and no SE.
    """
    index = pd.Index(event_days, name="rel_day")
    empty = CarSE(pd.Series(np.nan, index=index), True)
    if ed.ar.empty:
        return empty
    ar = aligned(ed.ar, event_days)
    if "car_se" in ar:
        return CarSE(pd.Series(ar["car_se"], index=index), True)
    ok = np.isfinite(ar["ar"])
    broken = np.cumsum(~ok) > 0  # a missing AR breaks the cumulation, as in the CAR
    sigma = fmt_float(ed.row.get("sigma"))
    x_evt = regressors(model, ar)
    x_est = regressors(model, ed.estimation) if not ed.estimation.empty else None
    if x_evt is None or x_est is None or not np.isfinite(sigma):
        se = np.sqrt(np.cumsum(np.where(ok, ar["se"] ** 2, 0.0)))
        return CarSE(pd.Series(np.where(broken, np.nan, se), index=index), False)
    length = np.arange(1, len(index) + 1, dtype=float)
    quad = np.zeros(len(index))
    if x_evt.shape[1]:
        try:
            xtx_inv = np.linalg.inv(x_est.T @ x_est)
        except np.linalg.LinAlgError:
            return empty
        s = np.cumsum(np.where(ok[:, None], np.nan_to_num(x_evt), 0.0), axis=0)
        quad = np.einsum("tk,kl,tl->t", s, xtx_inv, s)
    se = sigma * np.sqrt(length + quad)
    return CarSE(pd.Series(np.where(broken, np.nan, se), index=index), True)


def aligned(ar: pd.DataFrame, event_days: list[int]) -> dict[str, np.ndarray]:
    """Numeric columns of one event's ``res.ar`` rows on the full event window (NaN gaps)."""
    pos = ar["rel_day"].to_numpy(int) - event_days[0]
    keep = (pos >= 0) & (pos < len(event_days))
    out: dict[str, np.ndarray] = {}
    for c in ar.columns:
        if c in ("event_id", "rel_day", "date"):
            continue
        try:
            values = ar[c].to_numpy(float)
        except (TypeError, ValueError):
            continue
        col = np.full(len(event_days), np.nan)
        col[pos[keep]] = values[keep]
        out[c] = col
    return out


def fmt_float(x: object) -> float:
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
    return v


def window_dates(ed: EventData, estimation_window: tuple[int, int],
                 event_window: tuple[int, int]) -> dict[str, pd.Timestamp | None]:
    """Calendar dates of the window edges of one event (sessions of its exchange).

    Keys ``est_start, est_end, evt_start, evt_end``; ``None`` where unknown.
    """
    out: dict[str, pd.Timestamp | None] = dict.fromkeys(
        ("est_start", "est_end", "evt_start", "evt_end"))
    day0 = ed.row.get("day0")
    if day0 is None or pd.isna(day0):
        return out
    try:
        from eventstudy.event_time import sessions

        cal = sessions(str(ed.row.get("exchange") or "XNYS"))
        p0 = int(cal.searchsorted(pd.Timestamp(day0)))
        offsets = {"est_start": estimation_window[0], "est_end": estimation_window[1],
                   "evt_start": event_window[0], "evt_end": event_window[1]}
        for key, off in offsets.items():
            if 0 <= p0 + off < len(cal):
                out[key] = pd.Timestamp(cal[p0 + off])
    except Exception:  # no calendar: fall back on the dates in the data
        if not ed.estimation.empty:
            est_dates = ed.estimation["date"]
            out["est_start"], out["est_end"] = est_dates.min(), est_dates.max()
        if not ed.ar.empty:
            out["evt_start"], out["evt_end"] = ed.ar["date"].min(), ed.ar["date"].max()
    return out
