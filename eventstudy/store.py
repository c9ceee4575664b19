"""Prices and returns on each exchange calendar's sessions: the one home of the data path.

Built once per study from the columnar :class:`~eventstudy.data.table.PriceTable`
by factorize/scatter, with no DataFrame per ticker. For every calendar, each
series (a stock, a benchmark on that calendar, or a benchmark of another
calendar re-indexed onto this one) is a run of consecutive sessions, from its
first to its last price, held in one flat array (a ragged sessions x series
matrix; dense when every series spans the same sessions):

.. math:: R_t = P_t / P_{t-1} - 1 \\quad (\\text{or } \\ln(P_t / P_{t-1}))

between consecutive sessions *of the calendar*, never consecutive rows of the
data: a missing price makes that session's and the next session's return
missing; nothing is forward-filled or lumped across a gap. A benchmark on
another calendar contributes its return over its own previous session on the
dates it traded (NaN on the others). Every later stage (panel, fits, data
checks, reports) reads from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from eventstudy.data import table as price_rows
from eventstudy.data.table import PriceTable

SessionsFor = Callable[[str], pd.DatetimeIndex]


def foreign_name(symbol: str, mic: str) -> str:
    """Name of ``symbol``'s series re-indexed onto calendar ``mic``."""
    return f"{symbol}@{mic}"


