"""Stacked event windows: one row per event, one column per relative day.

The engine never loops over events to compute numbers. This module gathers,
for every event at once, the stock and benchmark returns of the estimation
and event windows from per-calendar return matrices (fancy indexing), giving
``(n_events, n_days)`` arrays with NaN where a return is missing or the
session lies outside the data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy.returns import foreign_returns_on_sessions, session_returns

SessionsFor = Callable[[str], pd.DatetimeIndex]


@dataclass(frozen=True)
class EventPanel:
    """Returns of every event's windows, stacked.

    Attributes
    ----------
    event_ids : (N,) event ids in row order
    est_days, evt_days : relative days of the estimation / event window
    ret_est, bench_est : (N, Le) stock / benchmark returns, estimation window
    ret_evt, bench_evt : (N, Lw) stock / benchmark returns, event window
    dates_est, dates_evt : session dates (``datetime64[ns]``, NaT outside the calendar)
    observed_evt : (N, Lw) True where the session is on or before the last
        available session of the event's data (rows that exist in ``ar.csv``)
    est_complete : (N,) True when the estimation window ends on or before the
        last available session
    calendar_id, day0_pos : (N,) an id of the event's exchange calendar and the
        position of day 0 among its sessions (events on one calendar are
        ``day0_pos`` differences apart, which aligns their windows)
    factors_est, factors_evt : (N, L, F) factor returns on each session date
        (factor models only), ``rf_est``, ``rf_evt`` (N, L) the risk-free rate
    """

    event_ids: np.ndarray
    est_days: np.ndarray
    evt_days: np.ndarray
    ret_est: np.ndarray
    bench_est: np.ndarray
    ret_evt: np.ndarray
    bench_evt: np.ndarray
    dates_est: np.ndarray
    dates_evt: np.ndarray
    observed_evt: np.ndarray
    est_complete: np.ndarray
    calendar_id: np.ndarray
    day0_pos: np.ndarray
    factors_est: np.ndarray | None = None
    factors_evt: np.ndarray | None = None
    rf_est: np.ndarray | None = None
    rf_evt: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.event_ids)


@dataclass(frozen=True)
class PanelRequest:
    """One event to stack: which series, which calendar, which day 0."""

    event_id: str
    ticker: str
    benchmark: str
    mic: str
    benchmark_mic: str
    day0: pd.Timestamp


def _span(sessions: pd.DatetimeIndex, day0s: pd.DatetimeIndex, first: int, last: int):
    """Slice bounds of ``sessions`` covering every window (plus one session before)."""
    p0 = sessions.get_indexer(day0s)
    if (p0 < 0).any():
        bad = day0s[p0 < 0][0]
        raise ValueError(f"day 0 {bad.date()} is not a session of the calendar")
    lo = max(int(p0.min()) + first - 1, 0)
    hi = min(int(p0.max()) + last, len(sessions) - 1)
    return p0, lo, hi


def _series_returns(
    prices: pd.Series,
    own_mic: str,
    target: pd.DatetimeIndex,
    target_mic: str,
    sessions_for: SessionsFor,
    return_type: str,
) -> np.ndarray:
    """Returns of ``prices`` on the ``target`` sessions (computed on its own calendar)."""
    if own_mic == target_mic:
        return session_returns(prices, target, return_type)
    own = sessions_for(own_mic)
    a = max(int(own.searchsorted(target[0])) - 1, 0)
    b = int(own.searchsorted(target[-1], side="right"))
    own_sub = own[a:b]
    return foreign_returns_on_sessions(
        session_returns(prices, own_sub, return_type), own_sub, target
    )


def _last_position(prices: pd.Series, target: pd.DatetimeIndex) -> int:
    """Position in ``target`` of the last session on or before the last price."""
    finite = prices.dropna()
    if finite.empty:
        return -1
    last = pd.Timestamp(finite.index.max())
    return int(target.searchsorted(last, side="right")) - 1


def build_panel(
    requests: Sequence[PanelRequest],
    prices: dict[str, pd.Series],
    est_window: tuple[int, int],
    evt_window: tuple[int, int],
    sessions_for: SessionsFor,
    return_type: str = "simple",
    use_benchmark: bool = True,
) -> EventPanel:
    """Stack the windows of ``requests`` (each ticker and benchmark in ``prices``).

    Relative day ``r`` of an event is session ``p0 + r`` of its exchange
    calendar, ``p0`` the position of day 0.
    """
    est_days = np.arange(est_window[0], est_window[1] + 1)
    evt_days = np.arange(evt_window[0], evt_window[1] + 1)
    n, le, lw = len(requests), len(est_days), len(evt_days)
    out = {
        "ret_est": np.full((n, le), np.nan),
        "bench_est": np.full((n, le), np.nan),
        "ret_evt": np.full((n, lw), np.nan),
        "bench_evt": np.full((n, lw), np.nan),
        "dates_est": np.full((n, le), np.datetime64("NaT"), dtype="datetime64[ns]"),
        "dates_evt": np.full((n, lw), np.datetime64("NaT"), dtype="datetime64[ns]"),
        "observed_evt": np.zeros((n, lw), dtype=bool),
        "est_complete": np.zeros(n, dtype=bool),
        "calendar_id": np.full(n, -1, dtype=np.int64),
        "day0_pos": np.zeros(n, dtype=np.int64),
    }
    frame = pd.DataFrame(
        {
            "row": np.arange(n),
            "mic": [r.mic for r in requests],
            "ticker": [r.ticker for r in requests],
            "benchmark": [r.benchmark for r in requests],
            "bmic": [r.benchmark_mic for r in requests],
            "day0": pd.DatetimeIndex([r.day0 for r in requests]).as_unit("ns"),
        }
    )
    for cal_id, (mic, grp) in enumerate(frame.groupby("mic", sort=True)):
        out["calendar_id"][grp["row"].to_numpy()] = cal_id
        _fill_group(
            str(mic), grp, prices, est_days, evt_days, sessions_for, return_type, use_benchmark, out
        )
    return EventPanel(
        event_ids=np.array([r.event_id for r in requests], dtype=object),
        est_days=est_days,
        evt_days=evt_days,
        **out,
    )


def _fill_group(
    mic: str,
    grp: pd.DataFrame,
    prices: dict[str, pd.Series],
    est_days: np.ndarray,
    evt_days: np.ndarray,
    sessions_for: SessionsFor,
    return_type: str,
    use_benchmark: bool,
    out: dict[str, np.ndarray],
) -> None:
    """Fill the rows of one exchange calendar's events into ``out``."""
    sessions = sessions_for(mic)
    day0s = pd.DatetimeIndex(grp["day0"])
    p0, lo, hi = _span(sessions, day0s, int(est_days[0]), int(evt_days[-1]))
    sub = sessions[lo : hi + 1]
    rows = grp["row"].to_numpy()
    out["day0_pos"][rows] = p0
    p0 = p0 - lo

    stocks = list(dict.fromkeys(grp["ticker"]))
    benches = list(dict.fromkeys(zip(grp["benchmark"], grp["bmic"], strict=True)))
    stock_ret = {t: session_returns(prices[t], sub, return_type) for t in stocks}
    bench_ret = {
        b: _series_returns(prices[b], bm, sub, mic, sessions_for, return_type)
        for b, bm in benches
        if b in prices
    }
    last_pos = {t: _last_position(prices[t], sub) for t in stocks}
    last_pos.update({b: _last_position(prices[b], sub) for b, _ in benches if b in prices})

    stock_mat = np.column_stack([stock_ret[t] for t in stocks])
    s_col = np.array([stocks.index(t) for t in grp["ticker"]])
    bnames = [b for b, _ in benches if b in bench_ret]
    bench_mat = (
        np.column_stack([bench_ret[b] for b in bnames])
        if bnames
        else np.full((len(sub), 1), np.nan)
    )
    b_col = np.array([bnames.index(b) if b in bench_ret else -1 for b in grp["benchmark"]])
    last = np.array([last_pos[t] for t in grp["ticker"]])
    if use_benchmark:
        blast = np.array([last_pos.get(b, -1) for b in grp["benchmark"]])
        last = np.minimum(last, blast)

    sub_dates = sub.to_numpy(dtype="datetime64[ns]")
    for days, key in ((est_days, "est"), (evt_days, "evt")):
        pos = p0[:, None] + days[None, :]
        inside = (pos >= 0) & (pos < len(sub))
        safe = np.where(inside, pos, 0)
        r = np.where(inside, stock_mat[safe, s_col[:, None]], np.nan)
        b = np.where(
            inside & (b_col[:, None] >= 0), bench_mat[safe, np.maximum(b_col, 0)[:, None]], np.nan
        )
        d = np.where(inside, sub_dates[safe], np.datetime64("NaT"))
        out[f"ret_{key}"][rows] = r
        out[f"bench_{key}"][rows] = b
        out[f"dates_{key}"][rows] = d
        if key == "evt":
            out["observed_evt"][rows] = inside & (pos <= last[:, None])
        else:
            out["est_complete"][rows] = (p0 + days[-1]) <= last


