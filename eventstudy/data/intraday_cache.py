"""Intraday bars archived in the price cache, and the archiving run that fills it.

Yahoo Finance serves 1-minute bars only for the last 30 days (5-minute bars
60 days, :data:`eventstudy.data.yahoo_intraday.INTERVALS`), so a scheduled run
of :func:`archive_intraday` keeps what it still serves. The bars live in the
same SQLite file as the daily prices (:class:`~eventstudy.data.cache.PriceCache`,
tables ``intraday_bars`` and ``intraday_fetches``, see its module docstring),
with the same safety: WAL, and one ``BEGIN IMMEDIATE ... COMMIT`` per ticker
and interval holding its bars *and* its fetch record.

A bar is keyed by ``(ticker, interval, ts)``, ``ts`` the UTC epoch second of
its start; a later fetch of the same bar replaces it (Yahoo revises the last
minutes of a session), bars not in the later fetch are kept (an archive never
loses what Yahoo stopped serving).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.cache import PriceCache
from eventstudy.data.yahoo_intraday import (
    BAR_COLUMNS,
    IntradayClient,
    empty_bars,
    fetch_intraday,
    limits,
    served_from,
    ticker_mic,
    utc,
)
from eventstudy.errors import DataUnavailable, EventStudyError

log = logging.getLogger(__name__)

READ_COLUMNS: tuple[str, ...] = (*BAR_COLUMNS, "fetched_at")
_VALUES = ("open", "high", "low", "close", "volume")


@dataclass(frozen=True)
class IntradayCoverage:
    """What the cache holds of one ticker's bars of one interval."""

    ticker: str
    interval: str
    first: pd.Timestamp  # first bar start (UTC)
    last: pd.Timestamp  # last bar start (UTC)
    bars: int
    sessions: int  # local trading dates with at least one bar
    segments: tuple[str, ...]  # of pre, regular, post
    last_fetch: pd.Timestamp | None
    mic: str = "XNYS"


def clear_intraday(conn: sqlite3.Connection, ticker: str | None = None) -> int:
    """Delete ``ticker``'s (or every) bar and fetch record on ``conn``; returns bars removed.

    Runs inside the caller's transaction (:meth:`PriceCache.clear` uses it).
    """
    if ticker is None:
        removed = conn.execute("DELETE FROM intraday_bars").rowcount
        conn.execute("DELETE FROM intraday_fetches")
    else:
        removed = conn.execute("DELETE FROM intraday_bars WHERE ticker = ?", (ticker,)).rowcount
        conn.execute("DELETE FROM intraday_fetches WHERE ticker = ?", (ticker,))
    return int(removed)


