"""A provider that serves prices from the local cache and fills its gaps upstream.

For each ticker, :class:`CachedProvider` works out which complete sessions of
the ticker's exchange in ``[start, end]`` the cache has not fetched yet
(:meth:`PriceCache.missing_ranges`), merges them into one span and asks the
upstream provider for that span once, widened by one cached row on each side.
Sessions that are not complete yet (today before the close, the future) are
never requested, so a study whose event window runs into the future is served
what exists and its later sessions are fetched by a later run.

Adjusted closes change after each dividend or split. The widened request gives
at least one day that is both cached and fresh; when their ``adj_close`` values
differ by more than ``1e-6`` relative, the ticker's whole cached range is
fetched again (one extra call, logged) so returns never mix adjustment bases.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.base import PriceProvider, PriceSet
from eventstudy.data.cache import PriceCache, completion_times
from eventstudy.data.yahoo import FailureKind
from eventstudy.errors import DataUnavailable, EventStudyError, OfflineDataMissing

log = logging.getLogger(__name__)

#: Relative change of a cached adjusted close that triggers a full refetch.
ADJ_TOLERANCE = 1e-6
#: Sessions this close to "now" that the upstream did not return are asked for again.
RECENT = pd.Timedelta(days=5)

CalendarFor = Callable[[str], Any]
"""``ticker -> calendar`` with ``.sessions`` (tz-naive labels) and ``.closes``
(session -> UTC close), e.g. an ``exchange_calendars.ExchangeCalendar``."""


def default_calendar(ticker: str) -> Any:
    """The exchange calendar of ``ticker`` (from :mod:`eventstudy.event_time`).

    A symbol whose exchange is unknown (e.g. an index missing from the table)
    uses the New York calendar, as the engine does for benchmarks.
    """
    from eventstudy.event_time import exchange_for_ticker, get_calendar

    try:
        mic = exchange_for_ticker(ticker).mic
    except EventStudyError:
        log.debug("%s: unknown exchange, using the XNYS calendar for the cache", ticker)
        mic = "XNYS"
    return get_calendar(mic)


@dataclass
class _Failure:
    reason: str
    transient: bool


@dataclass(frozen=True)
class UpstreamCall:
    """One request made to the upstream provider (kept for reports and tests)."""

    tickers: tuple[str, ...]
    start: dt.date
    end: dt.date


def _fmt_gaps(gaps: Sequence[tuple[dt.date, dt.date]], limit: int = 3) -> str:
    parts = [f"{a}..{b}" if a != b else f"{a}" for a, b in gaps[:limit]]
    more = f" and {len(gaps) - limit} more range(s)" if len(gaps) > limit else ""
    return " and ".join(parts) + more


class CachedProvider:
    """Prices from a :class:`PriceCache`, filled from ``upstream`` when online.

    Parameters
    ----------
    upstream
        Where missing prices come from (usually :class:`YahooProvider`);
        ``None`` behaves like ``offline=True``.
    cache
        The local price cache.
    offline
        Never call ``upstream``; raise :class:`OfflineDataMissing` naming every
        ticker and date range the cache lacks.
    calendar_for
        ``ticker -> exchange calendar`` (default :func:`default_calendar`).
    now
        Clock returning the current time (UTC); injectable for tests.

    Attributes
    ----------
    calls
        Every upstream request made by this instance.
    rows_written
        ``ticker -> rows written`` to the cache by this instance.
    """

    def __init__(
        self,
        upstream: PriceProvider | None,
        cache: PriceCache,
        offline: bool = False,
        *,
        calendar_for: CalendarFor | None = None,
        now: Callable[[], pd.Timestamp] | None = None,
    ):
        self.upstream = upstream
        self.cache = cache
        self.offline = bool(offline) or upstream is None
        self._calendar_for = calendar_for or default_calendar
        self._now = now or (lambda: pd.Timestamp.now(tz="UTC"))
        self._failed: dict[str, _Failure] = {}
        self._outage: DataUnavailable | None = None
        self.calls: list[UpstreamCall] = []
        self.rows_written: dict[str, int] = {}

    @property
    def description(self) -> str:
        """Where the prices come from, for ``run.json`` and reports."""
        if self.offline or self.upstream is None:
            return f"local price cache {self.cache.path} (offline)"
        return f"{self.upstream.description}, cached in {self.cache.path}"

    # ------------------------------------------------------------------ planning

    def _now_utc(self) -> pd.Timestamp:
        now = pd.Timestamp(self._now())
        return now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")

    def _gaps(
        self, ticker: str, start: dt.date, end: dt.date, now: pd.Timestamp
    ) -> list[tuple[dt.date, dt.date]]:
        """Complete sessions of ``ticker`` in ``[start, end]`` not fetched yet."""
        cal = self._calendar_for(ticker)
        labels = pd.DatetimeIndex(np.asarray(cal.sessions, dtype="datetime64[ns]"))
        labels = labels[(labels >= pd.Timestamp(start)) & (labels <= pd.Timestamp(end))]
        closes = getattr(cal, "closes", None)
        ready = completion_times(labels, closes)
        complete = labels[np.asarray(ready <= now)]
        return self.cache.missing_ranges(ticker, start, end, complete, closes)

    def _request(self, ticker: str, span: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
        """``span`` widened to the nearest cached row on each side (the overlap check)."""
        dates = self.cache.cached_dates(ticker)
        lo, hi = pd.Timestamp(span[0]), pd.Timestamp(span[1])
        before, after = dates[dates < lo], dates[dates > hi]
        return (
            before[-1].date() if len(before) else span[0],
            after[0].date() if len(after) else span[1],
        )

    def _offline_error(self, gaps: dict[str, list[tuple[dt.date, dt.date]]]) -> OfflineDataMissing:
        parts = []
        for ticker, ranges in gaps.items():
            if not self.cache.fetch_records(ticker).empty:
                parts.append(f"{ticker} {_fmt_gaps(ranges)}")
            else:
                parts.append(f"{ticker} (never fetched)")
        return OfflineDataMissing(
            f"offline: the cache {self.cache.path} lacks {', '.join(parts)}; "
            "run `eventstudy fetch EVENTS.csv` while online"
        )

    # ------------------------------------------------------------------ fetching

    def _call(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> PriceSet:
        assert self.upstream is not None
        self.calls.append(UpstreamCall(tuple(tickers), start, end))
        log.info("fetching %s for %s..%s", ", ".join(tickers), start, end)
        return self.upstream.get_prices(list(tickers), start, end)

    def _fail(self, ticker: str, reason: str, transient: bool) -> None:
        self._failed[ticker] = _Failure(reason, transient)

    def _fetch_group(
        self,
        tickers: list[str],
        request: tuple[dt.date, dt.date],
        spans: dict[str, tuple[dt.date, dt.date]],
        now: pd.Timestamp,
    ) -> None:
        if self._outage is not None:
            for t in tickers:
                self._fail(t, f"'{t}': not requested because {self._outage}", True)
            return
        try:
            result = self._call(tickers, *request)
        except DataUnavailable as exc:
            self._outage = exc
            for t in tickers:
                self._fail(t, str(exc) if len(tickers) == 1 else f"'{t}': {exc}", True)
            return
        kinds: dict[str, Any] = getattr(result, "failures", {})
        for t in tickers:
            frame = result.frames.get(t)
            if frame is not None and not frame.empty:
                self._store(t, frame, request, now)
                continue
            kind = kinds.get(t)
            transient = bool(getattr(kind, "transient", False))
            reason = result.missing.get(t, f"'{t}': {result.source or 'upstream'} returned nothing")
            if kind == FailureKind.NO_DATA:
                self._record_empty(t, spans[t], now)
            self._fail(t, reason, transient)

    def _record_empty(self, ticker: str, span: tuple[dt.date, dt.date], now: pd.Timestamp) -> None:
        """Remember that a known ticker has no rows in ``span`` (e.g. a gap in Yahoo's data)."""
        has_rows = len(self.cache.cached_dates(ticker)) > 0
        inside = not self.cache.read(ticker, span[0], span[1]).empty
        recent = pd.Timestamp(span[1]) >= now.tz_localize(None).normalize() - RECENT
        if has_rows and not inside and not recent:
            empty = pd.DataFrame({"adj_close": []}, index=pd.DatetimeIndex([]), dtype=float)
            self.cache.write(ticker, empty, *span, fetched_at=now)

    def _record_end(self, frame: pd.DataFrame, end: dt.date, now: pd.Timestamp) -> dt.date:
        """``end``, or the last returned date when recent sessions were not delivered yet."""
        last = pd.Timestamp(frame.index.max())
        if last.date() < end and pd.Timestamp(end) >= now.tz_localize(None).normalize() - RECENT:
            return last.date()
        return end

    def _adjustment_changed(self, ticker: str, fresh: pd.DataFrame) -> bool:
        cached = self.cache.read(ticker, fresh.index.min(), fresh.index.max())["adj_close"]
        common = cached.index.intersection(fresh.index)
        if len(common) == 0:
            return False
        old = cached.loc[common].to_numpy()
        new = fresh.loc[common, "adj_close"].to_numpy(dtype=float)
        rel = np.abs(new - old) / np.maximum(np.abs(old), 1e-12)
        return bool(np.nanmax(rel) > ADJ_TOLERANCE)

    def _store(
        self,
        ticker: str,
        frame: pd.DataFrame,
        request: tuple[dt.date, dt.date],
        now: pd.Timestamp,
    ) -> None:
        start, end = request
        if self._adjustment_changed(ticker, frame):
            dates = self.cache.cached_dates(ticker)
            start = min(start, dates[0].date())
            end = max(end, dates[-1].date())
            log.warning(
                "%s: adjusted closes changed since they were cached (dividend or split); "
                "fetching %s..%s again so returns use one adjustment basis",
                ticker,
                start,
                end,
            )
            try:
                again = self._call([ticker], start, end)
            except DataUnavailable as exc:
                self._fail(ticker, f"'{ticker}': cached prices need a refresh: {exc}", True)
                return
            if ticker not in again.frames or again.frames[ticker].empty:
                reason = again.missing.get(ticker, "no rows returned")
                self._fail(ticker, f"'{ticker}': cached prices need a refresh: {reason}", False)
                return
            frame = again.frames[ticker]
        end = self._record_end(frame, end, now)
        n = self.cache.write(ticker, frame, start, end, fetched_at=now)
        self.rows_written[ticker] = self.rows_written.get(ticker, 0) + n

    # ------------------------------------------------------------------ serving

    def get_prices(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> PriceSet:
        """Prices of ``tickers`` for sessions in ``[start, end]`` (both inclusive).

        Raises
        ------
        OfflineDataMissing
            Offline and the cache lacks some of the requested sessions.
        DataUnavailable
            No ticker could be served and every failure was a rate limit or an
            unreachable network.
        """
        return self.get_ranges({t: (start, end) for t in tickers})

    def get_ranges(self, ranges: Mapping[str, tuple[dt.date, dt.date]]) -> PriceSet:
        """Like :meth:`get_prices` with each ticker's own ``(start, end)``.

        Use it with :meth:`eventstudy.study.EventStudy.date_ranges`: a study
        with events years apart then neither asks for (nor, offline, requires)
        the years in between for tickers that do not need them.
        """
        wanted = {
            t: (pd.Timestamp(a).date(), pd.Timestamp(b).date()) for t, (a, b) in ranges.items()
        }
        now = self._now_utc()
        gaps: dict[str, list[tuple[dt.date, dt.date]]] = {}
        for t, (start, end) in wanted.items():
            try:
                found = self._gaps(t, start, end, now)
            except EventStudyError as exc:
                self._fail(t, str(exc), False)
                continue
            if found and t not in self._failed:
                gaps[t] = found
        if gaps and self.offline:
            raise self._offline_error(gaps)
        spans = {t: (g[0][0], g[-1][1]) for t, g in gaps.items()}
        groups: dict[tuple[dt.date, dt.date], list[str]] = {}
        for t, span in spans.items():
            groups.setdefault(self._request(t, span), []).append(t)
        for request, group in groups.items():
            self._fetch_group(group, request, spans, now)
        return self._serve(wanted)

    def _serve(self, ranges: dict[str, tuple[dt.date, dt.date]]) -> PriceSet:
        out = PriceSet(source=self.description)
        for t, (start, end) in ranges.items():
            frame = self.cache.read(t, start, end)
            failure = self._failed.get(t)
            if frame.empty:
                out.missing[t] = (
                    failure.reason
                    if failure
                    else (
                        f"no prices for '{t}' between {start} and {end} in the cache "
                        f"{self.cache.path} (the source had none)"
                    )
                )
                continue
            out.add(t, frame)
            out.return_column[t] = "Adj Close"
            if failure:
                out.notes.setdefault(t, []).append(f"not updated: {failure.reason}")
        failures = [self._failed.get(t) for t in out.missing]
        if out.missing and not out.frames and all(f and f.transient for f in failures):
            raise DataUnavailable(next(iter(out.missing.values())))
        return out


def open_provider(
    cache: str | os.PathLike[str] | PriceCache | None = None,
    offline: bool = False,
    upstream: PriceProvider | None = None,
) -> CachedProvider:
    """The usual provider: Yahoo Finance behind the local cache.

    ``cache`` is a path or a :class:`PriceCache` (default location:
    :func:`eventstudy.data.cache.default_cache_path`); ``upstream`` defaults to
    a :class:`~eventstudy.data.yahoo.YahooProvider` unless ``offline``.
    """
    store = cache if isinstance(cache, PriceCache) else PriceCache(cache)
    if upstream is None and not offline:
        from eventstudy.data.yahoo import YahooProvider

        upstream = YahooProvider()
    return CachedProvider(upstream, store, offline=offline)