def _on_dates(frame: pd.DataFrame, column: str, dates: np.ndarray) -> np.ndarray:
    """Values of ``frame[column]`` on ``dates`` (NaN where the frame has no row)."""
    idx = pd.DatetimeIndex(frame.index).as_unit("ns")
    pos = idx.get_indexer(pd.DatetimeIndex(dates.ravel()))
    values = frame[column].to_numpy(dtype="float64", na_value=np.nan)
    out = np.where(pos >= 0, values[np.maximum(pos, 0)], np.nan)
    return out.reshape(dates.shape)


def attach_factors(panel: EventPanel, factors: pd.DataFrame, names: Sequence[str]) -> EventPanel:
    """Add factor returns and the risk-free rate on every window date (by calendar date).

    Sessions after the factors' last date count as not yet available, so an
    event whose window reaches past them is ``pending``, like one whose prices
    end too early.
    """
    last = np.datetime64(pd.DatetimeIndex(factors.index).max().as_unit("ns").to_datetime64())
    fe = np.stack([_on_dates(factors, n, panel.dates_est) for n in names], axis=2)
    fw = np.stack([_on_dates(factors, n, panel.dates_evt) for n in names], axis=2)
    return dataclasses.replace(
        panel,
        factors_est=fe,
        factors_evt=fw,
        rf_est=_on_dates(factors, "RF", panel.dates_est),
        rf_evt=_on_dates(factors, "RF", panel.dates_evt),
        observed_evt=panel.observed_evt & (panel.dates_evt <= last),
        est_complete=panel.est_complete & (panel.dates_est[:, -1] <= last),
    )
