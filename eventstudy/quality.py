"""Data-quality checks of one price series against its exchange's calendar.

Pure functions on pandas/numpy: no I/O, no warnings raised. The engine turns
the returned :class:`QualityFlag` objects into notes, warnings or failed
events. Each check is vectorised over the whole series.

Checks (``QualityFlag.kind``)
-----------------------------
``missing_sessions``
    Sessions of the calendar inside ``[start, end]`` without a price.
``nonpositive_price``
    A zero or negative price in any price column.
``stale_prices``
    ``>= STALE_RUN`` consecutive rows with the same adjusted close.
``split_jump``
    A day-over-day gross return :math:`R_t = P_t / P_{t-1}` of the adjusted
    close that looks like an unadjusted split: within ``3 %`` of a split
    ratio :math:`r` (:math:`|R_t / r - 1| \\le 0.03`) or
    :math:`|\\ln R_t| > \\ln 1.8`. A split recorded that day does not excuse
    the jump: adjusted closes should not move by the split ratio.
``not_a_session``
    A price dated on a day that is not a session of the calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

QualityKind = Literal[
    "missing_sessions", "nonpositive_price", "stale_prices", "split_jump", "not_a_session"
]

#: Minimum number of identical consecutive adjusted closes reported as stale.
STALE_RUN = 5
#: Split ratios (new shares per old share and their inverses) matched by jumps.
SPLIT_RATIOS: tuple[float, ...] = (1 / 2, 1 / 3, 1 / 4, 1 / 5, 1 / 10, 2, 3, 4, 5, 10)
#: Relative tolerance when matching a gross return to a split ratio.
SPLIT_TOLERANCE = 0.03
#: Any larger absolute log return is reported too.
MAX_LOG_RETURN = float(np.log(1.8))
_PRICE_COLUMNS = ("adj_close", "close", "open", "high", "low")
_LIST_LIMIT = 10


@dataclass(frozen=True)
class QualityFlag:
    """One data problem found in one ticker's prices.

    Attributes
    ----------
    kind
        Which check found it (see the module docstring).
    ticker
        The series' ticker (``""`` when not given).
    first_date, last_date
        Span of the affected dates.
    detail
        One sentence for reports, naming the dates and values.
    dates
        Every affected date.
    """

    kind: QualityKind
    ticker: str
    first_date: dt.date
    last_date: dt.date
    detail: str
    dates: tuple[dt.date, ...] = ()


def _list(dates: pd.DatetimeIndex) -> str:
    shown = ", ".join(d.date().isoformat() for d in dates[:_LIST_LIMIT])
    more = f" and {len(dates) - _LIST_LIMIT} more" if len(dates) > _LIST_LIMIT else ""
    return shown + more


def _flag(kind: QualityKind, ticker: str, dates: pd.DatetimeIndex, detail: str) -> QualityFlag:
    return QualityFlag(
        kind,
        ticker,
        dates[0].date(),
        dates[-1].date(),
        detail,
        tuple(d.date() for d in dates),
    )


def _as_dates(values: object) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(values)  # type: ignore[arg-type]
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    # Floor through numpy: DatetimeIndex.normalize() infers a frequency, which
    # costs tens of milliseconds per series.
    days = idx.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return pd.DatetimeIndex(days.astype("datetime64[ns]"))


def missing_sessions(
    frame: pd.DataFrame,
    sessions: pd.DatetimeIndex,
    start: dt.date,
    end: dt.date,
    ticker: str = "",
) -> list[QualityFlag]:
    """Sessions in ``[start, end]`` with no adjusted close."""
    sess = _as_dates(sessions)
    sess = sess[(sess >= pd.Timestamp(start)) & (sess <= pd.Timestamp(end))]
    have = _as_dates(frame.index[frame["adj_close"].notna().to_numpy()])
    gone = sess[~sess.isin(have)]
    if len(gone) == 0:
        return []
    detail = f"{len(gone)} session(s) without a price between {start} and {end}: {_list(gone)}"
    return [_flag("missing_sessions", ticker, gone, detail)]


def nonpositive_prices(frame: pd.DataFrame, ticker: str = "") -> list[QualityFlag]:
    """Rows where any price column is zero or negative."""
    cols = [c for c in _PRICE_COLUMNS if c in frame.columns]
    if not cols:
        return []
    values = frame[cols].to_numpy(dtype=float)
    bad = values <= 0  # NaN compares False
    rows = np.asarray(bad.any(axis=1), dtype=bool)
    if not rows.any():
        return []
    dates = _as_dates(frame.index[rows])
    which = sorted({cols[j] for j in np.flatnonzero(bad.any(axis=0))})
    detail = f"zero or negative {', '.join(which)} on {_list(dates)}"
    return [_flag("nonpositive_price", ticker, dates, detail)]


def stale_runs(
    frame: pd.DataFrame, ticker: str = "", min_run: int = STALE_RUN
) -> list[QualityFlag]:
    """Runs of ``>= min_run`` consecutive rows with an identical adjusted close."""
    price = frame["adj_close"].dropna()
    values = price.to_numpy(dtype=float)
    if len(values) < min_run:
        return []
    new_run = np.concatenate([[True], values[1:] != values[:-1]])
    run_id = np.cumsum(new_run) - 1
    lengths = np.bincount(run_id)
    starts = np.flatnonzero(new_run)
    dates = _as_dates(price.index)
    flags = []
    for r in np.flatnonzero(lengths >= min_run):
        first = int(starts[r])
        n = int(lengths[r])
        span = dates[first : first + n]
        detail = (
            f"adj_close {values[first]:g} unchanged on {n} consecutive rows "
            f"{span[0].date()}..{span[-1].date()} (stale quote?)"
        )
        flags.append(_flag("stale_prices", ticker, span, detail))
    return flags


def _ratio_name(r: float) -> str:
    return f"{round(1 / r)}:1 split" if r < 1 else f"1:{round(r)} reverse split"


def split_jumps(frame: pd.DataFrame, ticker: str = "") -> list[QualityFlag]:
    """Day-over-day moves of the adjusted close that look like unadjusted splits."""
    price = frame["adj_close"].dropna()
    price = price[price > 0]
    if len(price) < 2:
        return []
    values = price.to_numpy(dtype=float)
    gross = values[1:] / values[:-1]
    ratios = np.asarray(SPLIT_RATIOS)
    close = np.abs(gross[:, None] / ratios[None, :] - 1.0) <= SPLIT_TOLERANCE
    big = np.abs(np.log(gross)) > MAX_LOG_RETURN
    hit = close.any(axis=1) | big
    if not hit.any():
        return []
    dates = _as_dates(price.index)
    recorded = (
        frame["splits"].reindex(price.index).fillna(0.0).to_numpy(dtype=float)
        if "splits" in frame.columns
        else np.zeros(len(price))
    )
    flags = []
    for i in np.flatnonzero(hit):
        day = dates[i + 1 : i + 2]
        match = np.flatnonzero(close[i])
        looks = (
            f"looks like a {_ratio_name(float(ratios[match[0]]))}"
            if len(match)
            else ("a move larger than a factor of 1.8")
        )
        split = recorded[i + 1]
        why = (
            f"a {split:g}-for-1 split is recorded that day but the adjusted close was not "
            "adjusted for it"
            if split not in (0.0, 1.0)
            else "no split is recorded (unadjusted split or bad data?)"
        )
        detail = (
            f"adj_close {values[i]:g} -> {values[i + 1]:g} on {day[0].date()} "
            f"(x{gross[i]:.3f}) {looks}; {why}"
        )
        flags.append(_flag("split_jump", ticker, day, detail))
    return flags


def off_calendar_dates(
    frame: pd.DataFrame,
    sessions: pd.DatetimeIndex,
    start: dt.date,
    end: dt.date,
    ticker: str = "",
) -> list[QualityFlag]:
    """Price dates in ``[start, end]`` that are not sessions of the calendar."""
    dates = _as_dates(frame.index)
    dates = dates[(dates >= pd.Timestamp(start)) & (dates <= pd.Timestamp(end))]
    odd = dates[~dates.isin(_as_dates(sessions))]
    if len(odd) == 0:
        return []
    detail = f"{len(odd)} price date(s) that are not exchange sessions: {_list(odd)}"
    return [_flag("not_a_session", ticker, odd, detail)]


def check_prices(
    frame: pd.DataFrame,
    sessions: pd.DatetimeIndex,
    start: dt.date,
    end: dt.date,
    ticker: str = "",
) -> list[QualityFlag]:
    """Every check of this module on ``frame`` restricted to ``[start, end]``.

    Parameters
    ----------
    frame
        Prices indexed by date with an ``adj_close`` column (optionally
        ``close, open, high, low`` and ``splits``), as in
        :class:`eventstudy.data.base.PriceSet`.
    sessions
        Session labels of the ticker's exchange covering ``[start, end]``.
    start, end
        The dates the study uses (inclusive).
    ticker
        Copied into each flag.

    Returns
    -------
    list[QualityFlag]
        In check order: missing sessions, non-positive prices, stale runs,
        split-like jumps, off-calendar dates.
    """
    idx = _as_dates(frame.index)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    window = frame.loc[np.asarray((idx >= lo) & (idx <= hi))]
    return [
        *missing_sessions(window, sessions, start, end, ticker),
        *nonpositive_prices(window, ticker),
        *stale_runs(window, ticker),
        *split_jumps(window, ticker),
        *off_calendar_dates(window, sessions, start, end, ticker),
    ]
