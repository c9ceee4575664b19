"""Intraday bars (with pre- and post-market trading) from Yahoo Finance.

Yahoo serves minute bars only for recent weeks, so a scheduled batch run
fetches them while they exist and keeps them in the price cache
(:mod:`eventstudy.data.intraday_cache`).

Yahoo's limits (:data:`INTERVALS`)
----------------------------------
Yahoo's chart API answers a request outside them with a chart error, which
yfinance 1.x (``raise_errors=True``) raises as
``YFPricesMissingError("$MSFT: 1m data not available for startTime=... and
endTime=... The requested range must be within the last 30 days.")``, or
``... Only 8 days worth of 1m granularity data are allowed to be fetched per
request.`` (older texts said 7 days). yfinance's own ``period="max"`` uses 8
days for ``1m``, 60 days for ``2m``-``90m`` and 730 days for ``60m``/``1h``.

==========================  ================  ===================  ==========
interval                    served back       per request (Yahoo)  our chunks
==========================  ================  ===================  ==========
``1m``                      30 days           8 days               7 days
``2m 5m 15m 30m``           60 days           60 days              59 days
``60m`` / ``1h``            730 days          730 days             365 days
==========================  ================  ===================  ==========

:func:`check_range` applies these *before* Yahoo is asked: a range wholly
older than the window raises :class:`IntradayRangeError` (exit code 2, with
what to do instead); a range partly older is trimmed to what is served, with
a warning. The window is shortened by :data:`MARGIN` so that a request made
on the boundary is not refused by Yahoo's own clock.

Bars (:func:`normalise_intraday`)
---------------------------------
``ticker, timestamp`` (the bar's start, ``datetime64[ns, UTC]``), float
``open, high, low, close, volume`` and ``segment``: ``pre`` before the
session's open, ``regular`` in ``[open, close)``, ``post`` from the close
(exchange_calendars sessions, so half days close early). Bars on a date that
is not a session (rare) are labelled ``post``.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from eventstudy.data.yahoo import FailureKind, classify_failure, failure_message
from eventstudy.errors import DataUnavailable, InputError, ProviderError

log = logging.getLogger(__name__)

BAR_COLUMNS: tuple[str, ...] = (
    "ticker",
    "timestamp",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "segment",
)
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
_YF_PRICE = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}
SEGMENTS: tuple[str, ...] = ("pre", "regular", "post")
#: Requests start this much later than Yahoo's window would allow.
MARGIN = pd.Timedelta(hours=1)
#: Yahoo's refusal of a range outside its window (the chart error's text).
TOO_OLD_TEXT = re.compile(
    r"data not available for starttime|requested range must be within the last|"
    r"worth of \w+ granularity data",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class IntervalLimits:
    """What Yahoo serves of one bar interval."""

    interval: str
    lookback: pd.Timedelta  # how far back from now bars are served
    max_request: pd.Timedelta  # longest range one request may span
    chunk: pd.Timedelta  # the span of our requests (<= max_request)
    alternative: str  # what to suggest when the range is too old

    @property
    def days(self) -> int:
        return int(self.lookback / pd.Timedelta(days=1))


def _limits(interval: str, back: int, request: int, chunk: int, alt: str) -> IntervalLimits:
    return IntervalLimits(
        interval, pd.Timedelta(days=back), pd.Timedelta(days=request), pd.Timedelta(days=chunk), alt
    )


_FIVE = "5m bars (60 days)"
_HOURLY = "60m bars (730 days)"
INTERVALS: dict[str, IntervalLimits] = {
    "1m": _limits("1m", 30, 8, 7, _FIVE),
    "2m": _limits("2m", 60, 60, 59, _HOURLY),
    "5m": _limits("5m", 60, 60, 59, _HOURLY),
    "15m": _limits("15m", 60, 60, 59, _HOURLY),
    "30m": _limits("30m", 60, 60, 59, _HOURLY),
    "60m": _limits("60m", 730, 730, 365, "daily prices"),
    "1h": _limits("1h", 730, 730, 365, "daily prices"),
}


class IntradayRangeError(InputError):
    """Intraday bars asked for a range Yahoo Finance no longer serves (exit code 2)."""


class IntradayClient(Protocol):
    """What :func:`fetch_intraday` needs of :class:`~eventstudy.data.yahoo.YFinanceClient`."""

    def intraday_history(
        self, ticker: str, start_utc: pd.Timestamp, end_utc: pd.Timestamp, interval: str
    ) -> pd.DataFrame: ...

    def reachable(self) -> bool: ...


def utc(value: dt.date | dt.datetime | str | pd.Timestamp | None) -> pd.Timestamp:
    """A UTC timestamp (naive values and dates are taken as UTC; ``None``: now)."""
    ts = pd.Timestamp.now(tz="UTC") if value is None else pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def limits(interval: str) -> IntervalLimits:
    """:data:`INTERVALS` entry of ``interval``; an unknown one lists the valid ones."""
    key = str(interval).strip().lower()
    if key not in INTERVALS:
        raise IntradayRangeError(
            f"unknown intraday interval {interval!r}; choose one of: {', '.join(INTERVALS)}"
        )
    return INTERVALS[key]


def served_from(interval: str, now: dt.datetime | pd.Timestamp | None = None) -> pd.Timestamp:
    """The earliest bar start we ask Yahoo for at ``now`` (window minus :data:`MARGIN`)."""
    return utc(now) - limits(interval).lookback + MARGIN


def check_range(
    interval: str,
    start: dt.date | dt.datetime | str | pd.Timestamp,
    end: dt.date | dt.datetime | str | pd.Timestamp,
    now: dt.datetime | pd.Timestamp | None = None,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The part of ``[start, end)`` that Yahoo serves at ``now``, as UTC timestamps.

    ``end`` after ``now`` is cut to ``now``; ``start`` before the window is
    raised to its first served time, with a warning.

    Raises
    ------
    IntradayRangeError
        Unknown interval, ``start`` not before ``end``, or the whole range
        older than Yahoo's window (the message says what to use instead).
    """
    lim = limits(interval)
    lo, hi, at = utc(start), utc(end), utc(now)
    if lo >= hi:
        raise IntradayRangeError(
            f"intraday range {lo:%Y-%m-%d %H:%M} .. {hi:%Y-%m-%d %H:%M} UTC is empty: "
            "the start must be before the end"
        )
    hi = min(hi, at)
    first = served_from(lim.interval, at)
    if hi <= first or lo >= hi:
        ago = (at - lo) / pd.Timedelta(days=1)
        raise IntradayRangeError(
            f"Yahoo Finance serves {lim.interval} bars only for the last {lim.days} days; "
            f"{lo:%Y-%m-%d} is {ago:.0f} days ago. Use the bars an earlier run archived "
            f"(`eventstudy cache info` shows them), {lim.alternative}, or your own file "
            "with --intraday-prices"
        )
    if lo < first:
        log.warning(
            "Yahoo Finance serves %s bars only for the last %d days: range %s .. %s trimmed "
            "to start at %s (earlier bars are not served any more)",
            lim.interval,
            lim.days,
            f"{lo:%Y-%m-%d %H:%M}",
            f"{hi:%Y-%m-%d %H:%M}",
            f"{first:%Y-%m-%d %H:%M} UTC",
        )
        lo = first
    return lo, hi


