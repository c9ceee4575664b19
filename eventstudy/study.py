"""``EventStudy``: the public entry point shared by the CLI, batch runs and notebooks.

Flow: events (day 0 resolved) -> date ranges per ticker -> prices from a
provider -> :func:`eventstudy.engine.compute` -> :class:`StudyResult`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy import checks, engine, event_time
from eventstudy.confounders import confounding_events
from eventstudy.corporate_actions import actions_of
from eventstudy.corporate_actions import describe as describe_actions
from eventstudy.data.base import PriceProvider, PriceSet
from eventstudy.data.factors import load_factors
from eventstudy.duplicates import describe_duplicates, duplicate_events
from eventstudy.errors import DuplicateEventWarning, SettingsError
from eventstudy.events import load_events
from eventstudy.heap import kept_freed_memory
from eventstudy.result import StudyResult, build_meta
from eventstudy.settings import StudySettings
from eventstudy.threads import MIN_EVENTS, Worker, wanted

logger = logging.getLogger(__name__)

PricesArg = PriceProvider | PriceSet | pd.DataFrame | str | os.PathLike[str] | None


def benchmark_mic(symbol: str) -> str:
    """Calendar of a benchmark symbol (index table, else its suffix)."""
    return event_time.exchange_for_ticker(symbol).mic


def _today() -> dt.date:
    return dt.date.today()


def _safe_benchmark_mic(symbol: str, fallback: str) -> str:
    try:
        return benchmark_mic(symbol)
    except Exception:  # an unknown index symbol trades on the stock's calendar
        return fallback


class EventStudy:
    """An event study: events, model and windows; :meth:`run` computes it.

    Parameters
    ----------
    events
        A path to ``events.csv`` or a DataFrame with the columns of
        INTERFACE.md (``ticker``, ``date`` required).
    model, estimation_window, event_window, car_windows, min_estimation, return_type
        See :class:`eventstudy.settings.StudySettings`.
    kp_max_pairs
        Overlapping event pairs up to which the Kolari-Pynnonen ``r`` is exact
        (default 5,000,000); beyond, the O(N L) approximation is used.
    benchmark
        Override every event's benchmark with this symbol.
    factors
        Daily factor returns for ``ff3``, ``carhart`` and ``ff5`` (file,
        folder or DataFrame; Fama-French library layout).

    Examples
    --------
    >>> study = EventStudy.from_csv("events.csv", model="market")  # doctest: +SKIP
    >>> res = study.run(prices="../shared/data/prices")              # doctest: +SKIP
    """

    def __init__(
        self,
        events: pd.DataFrame | str | os.PathLike[str],
        *,
        model: str = "market",
        estimation_window: Sequence[int] | None = None,
        event_window: Sequence[int] | None = None,
        car_windows: Sequence[Sequence[int]] | None = None,
        min_estimation: int | None = None,
        kp_max_pairs: int | None = None,
        conf_level: float | None = None,
        alternative: str | None = None,
        exclude_confounded_days: bool | None = None,
        bootstrap_reps: int | None = None,
        seed: int | None = None,
        bhar_windows: Sequence[Sequence[int]] | None = None,
        return_type: str = "simple",
        benchmark: str | None = None,
        factors: pd.DataFrame | str | os.PathLike[str] | None = None,
    ) -> None:
        self.settings = StudySettings.from_options(
            model=model,
            estimation_window=estimation_window,
            event_window=event_window,
            car_windows=car_windows,
            min_estimation=min_estimation,
            return_type=return_type,
            kp_max_pairs=kp_max_pairs,
            conf_level=conf_level,
            alternative=alternative,
            exclude_confounded_days=exclude_confounded_days,
            bootstrap_reps=bootstrap_reps,
            seed=seed,
            bhar_windows=tuple(tuple(w) for w in bhar_windows) if bhar_windows else None,
        )
        self.events_source = (
            str(events) if not isinstance(events, pd.DataFrame) else "events DataFrame"
        )
        frame = load_events(events)
        if benchmark:
            frame = frame.assign(benchmark=benchmark.strip(), benchmark_source="run option")
        self.events = frame
        #: Sentences about events that share a ticker and day 0 (also warned about).
        duplicates = duplicate_events(frame)
        self.warnings = describe_duplicates(frame, duplicates)
        # Kept for run(), unless ``events`` is replaced (a second search: a second at 10^6).
        self._duplicates = (frame, duplicates)
        for text in self.warnings:
            warnings.warn(text, DuplicateEventWarning, stacklevel=2)
        self.factors_source = factors
        if self.settings.factor_names and factors is None:
            raise SettingsError(
                f"model {self.settings.model} needs daily factor returns: give --factors PATH "
                "(a CSV or folder from Kenneth French's data library, e.g. ../shared/data/factors)"
            )

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str], **options: Any) -> EventStudy:
        """Load ``events.csv`` and build a study (options as in the constructor)."""
        return cls(Path(path), **options)

    def _window_bounds(self, first: int, last: int):
        """Per exchange: its events and the sessions at relative days ``first`` and ``last``
        (clipped to the calendar)."""
        for mic, grp in self.events.groupby("exchange", sort=True):
            sessions = event_time.sessions(str(mic))
            p0 = sessions.get_indexer(pd.DatetimeIndex(grp["day0"]))
            lo = sessions[np.clip(p0 + first, 0, len(sessions) - 1)]
            hi = sessions[np.clip(p0 + last, 0, len(sessions) - 1)]
            yield grp, lo, hi

    def date_ranges(self) -> dict[str, tuple[dt.date, dt.date]]:
        """Dates each ticker and benchmark must cover (estimation start - 1 .. event end,
        or the end of the longest ``bhar_windows``).

        A stock needs its price on the session before the estimation window and
        up to the event window's last session. A benchmark on the stock's
        calendar needs the same dates; one on another calendar contributes its
        return over its own previous session, so its range starts at its own
        last session before the estimation window's first session (no more).
        """
        parts = []
        first, last = self.settings.estimation_window[0], self.settings.event_window[1]
        last = max([last, *(b for _, b in self.settings.bhar_windows)])  # long BHARs
        for grp, est_start, hi in self._window_bounds(first, last):
            mic = str(grp["exchange"].iloc[0])
            own = event_time.sessions(mic)
            before = own[np.maximum(own.searchsorted(est_start) - 1, 0)]
            benches = grp["benchmark"].astype(str).to_numpy()
            bench_lo = before.to_numpy().copy()
            for bench in np.unique(benches):
                bench_mic = _safe_benchmark_mic(str(bench), "XNYS")
                if bench_mic != mic:
                    rows = benches == bench
                    theirs = event_time.sessions(bench_mic)
                    pos = np.maximum(theirs.searchsorted(est_start[rows]) - 1, 0)
                    bench_lo[rows] = theirs[pos].to_numpy()
            parts.append(
                pd.DataFrame(
                    {
                        "sym": grp["ticker"].astype(str).to_numpy(),
                        "lo": before.to_numpy(),
                        "hi": hi.to_numpy(),
                    }
                )
            )
            parts.append(pd.DataFrame({"sym": benches, "lo": bench_lo, "hi": hi.to_numpy()}))
        if not parts:
            return {}
        spans = pd.concat(parts).groupby("sym", sort=True).agg(lo=("lo", "min"), hi=("hi", "max"))
        lo = spans["lo"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").tolist()
        hi = spans["hi"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").tolist()
        ranges = {str(sym): (a, b) for sym, a, b in zip(spans.index, lo, hi, strict=True)}
        today = _today()
        return {k: (min(a, today), min(b, today)) for k, (a, b) in ranges.items()}

    def run(
        self,
        prices: PricesArg = None,
        *,
        offline: bool = False,
        cache: str | os.PathLike[str] | None = None,
    ) -> StudyResult:
        """Fetch prices and compute the study.

        ``prices``: a folder or file of prices (``--prices``), a DataFrame in
        long or wide form, a :class:`PriceSet`, or any :class:`PriceProvider`.
        ``None`` uses Yahoo Finance through the local cache (``offline=True``:
        the cache only).
        """
        # A large study reuses its freed arrays' memory (:mod:`eventstudy.heap`).
        with kept_freed_memory(len(self.events) >= MIN_EVENTS):
            return self._run(prices, offline=offline, cache=cache)

    def _run(
        self, prices: PricesArg, *, offline: bool, cache: str | os.PathLike[str] | None
    ) -> StudyResult:
        t0 = time.perf_counter()
        provider = resolve_provider(prices, offline=offline, cache=cache)
        factors, factor_desc = (
            load_factors(self.factors_source)
            if self.settings.factor_names and self.factors_source is not None
            else (None, "")
        )
        ranges = self.date_ranges()
        price_set = provider if isinstance(provider, PriceSet) else fetch_prices(provider, ranges)
        t1 = time.perf_counter()
        with Worker(wanted(len(self.events))) as worker:
            # The checks of the price rows run beside the engine (:mod:`eventstudy.threads`).
            table_parts = worker.submit("checks", checks.table_flags, price_set.table, ranges)
            out = engine.compute(
                self.events,
                price_set,
                self.settings,
                event_time.sessions,
                lambda s: _safe_benchmark_mic(s, "XNYS"),
                factors,
                worker=worker,
            )
            t2 = time.perf_counter()
            out, quality = self._flag_data(out, price_set, ranges, table_parts.result())
        inline_checks = 0.0 if worker.threaded else worker.seconds.get("checks", 0.0)
        meta = build_meta(
            self.settings,
            price_set,
            out,
            events_source=self.events_source,
            timings={
                "prices_s": t1 - t0,
                # Without the thread, the price-row checks ran before the engine.
                "compute_s": t2 - t1 - inline_checks,
                "checks_s": time.perf_counter() - t2 + inline_checks,
                **{f"engine_{k}_s": v for k, v in out.timings.items()},
            },
        )
        meta["data_quality"] = quality
        meta["warnings"] = list(self.warnings)
        known, groups = self._duplicates
        groups = groups if known is self.events else duplicate_events(self.events)
        meta["duplicate_events"] = [list(g) for g in groups]
        if factor_desc:
            meta["factors_source"] = factor_desc
        return StudyResult.from_engine(
            out, self.settings, meta, price_set, factors_source=self.factors_source
        )

    def event_spans(self) -> dict[str, tuple[pd.Timestamp, pd.Timestamp]]:
        """Each event's dates from its estimation-window start to its event-window end."""
        lo, hi = self._span_arrays()
        return {
            str(e): (pd.Timestamp(a), pd.Timestamp(b))
            for e, a, b in zip(self.events["event_id"], lo, hi, strict=True)
        }

    def _span_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(N,) first and last date of each event's windows (clipped to its calendar)."""
        first, last = self.settings.estimation_window[0], self.settings.event_window[1]
        lo = np.full(len(self.events), np.datetime64("NaT"), dtype="datetime64[ns]")
        hi = lo.copy()
        for grp, a, b in self._window_bounds(first, last):
            rows = self.events.index.get_indexer(grp.index)
            lo[rows], hi[rows] = a.to_numpy(), b.to_numpy()
        return lo, hi

    def _flag_data(
        self,
        out: engine.EngineOutput,
        prices: PriceSet,
        ranges: dict[str, tuple[dt.date, dt.date]],
        table_parts: list[checks.Part] | None = None,
    ):
        """Add a ``data_flags`` column (checks of the dates each event uses;
        ``table_parts``: :func:`checks.table_flags`, when already computed)."""
        flags = checks.price_flags(prices.table, out.source.store, ranges, table_parts)
        lo, hi = self._span_arrays()
        ev = out.events
        texts, counts = checks.event_flags(
            flags,
            ev["ticker"].astype(str).to_numpy(),
            ev["benchmark"].astype(str).to_numpy(),
            lo,
            hi,
        )
        actions = describe_actions(
            ev["ticker"].astype(str).to_numpy(dtype=object), lo, hi, actions_of(prices.table)
        )
        events = ev.assign(
            data_flags=texts,
            confounding_events=confounding_events(ev, lo, hi),
            corporate_actions=actions,
        )
        quality = {"events_flagged": int(sum(bool(t) for t in texts)), "by_kind": dict(counts)}
        return dataclasses.replace(out, events=events), quality


