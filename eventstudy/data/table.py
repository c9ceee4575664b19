"""Daily prices of many tickers in one columnar table (the data path's input).

Every provider hands the engine a :class:`PriceTable`: one long table sorted
by ticker then date, held as numpy arrays, with ``starts`` giving each
ticker's rows (``starts[k]:starts[k + 1]``). Nothing downstream builds a
DataFrame per ticker; :meth:`PriceTable.frame` does so on request (reports,
notebooks, tests).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Price columns a table may carry, in output order; ``adj_close`` always.
COLUMNS: tuple[str, ...] = (
    "adj_close",
    "close",
    "open",
    "high",
    "low",
    "volume",
    "dividends",
    "splits",
)


def _days(values: object) -> np.ndarray:
    """Dates as ``datetime64[D]`` (tz-aware values keep their local calendar date)."""
    if isinstance(values, np.ndarray) and values.dtype == np.dtype("datetime64[D]"):
        return values
    idx = pd.DatetimeIndex(values)  # type: ignore[arg-type]
    if idx.tz is not None:
        idx = idx.tz_localize(None)
    return idx.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def day_array(values: list[Any]) -> np.ndarray:
    """Dates (``datetime.date``, strings, Timestamps) as ``datetime64[D]``, vectorised."""
    if values and all(type(v) is dt.date for v in values):  # ordinals: 20x numpy's parsing
        ordinal = np.fromiter((v.toordinal() for v in values), np.int64, len(values))
        return (ordinal - _EPOCH_ORDINAL).astype("datetime64[D]")
    try:
        return np.array(values, dtype="datetime64[D]")
    except (TypeError, ValueError):
        return np.array([_as_day(v) for v in values], dtype="datetime64[D]")


def _as_day(value: Any) -> np.datetime64:
    return np.datetime64(pd.Timestamp(value).date(), "D")


def factorize_tickers(tickers: object) -> tuple[np.ndarray, np.ndarray]:
    """Codes (into sorted unique symbols) of a ticker column; symbols stripped of spaces.

    Factorizes first and strips only the distinct values, so a column of
    millions of rows costs one hash pass.
    """
    codes, uniques = _first_seen_codes(pd.Series(tickers, copy=False))
    names = pd.Index(uniques).astype(str).str.strip()
    fixed, final = pd.factorize(names, sort=True)
    codes = codes.astype(np.int64, copy=False)
    if len(fixed) == len(final) and bool((fixed == np.arange(len(fixed))).all()):
        return codes, np.asarray(final, dtype=object)  # already in sorted order (sorted input)
    return fixed.astype(np.int64)[codes], np.asarray(final, dtype=object)


def _first_seen_codes(tickers: pd.Series) -> tuple[np.ndarray, Any]:
    """``pd.factorize(tickers, sort=False)``; a column held by Arrow in runs (long
    prices: each ticker's rows together) is factorized run by run, the codes
    repeated over each run (one comparison pass instead of a hash per row)."""
    chunked = getattr(tickers.array, "_pa_array", None)
    if chunked is not None and len(tickers) > _RUNS_FROM:
        import pyarrow as pa
        import pyarrow.compute as pc

        # Chunk by chunk (a run cut by a chunk edge is two runs of one code).
        runs = [pc.run_end_encode(c) for c in chunked.chunks]
        if sum(len(r.run_ends) for r in runs) * 8 <= len(tickers):
            lengths = np.concatenate(
                [np.diff(np.asarray(r.run_ends, dtype=np.int64), prepend=0) for r in runs]
            )
            values = pd.Series(
                pa.chunked_array([r.values for r in runs], type=chunked.type),
                dtype=tickers.dtype,
                copy=False,
            )
            run_codes, uniques = pd.factorize(values, sort=False)
            return np.repeat(run_codes, lengths), uniques
    return pd.factorize(tickers, sort=False)


#: Rows from which :func:`_first_seen_codes` tries the run-by-run path.
_RUNS_FROM = 100_000


def _row_keys(codes: np.ndarray, days: np.ndarray) -> np.ndarray:
    """``code * 2^32 + day number``: sorts rows by (ticker, date)."""
    day = days.view(np.int64) if days.dtype.kind == "M" else days.astype(np.int64, copy=False)
    return codes.astype(np.int64, copy=False) * (1 << 32) + day


#: Rows per block of every blocked pass over price rows (here, in
#: :mod:`eventstudy.checks` and :mod:`eventstudy.store`): the temporaries stay small
#: and are reused (a pass over 27 million rows would otherwise allocate arrays of
#: that length).
ROW_BLOCK = 1 << 20


def _sorted_by_blocks(codes: np.ndarray, days: np.ndarray) -> tuple[bool, int | None]:
    """Whether rows are in (ticker, date) order and, if so, the second row of the
    first repeated pair (``None``: none); keys built a block at a time."""
    first_dup = None
    for a in range(0, max(len(codes) - 1, 0), ROW_BLOCK):
        key = _row_keys(codes[a : a + ROW_BLOCK + 1], days[a : a + ROW_BLOCK + 1])
        later, earlier = key[1:], key[:-1]
        if (later < earlier).any():
            return False, None
        if first_dup is None:
            same = np.flatnonzero(later == earlier)
            first_dup = int(a + same[0] + 1) if len(same) else None
    return True, first_dup


def _first_repeat(key: np.ndarray, order: np.ndarray | None) -> int | None:
    sk = key if order is None else key[order]
    same = np.flatnonzero(sk[1:] == sk[:-1])
    if not len(same):
        return None
    return int(same[0] + 1) if order is None else int(order[same[0] + 1])


@dataclass(frozen=True)
class PriceTable:
    """Long daily prices: ``tickers[codes[r]]`` has ``values[c][r]`` on ``dates[r]``.

    Attributes
    ----------
    tickers : (T,) object array of ticker symbols, unique, sorted
    starts : (T + 1,) int64 row offsets: ticker ``k`` owns rows ``starts[k]:starts[k+1]``
    dates : (R,) ``datetime64[D]``, ascending within each ticker, unique per ticker
    values : column name -> (R,) float64 (``adj_close`` always; NaN = no value)
    """

    tickers: np.ndarray
    starts: np.ndarray
    dates: np.ndarray
    values: dict[str, np.ndarray]

    # ------------------------------------------------------------------ building

    @classmethod
    def empty(cls) -> PriceTable:
        return cls(
            np.array([], dtype=object),
            np.zeros(1, dtype=np.int64),
            np.array([], dtype="datetime64[D]"),
            {"adj_close": np.array([], float)},
        )

    @classmethod
    def from_arrays(
        cls,
        tickers: Sequence[str] | np.ndarray | pd.Series,
        dates: object,
        values: Mapping[str, object],
        *,
        drop_missing: bool = True,
    ) -> PriceTable:
        """Build from row arrays (any order); rows without an adjusted close are dropped.

        Duplicate (ticker, date) rows must have been rejected (see :func:`sorted_codes`).
        """
        codes, uniques = factorize_tickers(tickers)
        return cls.from_codes(codes, uniques, dates, values, drop_missing=drop_missing)

    @classmethod
    def from_codes(
        cls,
        codes: np.ndarray,
        uniques: np.ndarray,
        dates: object,
        values: Mapping[str, object],
        *,
        drop_missing: bool = True,
        on_duplicate: Callable[[int], None] | None = None,
    ) -> PriceTable:
        """Like :meth:`from_arrays` with tickers given as codes into sorted ``uniques``.

        ``on_duplicate(row)``: called (it should raise) with the position in the
        given rows of the second row of the first repeated (ticker, date) pair
        among the rows kept; the sort key is computed once for both.
        """
        days = _days(dates)
        cols = {k: np.asarray(v, dtype=np.float64) for k, v in values.items() if v is not None}
        kept = None
        if drop_missing:
            keep = np.isfinite(cols["adj_close"])
            if not keep.all():
                kept = np.flatnonzero(keep)
                codes, days = codes[kept], days[kept]
                cols = {k: v[kept] for k, v in cols.items()}
        in_order, dup = _sorted_by_blocks(codes, days)
        order = None
        if not in_order:
            key = _row_keys(codes, days)
            order = np.argsort(key, kind="stable")
            dup = _first_repeat(key, order)
        if on_duplicate is not None and dup is not None:
            on_duplicate(dup if kept is None else int(kept[dup]))
        if order is not None:
            codes, days = codes[order], days[order]
            cols = {c: cols[c][order] for c in cols}
        cols = {c: cols[c] for c in COLUMNS if c in cols}
        counts = np.bincount(codes, minlength=len(uniques))
        used = counts > 0
        starts = np.concatenate([[0], np.cumsum(counts[used])]).astype(np.int64)
        return cls(np.asarray(uniques, dtype=object)[used], starts, days, cols)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame]) -> PriceTable:
        """Build from ``ticker -> DataFrame`` (date index, price columns)."""
        frames = {t: f for t, f in frames.items() if f is not None and len(f)}
        if not frames:
            return cls.empty()
        names = [c for c in COLUMNS if any(c in f.columns for f in frames.values())]
        tickers = np.repeat(np.array(list(frames), dtype=object), [len(f) for f in frames.values()])
        dates = np.concatenate([_days(f.index) for f in frames.values()])
        values = {
            c: np.concatenate(
                [
                    f[c].to_numpy(dtype=np.float64, na_value=np.nan)
                    if c in f.columns
                    else np.full(len(f), np.nan)
                    for f in frames.values()
                ]
            )
            for c in names
        }
        return cls.from_arrays(tickers, dates, values)

    @staticmethod
    def concat(tables: Sequence[PriceTable]) -> PriceTable:
        """One table of several with disjoint tickers."""
        tables = [t for t in tables if len(t.tickers)]
        if not tables:
            return PriceTable.empty()
        if len(tables) == 1:
            return tables[0]
        names = [c for c in COLUMNS if any(c in t.values for t in tables)]
        tickers = np.concatenate([np.repeat(t.tickers, np.diff(t.starts)) for t in tables])
        dates = np.concatenate([t.dates for t in tables])
        values = {
            c: np.concatenate([t.values.get(c, np.full(len(t.dates), np.nan)) for t in tables])
            for c in names
        }
        return PriceTable.from_arrays(tickers, dates, values, drop_missing=False)

    # ------------------------------------------------------------------ access

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def codes(self) -> np.ndarray:
        """(R,) ticker index of every row."""
        return np.repeat(np.arange(len(self.tickers)), np.diff(self.starts))

    def index_of(self, ticker: str) -> int:
        """Position of ``ticker`` in :attr:`tickers` (-1 when absent)."""
        pos = int(np.searchsorted(self.tickers.astype(str), ticker))
        return pos if pos < len(self.tickers) and self.tickers[pos] == ticker else -1

    def __contains__(self, ticker: object) -> bool:
        return isinstance(ticker, str) and self.index_of(ticker) >= 0

    def rows(self, ticker: str) -> slice:
        k = self.index_of(ticker)
        if k < 0:
            raise KeyError(ticker)
        return slice(int(self.starts[k]), int(self.starts[k + 1]))

    def frame(self, ticker: str) -> pd.DataFrame:
        """One ticker's prices as a DataFrame (date index named ``date``)."""
        sl = self.rows(ticker)
        index = pd.DatetimeIndex(self.dates[sl].astype("datetime64[ns]"), name="date")
        return pd.DataFrame({c: v[sl] for c, v in self.values.items()}, index=index)

    def select(
        self,
        tickers: Sequence[str] | None = None,
        ranges: Mapping[str, tuple[object, object]] | None = None,
        start: object = None,
        end: object = None,
    ) -> PriceTable:
        """Rows of ``tickers`` (all when ``None``) dated in ``[start, end]``, or in each
        ticker's own ``ranges[ticker]``; one vectorised mask, no per-ticker frames."""
        n = len(self.tickers)
        names = list(ranges) if ranges is not None else (None if tickers is None else list(tickers))
        lo_t = np.full(n, np.datetime64("9999-12-31"), dtype="datetime64[D]")
        hi_t = np.full(n, np.datetime64("0001-01-01"), dtype="datetime64[D]")
        if names is None:
            pos = np.arange(n)
        else:
            pos = pd.Index(self.tickers.astype(str)).get_indexer(pd.Index(names, dtype=object))
            names = [nm for nm, p in zip(names, pos, strict=True) if p >= 0]
            pos = pos[pos >= 0]
        if ranges is not None:
            assert names is not None
            lo_t[pos] = day_array([ranges[nm][0] for nm in names])
            hi_t[pos] = day_array([ranges[nm][1] for nm in names])
        else:
            lo_t[pos] = _as_day(start) if start is not None else np.datetime64("0001-01-01")
            hi_t[pos] = _as_day(end) if end is not None else np.datetime64("9999-12-31")
        # Dates ascend within each ticker: its wanted rows are one run [a, b).
        a = first_at_least(self.dates, self.starts, lo_t)
        b = first_at_least(self.dates, self.starts, hi_t + np.timedelta64(1, "D"))
        b = np.maximum(a, b)
        if bool((a == self.starts[:-1]).all() and (b == self.starts[1:]).all()):
            return self  # every row wanted: the table as it is (its arrays are not written to)
        kept = b - a
        has = kept > 0
        starts = np.concatenate([[0], np.cumsum(kept[has])]).astype(np.int64)
        dates, values = gather_runs([self.dates, *self.values.values()], a[has], starts)
        return PriceTable(
            self.tickers[has], starts, dates, dict(zip(self.values, values, strict=True))
        )

    def first_last(self) -> tuple[np.ndarray, np.ndarray]:
        """(T,) first and last date of each ticker."""
        if not len(self.dates):
            empty = np.array([], dtype="datetime64[D]")
            return empty, empty
        return self.dates[self.starts[:-1]], self.dates[self.starts[1:] - 1]


def gather_runs(
    columns: list[np.ndarray], first: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Rows ``first[k] + (0 .. starts[k+1] - starts[k])`` of every column, ticker after
    ticker, into new arrays; the row numbers are built a block at a time (a full-length
    index array would be one more pass and allocation over every row)."""
    total = int(starts[-1])
    out = [np.empty(total, dtype=c.dtype) for c in columns]
    shift = first - starts[:-1]
    for o in range(0, total, ROW_BLOCK):
        e = min(o + ROW_BLOCK, total)
        k0 = int(np.searchsorted(starts, o, side="right")) - 1
        k1 = int(np.searchsorted(starts, e, side="left"))
        lengths = np.minimum(starts[k0 + 1 : k1 + 1], e) - np.maximum(starts[k0:k1], o)
        rows = np.arange(o, e) + np.repeat(shift[k0:k1], lengths)
        for src, dst in zip(columns, out, strict=True):
            np.take(src, rows, out=dst[o:e])
    return out[0], out[1:]


def first_at_least(dates: np.ndarray, starts: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Per ticker ``k``, the first row in ``starts[k]:starts[k+1]`` dated ``>= bound[k]``
    (``starts[k+1]`` if none): one vectorised binary search over all tickers at once."""
    lo, hi = starts[:-1].copy(), starts[1:].copy()
    last = max(len(dates) - 1, 0)
    while True:
        open_ = lo < hi
        if not open_.any():
            return lo
        mid = (lo + hi) // 2
        below = open_ & (dates[np.minimum(mid, last)] < bound)
        lo = np.where(below, mid + 1, lo)
        hi = np.where(open_ & ~below, mid, hi)


class FramesView(Mapping[str, pd.DataFrame]):
    """A read-only ``ticker -> DataFrame`` view of a :class:`PriceTable` (built on access)."""

    def __init__(self, table: PriceTable) -> None:
        self._table = table
        self._cache: dict[str, pd.DataFrame] = {}

    def __getitem__(self, ticker: str) -> pd.DataFrame:
        if ticker not in self._cache:
            self._cache[ticker] = self._table.frame(ticker)
        return self._cache[ticker]

    def __iter__(self) -> Iterator[str]:
        return (str(t) for t in self._table.tickers)

    def __len__(self) -> int:
        return len(self._table.tickers)

    def __contains__(self, ticker: object) -> bool:
        return ticker in self._table

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items()) if len(other) else len(self) == 0
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]