def split_range(
    start: pd.Timestamp, end: pd.Timestamp, chunk: pd.Timedelta
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """``[start, end)`` cut into consecutive ranges no longer than ``chunk``."""
    out = []
    lo = start
    while lo < end:
        hi = min(lo + chunk, end)
        out.append((lo, hi))
        lo = hi
    return out


def is_too_old_error(exc: BaseException) -> bool:
    """True for Yahoo's refusal of a range outside its window (see the module docstring)."""
    return bool(TOO_OLD_TEXT.search(str(exc)))


def empty_bars() -> pd.DataFrame:
    """A 0-row frame of :data:`BAR_COLUMNS` with the right dtypes."""
    return pd.DataFrame(
        {
            "ticker": pd.Series(dtype=object),
            "timestamp": pd.Series(dtype="datetime64[ns, UTC]"),
            **{c: pd.Series(dtype=float) for c in PRICE_COLUMNS},
            "segment": pd.Series(dtype=object),
        }
    )


def normalise_intraday(
    raw: pd.DataFrame, ticker: str, interval: str = "1m", mic: str = "XNYS"
) -> pd.DataFrame:
    """yfinance's intraday frame -> bars of :data:`BAR_COLUMNS` (see the module docstring).

    ``raw``: ``Ticker.history(interval=..., prepost=True, auto_adjust=False)``,
    a tz-aware ``Datetime`` index (exchange time) and columns ``Open High Low
    Close Adj Close Volume``. Rows without a close and repeated bar starts
    (the first kept) are dropped; the result is sorted by time.
    """
    limits(interval)
    if raw is None or raw.empty:
        return empty_bars()
    missing = [c for c in ("Close",) if c not in raw.columns]
    if missing:
        raise ValueError(
            f"yfinance returned no 'Close' column for '{ticker}' {interval} bars "
            f"(columns: {list(raw.columns)})"
        )
    idx = pd.DatetimeIndex(raw.index)
    if idx.tz is None:  # yfinance always localises; a naive index is taken as UTC
        idx = idx.tz_localize("UTC")
    stamps = idx.tz_convert("UTC").as_unit("ns")
    out = pd.DataFrame(
        {
            "ticker": np.full(len(raw), ticker, dtype=object),
            "timestamp": stamps,
            **{
                ours: pd.to_numeric(raw[theirs], errors="coerce").to_numpy(dtype=float)
                if theirs in raw.columns
                else np.full(len(raw), np.nan)
                for theirs, ours in _YF_PRICE.items()
            },
        }
    )
    out = out[out["close"].notna()]
    out = out.drop_duplicates("timestamp", keep="first").sort_values("timestamp", kind="stable")
    out = out.reset_index(drop=True)
    from eventstudy.intraday import label_segments

    out["segment"] = label_segments(pd.DatetimeIndex(out["timestamp"]), mic)
    out["timestamp"] = pd.DatetimeIndex(out["timestamp"]).as_unit("ns")
    return out.loc[:, list(BAR_COLUMNS)]


def ticker_mic(ticker: str) -> str:
    """The calendar of ``ticker``'s exchange (``XNYS`` when it cannot be told)."""
    from eventstudy.exchanges import exchange_for_ticker

    try:
        return exchange_for_ticker(ticker).mic
    except InputError:
        return "XNYS"


def _has_session(start: pd.Timestamp, end: pd.Timestamp, mic: str) -> bool:
    """True when ``[start, end)`` overlaps a session's extended hours (pre 6 h, post 4 h)."""
    from eventstudy.event_time import get_calendar

    sched = get_calendar(mic).schedule
    opens = pd.DatetimeIndex(sched["open"]) - pd.Timedelta(hours=6)
    closes = pd.DatetimeIndex(sched["close"]) + pd.Timedelta(hours=4)
    return bool(((opens < end) & (closes > start)).any())


def fetch_intraday(
    client: IntradayClient,
    ticker: str,
    start: dt.date | dt.datetime | str | pd.Timestamp,
    end: dt.date | dt.datetime | str | pd.Timestamp,
    interval: str = "1m",
    now: dt.datetime | pd.Timestamp | None = None,
    mic: str | None = None,
) -> pd.DataFrame:
    """Bars of ``ticker`` starting in ``[start, end)`` from Yahoo, in request-size chunks.

    The range is checked and trimmed first (:func:`check_range`); each chunk
    is one ``client.intraday_history`` call. A chunk Yahoo has no bars for (a
    weekend) is skipped.

    Raises
    ------
    IntradayRangeError
        The range is too old (before or, on Yahoo's refusal, during the fetch).
    DataUnavailable
        Rate limit or network failure (exit code 75).
    ProviderError
        Any other failure, or no bars at all for a range holding sessions
        (unknown symbol), with :func:`~eventstudy.data.yahoo.failure_message`.
    """
    lim = limits(interval)
    lo, hi = check_range(lim.interval, start, end, now)
    mic = mic or ticker_mic(ticker)
    frames: list[pd.DataFrame] = []
    no_data: BaseException | None = None
    for a, b in split_range(lo, hi, lim.chunk):
        log.debug("%s: asking Yahoo for %s bars %s .. %s", ticker, lim.interval, a, b)
        try:
            raw = client.intraday_history(ticker, a, b, lim.interval)
        except Exception as exc:
            if is_too_old_error(exc):
                raise IntradayRangeError(
                    f"Yahoo Finance refused {lim.interval} bars of '{ticker}' for "
                    f"{a:%Y-%m-%d %H:%M} .. {b:%Y-%m-%d %H:%M} UTC ({exc}); it serves them "
                    f"only for the last {lim.days} days: use the bars an earlier run archived "
                    "(`eventstudy cache info` shows them) or your own file with "
                    "--intraday-prices"
                ) from exc
            kind = classify_failure(exc)
            if kind is FailureKind.AMBIGUOUS:
                kind = classify_failure(exc, network_ok=client.reachable())
            if kind is FailureKind.NO_DATA:
                no_data = exc
                continue
            message = failure_message(kind, ticker, a.date(), b.date(), exc)
            if kind.transient:
                raise DataUnavailable(message) from exc
            raise ProviderError(message) from exc
        frame = normalise_intraday(raw, ticker, lim.interval, mic)
        frames.append(frame[(frame["timestamp"] >= a) & (frame["timestamp"] < b)])
    frames = [f for f in frames if not f.empty]
    if not frames:
        if no_data is not None and _has_session(lo, hi, mic):
            raise ProviderError(
                failure_message(FailureKind.NO_DATA, ticker, lo.date(), hi.date(), no_data)
            )
        return empty_bars()
    bars = pd.concat(frames, ignore_index=True)
    bars = bars.drop_duplicates("timestamp", keep="last").sort_values("timestamp", kind="stable")
    return bars.reset_index(drop=True)