def _epoch(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    idx = pd.DatetimeIndex(values)
    if idx.tz is None:
        raise ValueError("bar timestamps must be time-zone aware")
    return idx.tz_convert("UTC").as_unit("ns").asi8 // 1_000_000_000


class IntradayCache:
    """Intraday bars in a :class:`~eventstudy.data.cache.PriceCache` file.

    Opening the :class:`PriceCache` creates the intraday tables when the file
    has none yet.
    """

    def __init__(self, price_cache: PriceCache):
        self.prices = price_cache

    @property
    def path(self) -> os.PathLike[str]:
        return self.prices.path

    # ------------------------------------------------------------------ writing

    def write(
        self,
        ticker: str,
        interval: str,
        frame: pd.DataFrame,
        start: dt.datetime | pd.Timestamp | str,
        end: dt.datetime | pd.Timestamp | str,
        fetched_at: dt.datetime | pd.Timestamp | None = None,
    ) -> int:
        """Store the bars of ``frame`` starting in ``[start, end)`` and the fetch record.

        One transaction; a bar already stored at the same start is replaced.
        ``frame``: :func:`~eventstudy.data.yahoo_intraday.normalise_intraday`
        output (``timestamp`` tz-aware, ``close``, ``segment``; other price
        columns may be missing).

        Returns
        -------
        int
            Number of bars added (starts not stored before).
        """
        interval = limits(interval).interval
        lo, hi, stamp = utc(start), utc(end), utc(fetched_at).isoformat()
        if lo > hi:
            raise ValueError(f"write range {lo}..{hi} starts after it ends")
        records = self._records(ticker, interval, frame, lo, hi, stamp)
        with self.prices._transaction() as conn:
            before = self._count(conn, ticker, interval)
            conn.executemany(
                "INSERT OR REPLACE INTO intraday_bars (ticker, interval, ts, open, high, low, "
                "close, volume, segment, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                records,
            )
            added = self._count(conn, ticker, interval) - before
            conn.execute(
                "INSERT INTO intraday_fetches (ticker, interval, start, end, fetched_at, rows) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (ticker, interval, lo.isoformat(), hi.isoformat(), stamp, len(records)),
            )
        log.debug(
            "cached %d %s bars of %s for %s..%s (%d new)",
            len(records),
            interval,
            ticker,
            lo,
            hi,
            added,
        )
        return added

    @staticmethod
    def _count(conn: sqlite3.Connection, ticker: str, interval: str) -> int:
        return int(
            conn.execute(
                "SELECT COUNT(*) FROM intraday_bars WHERE ticker = ? AND interval = ?",
                (ticker, interval),
            ).fetchone()[0]
        )

    @staticmethod
    def _records(
        ticker: str,
        interval: str,
        frame: pd.DataFrame,
        lo: pd.Timestamp,
        hi: pd.Timestamp,
        stamp: str,
    ) -> list[tuple[Any, ...]]:
        if frame.empty:
            return []
        for col in ("timestamp", "close", "segment"):
            if col not in frame.columns:
                raise ValueError(
                    f"cannot cache {interval} bars of {ticker!r} without a {col!r} column"
                )
        ts = _epoch(frame["timestamp"])
        close = frame["close"].astype(float).to_numpy()
        keep = (
            (ts >= lo.value // 1_000_000_000) & (ts < hi.value // 1_000_000_000) & ~np.isnan(close)
        )
        cols = [
            frame[c].astype(float).to_numpy() if c in frame.columns else np.full(len(frame), np.nan)
            for c in _VALUES
        ]
        values = np.column_stack(cols)[keep].astype(object)
        values[pd.isna(values)] = None  # NaN -> NULL
        segs = frame["segment"].astype(str).to_numpy()[keep]
        return [
            (ticker, interval, int(t), *v, s, stamp)
            for t, v, s in zip(ts[keep].tolist(), values.tolist(), segs.tolist(), strict=True)
        ]

    def count(self, ticker: str | None = None) -> int:
        """Number of stored bars of ``ticker`` (of every ticker when ``None``)."""
        with self.prices._connection() as conn:
            if ticker is None:
                row = conn.execute("SELECT COUNT(*) FROM intraday_bars").fetchone()
            else:
                row = conn.execute(
                    "SELECT COUNT(*) FROM intraday_bars WHERE ticker = ?", (ticker,)
                ).fetchone()
        return int(row[0])

    def clear(self, ticker: str | None = None) -> int:
        """Remove one ticker's bars (or all); returns the number of bars removed."""
        with self.prices._transaction() as conn:
            return clear_intraday(conn, ticker)

    # ------------------------------------------------------------------ reading

    def read(
        self,
        tickers: str | Iterable[str],
        interval: str,
        start: dt.datetime | pd.Timestamp | str | None = None,
        end: dt.datetime | pd.Timestamp | str | None = None,
    ) -> pd.DataFrame:
        """Cached bars of ``tickers`` starting in ``[start, end)`` (UTC; open ends allowed).

        Columns :data:`READ_COLUMNS`: ``ticker, timestamp`` (``datetime64[ns,
        UTC]``), ``open, high, low, close, volume`` (float), ``segment`` and
        ``fetched_at`` (UTC), sorted by ticker and time.
        """
        names = [tickers] if isinstance(tickers, str) else list(dict.fromkeys(tickers))
        interval = limits(interval).interval
        lo = utc(start).value // 1_000_000_000 if start is not None else -(1 << 62)
        hi = utc(end).value // 1_000_000_000 if end is not None else 1 << 62
        if not names:
            return self._frame([])
        marks = ", ".join("?" * len(names))
        with self.prices._connection() as conn:
            rows = conn.execute(
                "SELECT ticker, ts, open, high, low, close, volume, segment, fetched_at "
                f"FROM intraday_bars WHERE interval = ? AND ticker IN ({marks}) "
                "AND ts >= ? AND ts < ? ORDER BY ticker, ts",
                (interval, *names, lo, hi),
            ).fetchall()
        return self._frame(rows)

    @staticmethod
    def _frame(rows: Sequence[tuple[Any, ...]]) -> pd.DataFrame:
        if not rows:
            out = empty_bars()
            out["fetched_at"] = pd.Series(dtype="datetime64[ns, UTC]")
            return out
        frame = pd.DataFrame(
            rows,
            columns=["ticker", "ts", *_VALUES, "segment", "fetched_at"],
        )
        frame.insert(
            1,
            "timestamp",
            pd.to_datetime(frame.pop("ts").to_numpy(np.int64), unit="s", utc=True).as_unit("ns"),
        )
        for c in _VALUES:
            frame[c] = frame[c].astype(float)
        frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True).dt.as_unit("ns")
        return frame.loc[:, list(READ_COLUMNS)]

    def last_bar(self, ticker: str, interval: str) -> pd.Timestamp | None:
        """Start of ``ticker``'s latest stored bar of ``interval`` (UTC), if any."""
        with self.prices._connection() as conn:
            (ts,) = conn.execute(
                "SELECT MAX(ts) FROM intraday_bars WHERE ticker = ? AND interval = ?",
                (ticker, limits(interval).interval),
            ).fetchone()
        return None if ts is None else pd.Timestamp(int(ts), unit="s", tz="UTC")

    def coverage(self) -> list[IntradayCoverage]:
        """One :class:`IntradayCoverage` per ticker and interval, sorted."""
        with self.prices._connection() as conn:
            spans = conn.execute(
                "SELECT ticker, interval, MIN(ts), MAX(ts), COUNT(*) FROM intraday_bars "
                "GROUP BY ticker, interval ORDER BY ticker, interval"
            ).fetchall()
            segs = conn.execute(
                "SELECT DISTINCT ticker, interval, segment FROM intraday_bars"
            ).fetchall()
            # 15-minute buckets: enough to tell local dates apart in every time zone
            buckets = conn.execute(
                "SELECT DISTINCT ticker, interval, ts / 900 FROM intraday_bars"
            ).fetchall()
            fetched = dict(
                ((t, i), at)
                for t, i, at in conn.execute(
                    "SELECT ticker, interval, MAX(fetched_at) FROM intraday_fetches "
                    "GROUP BY ticker, interval"
                ).fetchall()
            )
        present: dict[tuple[str, str], set[str]] = {}
        for t, i, s in segs:
            present.setdefault((t, i), set()).add(s)
        quarters: dict[tuple[str, str], list[int]] = {}
        for t, i, q in buckets:
            quarters.setdefault((t, i), []).append(int(q))
        from eventstudy.event_time import get_calendar

        order = {s: k for k, s in enumerate(("pre", "regular", "post"))}
        out = []
        for t, i, first, last, n in spans:
            mic = ticker_mic(t)
            tz = str(get_calendar(mic).tz)
            local = pd.to_datetime(np.asarray(quarters[(t, i)], np.int64) * 900, unit="s", utc=True)
            days = pd.DatetimeIndex(local).tz_convert(tz).normalize().unique()
            at = fetched.get((t, i))
            out.append(
                IntradayCoverage(
                    ticker=t,
                    interval=i,
                    first=pd.Timestamp(int(first), unit="s", tz="UTC"),
                    last=pd.Timestamp(int(last), unit="s", tz="UTC"),
                    bars=int(n),
                    sessions=len(days),
                    segments=tuple(
                        sorted(present.get((t, i), set()), key=lambda s: order.get(s, 9))
                    ),
                    last_fetch=pd.Timestamp(at) if at else None,
                    mic=mic,
                )
            )
        return out


# --------------------------------------------------------------------------- archiving


@dataclass(frozen=True)
class ArchiveResult:
    """What one ticker's archiving of one interval did."""

    ticker: str
    interval: str
    bars_added: int
    start: pd.Timestamp | None  # the range asked of Yahoo (UTC)
    end: pd.Timestamp | None
    error: str | None = None

    def line(self) -> str:
        """One-line summary for the log."""
        span = (
            f"{self.start:%Y-%m-%d %H:%M} .. {self.end:%Y-%m-%d %H:%M} UTC"
            if self.start is not None and self.end is not None
            else "no range"
        )
        if self.error:
            return f"{self.ticker} {self.interval}: not archived ({span}): {self.error}"
        return f"{self.ticker} {self.interval}: {self.bars_added} bars added ({span})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (run log, state)."""
        return {
            "ticker": self.ticker,
            "interval": self.interval,
            "bars_added": self.bars_added,
            "start": self.start.isoformat() if self.start is not None else None,
            "end": self.end.isoformat() if self.end is not None else None,
            "error": self.error,
        }


def archive_intraday(
    tickers: Iterable[str],
    intervals: Iterable[str] = ("1m",),
    cache: PriceCache | str | os.PathLike[str] | None = None,
    client: IntradayClient | None = None,
    now: dt.datetime | pd.Timestamp | None = None,
) -> list[ArchiveResult]:
    """Fetch and store every bar Yahoo still serves that the cache lacks.

    For each ticker and interval: from the later of the last stored bar
    (fetched again: it may have been incomplete) and the start of Yahoo's
    window (:func:`~eventstudy.data.yahoo_intraday.served_from`) to ``now``.
    A failure of one ticker is recorded in its result, not raised; after a
    rate limit or network failure the remaining tickers are not asked (one
    outage costs one timeout).

    Parameters
    ----------
    cache
        A :class:`PriceCache` or its path (default: the default cache).
    client
        The Yahoo boundary (default :class:`~eventstudy.data.yahoo.YFinanceClient`).
    now
        The current time (default: the clock), for the windows and fetch records.
    """
    store = cache if isinstance(cache, PriceCache) else PriceCache(cache)
    if client is None:
        from eventstudy.data.yahoo import YFinanceClient

        client = YFinanceClient()
    at = utc(now)
    icache = IntradayCache(store)
    names = list(dict.fromkeys(str(t).strip().upper() for t in tickers if str(t).strip()))
    wanted = list(dict.fromkeys(limits(i).interval for i in intervals))
    results: list[ArchiveResult] = []
    outage: str | None = None
    for ticker in names:
        for interval in wanted:
            last = icache.last_bar(ticker, interval)
            first = served_from(interval, at)
            start = max(last, first) if last is not None else first
            if outage is not None:
                res = ArchiveResult(ticker, interval, 0, start, at, f"not requested: {outage}")
            elif start >= at:
                res = ArchiveResult(ticker, interval, 0, start, at)
            else:
                try:
                    bars = fetch_intraday(client, ticker, start, at, interval, now=at)
                    added = icache.write(ticker, interval, bars, start, at, fetched_at=at)
                    res = ArchiveResult(ticker, interval, added, start, at)
                except EventStudyError as exc:
                    res = ArchiveResult(ticker, interval, 0, start, at, str(exc))
                    if isinstance(exc, DataUnavailable):
                        outage = str(exc)
                except Exception as exc:  # recorded; the next ticker goes on
                    log.debug("archiving %s %s failed", ticker, interval, exc_info=True)
                    res = ArchiveResult(
                        ticker, interval, 0, start, at, f"{type(exc).__name__}: {exc}"
                    )
            (log.warning if res.error else log.info)("intraday archive: %s", res.line())
            results.append(res)
    return results