@dataclass
class CalendarSeries:
    """Every series on one calendar: ragged runs of sessions in flat arrays.

    Attributes
    ----------
    mic : the calendar code
    sessions : (S,) ``datetime64[ns]`` every session label of the calendar
    names : series names (``ticker``, or ``foreign_name(benchmark, mic)``)
    first, length, offset : (C,) int64 absolute session position of each series'
        first session, its number of sessions and its start in the flat arrays
    last : (C,) int64 position of the last session with a price (-1: none)
    prices, returns : (F,) float64 flat arrays (NaN where missing)
    """

    mic: str
    sessions: np.ndarray
    names: list[str] = field(default_factory=list)
    first: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    length: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    offset: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    last: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    prices: np.ndarray = field(default_factory=lambda: np.zeros(0))
    returns: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def column(self, name: str) -> int:
        """Position of series ``name`` (-1 when absent)."""
        return self._index.get(name, -1)

    def columns(self, names: Iterable[str]) -> np.ndarray:
        return np.array([self._index.get(n, -1) for n in names], dtype=np.int64)

    def append(
        self,
        names: list[str],
        first: np.ndarray,
        length: np.ndarray,
        last: np.ndarray,
        prices: np.ndarray,
        returns: np.ndarray,
    ) -> None:
        """Add series (their flat values concatenated in ``names`` order)."""
        base = len(self.prices)
        offset = base + np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)
        for k, n in enumerate(names):
            self._index[n] = len(self.names) + k
        self.names += names
        self.first = np.concatenate([self.first, first.astype(np.int64)])
        self.length = np.concatenate([self.length, length.astype(np.int64)])
        self.offset = np.concatenate([self.offset, offset])
        self.last = np.concatenate([self.last, last.astype(np.int64)])
        # The first series are taken as they are (a copy of 27 M rows costs 0.3 s).
        self.prices = np.concatenate([self.prices, prices]) if base else prices
        self.returns = np.concatenate([self.returns, returns]) if base else returns

    def _flat_index(self, cols: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cols = np.asarray(cols, dtype=np.int64)
        safe = np.maximum(cols, 0)
        shape = (len(cols),) + (1,) * (pos.ndim - 1)
        rel = pos - self.first[safe].reshape(shape)
        ok = (rel >= 0) & (rel < self.length[safe].reshape(shape)) & (cols >= 0).reshape(shape)
        return np.where(ok, self.offset[safe].reshape(shape) + rel, 0), ok

    def gather(self, cols: np.ndarray, pos: np.ndarray, what: str = "returns") -> np.ndarray:
        """Values of series ``cols[i]`` at session positions ``pos[i, :]`` (NaN outside)."""
        values = self.returns if what == "returns" else self.prices
        if not len(values):
            return np.full(pos.shape, np.nan)
        idx, ok = self._flat_index(cols, pos)
        out = values[idx]
        out[~ok] = np.nan
        return out

    def series(self, name: str, what: str = "prices") -> pd.Series:
        """One series on its sessions (for reports and tests)."""
        k = self.column(name)
        if k < 0:
            raise KeyError(name)
        a, n = int(self.offset[k]), int(self.length[k])
        values = (self.prices if what == "prices" else self.returns)[a : a + n]
        f = int(self.first[k])
        return pd.Series(values, index=pd.DatetimeIndex(self.sessions[f : f + n], name="date"))


def _session_days(sessions: pd.DatetimeIndex) -> np.ndarray:
    return sessions.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def _returns(prices: np.ndarray, starts: np.ndarray, return_type: str) -> np.ndarray:
    """``P_t / P_{t-1} - 1`` (or ``log(P_t / P_{t-1})``) along the flat prices; NaN at
    each series' first session. Computed in place (no temporaries of the full length)."""
    out = np.empty(len(prices))
    if len(out):
        out[0] = np.nan
    if len(prices) > 1:
        tail = out[1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(prices[1:], prices[:-1], out=tail)
            if return_type == "log":
                np.log(tail, out=tail)
            else:
                np.subtract(tail, 1.0, out=tail)
    out[starts[starts < len(out)]] = np.nan  # the first session of each series
    return out


@dataclass(frozen=True)
class OffCalendar:
    """Price rows dated on a non-session of the ticker's calendar (ignored for returns)."""

    ticker: str
    dates: np.ndarray  # datetime64[D]


def _session_lut(sessions_d: np.ndarray) -> tuple[np.ndarray, int]:
    """``(lut, s0)``: ``lut[day - s0]`` is the position of day number ``day`` among the
    (ascending, non-empty) sessions, -1 for a calendar day that is not one."""
    s = sessions_d.astype("datetime64[D]").view(np.int64)
    lut = np.full(int(s[-1] - s[0]) + 1, -1, np.int64)
    lut[s - s[0]] = np.arange(len(s))
    return lut, int(s[0])


def _session_positions(sessions_d: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Position of each date among the (ascending) sessions, -1 for a non-session.

    One lookup table over the calendar days the sessions span (a gather per
    date, not a binary search).
    """
    out = np.full(len(dates), -1, np.int64)
    if not len(sessions_d) or not len(dates):
        return out
    lut, s0 = _session_lut(sessions_d)
    rel = dates.astype("datetime64[D]", copy=False).view(np.int64) - s0
    inside = (rel >= 0) & (rel < len(lut))
    if inside.all():
        return lut[rel]
    out[inside] = lut[rel[inside]]
    return out


def _scatter_gapless(table: PriceTable, sessions_d: np.ndarray, return_type: str):
    """:func:`_scatter` of every ticker when each one's rows are consecutive sessions
    (no gap, no non-session date): the flat prices are the table's own column, in
    its order. ``None`` otherwise.

    Rows are unique and ascending per ticker, so they are its consecutive
    sessions exactly when every row is a session and the count of rows equals
    ``last - first + 1`` in session positions.
    """
    starts = table.starts
    if not len(table.dates) or not len(sessions_d):
        return None
    lut, s0 = _session_lut(sessions_d)
    day = table.dates.astype("datetime64[D]", copy=False).view(np.int64)
    rel = day[np.r_[starts[:-1], starts[1:] - 1]] - s0  # each ticker's first and last row
    if not ((rel >= 0) & (rel < len(lut))).all():
        return None
    first, last = np.split(lut[rel], 2)
    if not ((first >= 0).all() and (last >= 0).all()):
        return None
    length = last - first + 1
    if not (length == np.diff(starts)).all():
        return None
    block = price_rows.ROW_BLOCK
    for a in range(0, len(day), block):
        # Inside [first, last] of its ticker, so inside the table's span.
        if (lut[day[a : a + block] - s0] < 0).any():
            return None
    adj = table.values["adj_close"]
    # The table's own column is shared (neither is written to); a view of the
    # caller's memory (a DataFrame's column) is copied, as the scatter would.
    own = adj.dtype == np.float64 and adj.flags.owndata
    prices = adj if own else np.array(adj, dtype=np.float64)
    offset = starts[:-1].astype(np.int64)
    returns = _returns(prices, offset, return_type)
    return first, length, last, prices, returns, []


def _scatter(table: PriceTable, codes: np.ndarray, sessions_d: np.ndarray, return_type: str):
    """Ragged runs of ``codes``' prices on ``sessions_d`` (positions, flat arrays, misfits)."""
    rows: np.ndarray | slice
    if len(codes) == len(table.tickers):  # every ticker (one calendar): the rows as they are
        done = _scatter_gapless(table, sessions_d, return_type)
        if done is not None:
            return done
        rows, dates = slice(None), table.dates
        pos = _session_positions(sessions_d, dates)
        owner = table.codes
    else:
        counts = table.starts[codes + 1] - table.starts[codes]
        owner = np.repeat(np.arange(len(codes)), counts)
        rows = (
            table.starts[codes][owner]
            + np.arange(int(counts.sum()))
            - np.repeat(np.cumsum(counts) - counts, counts)
        )
        dates = table.dates[rows]
        pos = _session_positions(sessions_d, dates)
    match = pos >= 0
    misfit = []
    if not match.all():
        bad_owner, bad_dates = owner[~match], dates[~match]
        cuts = np.flatnonzero(np.r_[True, bad_owner[1:] != bad_owner[:-1]])
        for a, b in zip(cuts, np.r_[cuts[1:], len(bad_owner)], strict=True):
            misfit.append((int(codes[bad_owner[a]]), bad_dates[a:b]))
        keep = np.flatnonzero(match) if isinstance(rows, slice) else rows[match]
        rows, owner, pos = keep, owner[match], pos[match]
    n = len(codes)
    first = np.full(n, 0, np.int64)
    last = np.full(n, -1, np.int64)
    has = np.bincount(owner, minlength=n) > 0
    if len(owner):
        # rows are ascending in date within each ticker, so the ends are the first/last row
        bounds = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        first[owner[bounds]] = pos[bounds]
        ends = np.r_[bounds[1:], len(owner)] - 1
        last[owner[ends]] = pos[ends]
    length = np.where(has, last - first + 1, 0)
    offset = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)
    prices = np.full(int(length.sum()), np.nan)
    prices[offset[owner] + pos - first[owner]] = table.values["adj_close"][rows]
    returns = _returns(prices, offset[has], return_type)
    return first, length, last, prices, returns, misfit


@dataclass
class PriceStore:
    """The prices of a study on each calendar it uses (see the module docstring).

    Attributes
    ----------
    calendars : mic -> :class:`CalendarSeries`
    home : ticker -> the mic of the calendar its own series lives on
    off_calendar : price rows dated on non-sessions, per ticker (for the data checks)
    return_type : ``simple`` or ``log``
    """

    calendars: dict[str, CalendarSeries]
    home: dict[str, str]
    off_calendar: list[OffCalendar]
    return_type: str

    @classmethod
    def build(
        cls,
        table: PriceTable,
        mic_of: Mapping[str, str],
        sessions_for: SessionsFor,
        foreign: Iterable[tuple[str, str]] = (),
        return_type: str = "simple",
    ) -> PriceStore:
        """Scatter ``table`` onto each ticker's calendar (``mic_of[ticker]``) and add the
        ``foreign`` pairs ``(benchmark, target mic)`` re-indexed onto ``target mic``."""
        tickers = table.tickers.astype(str)
        mics = np.array([mic_of.get(t, "XNYS") for t in tickers], dtype=object)
        calendars: dict[str, CalendarSeries] = {}
        misfits: list[OffCalendar] = []
        home: dict[str, str] = {}
        for mic in sorted(set(mics.tolist())):
            codes = np.flatnonzero(mics == mic)
            sessions = sessions_for(mic)
            days = _session_days(sessions)
            first, length, last, prices, returns, bad = _scatter(table, codes, days, return_type)
            cal = CalendarSeries(mic, sessions.to_numpy(dtype="datetime64[ns]"))
            cal.append([tickers[c] for c in codes], first, length, last, prices, returns)
            calendars[mic] = cal
            home.update({tickers[c]: mic for c in codes})
            misfits += [OffCalendar(tickers[c], d) for c, d in bad]
        store = cls(calendars, home, misfits, return_type)
        for symbol, target in dict.fromkeys(foreign):
            store._add_foreign(symbol, target, sessions_for)
        return store

    def _add_foreign(self, symbol: str, target: str, sessions_for: SessionsFor) -> None:
        own_mic = self.home.get(symbol)
        if own_mic is None or own_mic == target:
            return
        own = self.calendars[own_mic]
        k = own.column(symbol)
        if target not in self.calendars:
            self.calendars[target] = CalendarSeries(
                target, sessions_for(target).to_numpy(dtype="datetime64[ns]")
            )
        cal = self.calendars[target]
        if int(own.length[k]) == 0:
            return
        own_days = own.sessions.astype("datetime64[D]")
        tgt_days = cal.sessions.astype("datetime64[D]")
        f, n = int(own.first[k]), int(own.length[k])
        lo = int(np.searchsorted(tgt_days, own_days[f]))
        hi = int(np.searchsorted(tgt_days, own_days[f + n - 1], side="right"))
        pos = np.searchsorted(own_days, tgt_days[lo:hi])
        ok = (pos >= f) & (pos < f + n)
        ok[ok] = own_days[pos[ok]] == tgt_days[lo:hi][ok]
        a = int(own.offset[k])
        ret = np.full(hi - lo, np.nan)
        px = np.full(hi - lo, np.nan)
        ret[ok] = own.returns[a + pos[ok] - f]
        px[ok] = own.prices[a + pos[ok] - f]
        last_day = own_days[int(own.last[k])] if int(own.last[k]) >= 0 else None
        last = (
            int(np.searchsorted(tgt_days, last_day, side="right")) - 1
            if last_day is not None
            else -1
        )
        cal.append(
            [foreign_name(symbol, target)],
            np.array([lo]),
            np.array([hi - lo]),
            np.array([last]),
            px,
            ret,
        )

    def series_name(self, symbol: str, mic: str) -> str:
        """The name of ``symbol``'s series on calendar ``mic`` (own or re-indexed)."""
        return symbol if self.home.get(symbol) == mic else foreign_name(symbol, mic)