def fetch_prices(provider: PriceProvider, ranges: dict[str, tuple[dt.date, dt.date]]) -> PriceSet:
    """Ask ``provider`` for each ticker's own range when it can (the cache can);
    otherwise for the overall range (local files: no cost)."""
    get_ranges = getattr(provider, "get_ranges", None)
    if callable(get_ranges):
        result: PriceSet = get_ranges(ranges)
        return result
    tickers = sorted(ranges)
    start = min((r[0] for r in ranges.values()), default=dt.date.today())
    end = max((r[1] for r in ranges.values()), default=dt.date.today())
    return provider.get_prices(tickers, start, end)


def resolve_provider(
    prices: PricesArg, *, offline: bool = False, cache: str | os.PathLike[str] | None = None
) -> PriceProvider | PriceSet:
    """Turn the ``prices`` argument into a provider (or a ready PriceSet)."""
    if isinstance(prices, PriceSet):
        return prices
    if isinstance(prices, pd.DataFrame):
        from eventstudy.data.frame import FramePriceProvider

        return FramePriceProvider(prices)
    if isinstance(prices, str | os.PathLike):
        from eventstudy.data.files import FilePriceProvider

        return FilePriceProvider(prices)
    if prices is not None:
        return prices
    from eventstudy.data.cache import PriceCache
    from eventstudy.data.cached import CachedProvider
    from eventstudy.data.yahoo import YahooProvider

    upstream = None if offline else YahooProvider()
    return CachedProvider(upstream, PriceCache(cache), offline=offline)
