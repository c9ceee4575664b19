"""The computation: events + prices -> statuses, AR, CAR and the test battery.

Pure numpy/pandas (no files, no network). The data path, one way:

1. :class:`~eventstudy.store.PriceStore` puts every price on its calendar's
   sessions once (returns, last available session);
2. :class:`~eventstudy.panel.EventIndex` says where each event's series and
   day 0 are; events are processed in chunks sorted by calendar and day 0
   (:func:`~eventstudy.panel.gather`, :func:`~eventstudy.models.fit`), so
   memory is bounded by the chunk size, not the number of events;
3. per chunk: statuses, ARs, CARs, SEs, t, p, Corrado ranks and the KP inputs;
4. once: the cross-sectional tests of every CAR window and every single day
   (:func:`~eventstudy.inference.battery`, column-wise) and the tables
   (:mod:`eventstudy.assemble`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy import models
from eventstudy.data.base import PriceSet
from eventstudy.inference.car import car_stats
from eventstudy.inference.rank import CorradoSums
from eventstudy.inference.sq import sq_test
from eventstudy.panel import EventIndex, Factors, chunks, gather
from eventstudy.settings import StudySettings
from eventstudy.store import PriceStore
from eventstudy.threads import Worker, inline, wanted

SessionsFor = Callable[[str], pd.DatetimeIndex]
ExchangeOf = Callable[[str], str]

OK, PENDING, SKIPPED, FAILED = "ok", "pending", "skipped", "failed"
PENDING_EVENT = "event window ends after the last available session"
PENDING_EST = "estimation window ends after the last available session"
COLLINEAR = "estimation regressors are collinear (is the benchmark series constant?)"
#: A fit is degenerate when its residual SD is at rounding level (1e-10 of a daily
#: return) or R^2 is 1 to 1e-10: the model reproduces the stock exactly (e.g. the
#: benchmark is the stock itself), and t-statistics would be rounding noise.
DEGENERATE_SIGMA = 1e-10
DEGENERATE = (
    "degenerate fit: the model reproduces the stock's estimation returns exactly "
    "(residual SD {sigma:.1e}, R^2 {r2:.12f}); is the benchmark the stock itself? "
    "Choose another benchmark"
)
#: Events per chunk: bounds the memory of the stacked windows (about 40 arrays of
#: chunk x window-length floats).
CHUNK = 20_000


def uses_benchmark(model: str) -> bool:
    return model in ("market", "market_adjusted", "scholes_williams", "dimson", "garch")


@dataclass(frozen=True)
class EngineOutput:
    """The tidy tables of a study (see INTERFACE.md, output folder).

    ``estimation`` is built on first use from ``source`` (it has about 240
    rows per event, so it is not made unless asked for).
    """

    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    aar: pd.DataFrame
    tests: pd.DataFrame
    kp_r: dict[str, float]
    source: Any = field(default=None, repr=False)
    kp_method: str = "exact"
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def estimation(self) -> pd.DataFrame:
        from eventstudy.assemble import estimation_table

        return estimation_table(self.source) if self.source is not None else pd.DataFrame()


@dataclass
class EventArrays:
    """Per-event results of every chunk, in :class:`EventIndex` order (``M`` events)."""

    status: np.ndarray
    reason: np.ndarray
    n_est: np.ndarray
    sigma2: np.ndarray
    r2: np.ndarray
    params: np.ndarray
    dof: np.ndarray
    numbers: np.ndarray
    observed: np.ndarray
    ret: np.ndarray
    bench: np.ndarray
    expected: np.ndarray
    ar: np.ndarray
    se: np.ndarray
    car_se: np.ndarray
    window: dict[str, np.ndarray]  # car, se, t, p, scar, sq_p: (M, W)
    day_scar: np.ndarray
    pos_share: np.ndarray

    @classmethod
    def empty(cls, m: int, lw: int, n_windows: int, k: int) -> EventArrays:
        def f(*shape: int) -> np.ndarray:
            return np.full(shape, np.nan)

        return cls(
            status=np.full(m, OK, dtype=object),
            reason=np.full(m, "", dtype=object),
            n_est=np.zeros(m, np.int64),
            sigma2=f(m),
            r2=f(m),
            params=f(m, k),
            dof=np.zeros(m, np.int64),
            numbers=np.zeros(m, bool),
            observed=np.zeros((m, lw), bool),
            ret=f(m, lw),
            bench=f(m, lw),
            expected=f(m, lw),
            ar=f(m, lw),
            se=f(m, lw),
            car_se=f(m, lw),
            window={k_: f(m, n_windows) for k_ in ("car", "se", "t", "p", "scar", "sq_p")},
            day_scar=f(m, lw),
            pos_share=f(m),
        )


def _statuses(w: Any, fit: models.ModelFit, min_estimation: int) -> tuple[np.ndarray, np.ndarray]:
    """Status and reason of every event of a chunk (first matching rule wins)."""
    n_est = fit.n_est
    with np.errstate(invalid="ignore"):
        degenerate = (np.sqrt(fit.sigma2) < DEGENERATE_SIGMA) | (fit.r2 > 1.0 - 1e-10)
    conditions = [
        ~w.est_complete,
        n_est < min_estimation,
        ~fit.rank_ok,
        degenerate,
        ~w.observed_evt.all(axis=1),
    ]
    status = np.select(conditions, [PENDING, SKIPPED, FAILED, FAILED, PENDING], OK).astype(object)
    reason = np.select(
        conditions, [PENDING_EST, "", COLLINEAR, "degenerate", PENDING_EVENT], ""
    ).astype(object)
    for i in np.flatnonzero(reason == "degenerate").tolist():
        reason[i] = DEGENERATE.format(sigma=float(np.sqrt(fit.sigma2[i])), r2=float(fit.r2[i]))
    skipped = np.flatnonzero(status == SKIPPED)
    if len(skipped):
        reason[skipped] = [f"only {int(v)} estimation returns" for v in n_est[skipped]]
    if fit.fail_reason is not None:
        own = (status == FAILED) & (fit.fail_reason != "")
        reason[own] = fit.fail_reason[own]
    return status, reason


def _car_columns(settings: StudySettings, evt_days: np.ndarray) -> list[np.ndarray]:
    return [np.flatnonzero((evt_days >= a) & (evt_days <= b)) for a, b in settings.car_windows]


def compute(
    events: pd.DataFrame,
    prices: PriceSet,
    settings: StudySettings,
    sessions_for: SessionsFor,
    exchange_of: ExchangeOf,
    factors: pd.DataFrame | None = None,
    *,
    chunk_size: int = CHUNK,
    worker: Worker | None = None,
) -> EngineOutput:
    """Run the whole study on ``events`` (one row per event, day 0 resolved).

    ``factors`` (decimal daily factor returns indexed by date, with ``RF``) is
    required by the factor models ``ff3``, ``carhart`` and ``ff5``.

    The matrix products here are many and small, so BLAS runs on one thread
    (threads only contend for them, most of all on a busy machine). Instead,
    independent stages run side by side in ``worker`` (:mod:`eventstudy.threads`;
    by default a second thread for large studies), with the same numbers.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"), contextlib.ExitStack() as stack:
        if worker is None:
            worker = stack.enter_context(Worker(wanted(len(events))))
        return _compute(
            events, prices, settings, sessions_for, exchange_of, factors, chunk_size, worker
        )


def _compute(
    events: pd.DataFrame,
    prices: PriceSet,
    settings: StudySettings,
    sessions_for: SessionsFor,
    exchange_of: ExchangeOf,
    factors: pd.DataFrame | None,
    chunk_size: int,
    worker: Worker,
) -> EngineOutput:
    from eventstudy import assemble
    from eventstudy.inference.crosssection import KpCollector, cross_sections
    from eventstudy.inference.extra import SKEW_REPS, ExtraCollector

    clock = _Stages()
    events = events.reset_index(drop=True)
    if settings.factor_names and factors is None:
        raise ValueError(f"model {settings.model!r} needs daily factors")
    store, index, status, reason = _prepare(events, prices, settings, sessions_for, exchange_of)
    fac, index = with_factors(factors, settings, store, index)
    est_days = np.arange(settings.estimation_window[0], settings.estimation_window[1] + 1)
    evt_days = np.arange(settings.event_window[0], settings.event_window[1] + 1)
    windows = _car_columns(settings, evt_days)
    k = len(models.PARAM_NAMES[settings.model])
    kp_in = KpCollector(index, store, settings, est_days, evt_days)
    extra_in = ExtraCollector(len(index), len(est_days), kp_in.residuals(), worker)
    arr = EventArrays.empty(len(index), len(evt_days), len(windows), k)
    n_cols = len(windows) + len(evt_days)
    corrado = CorradoSums(n_cols, len(est_days) + len(evt_days))
    clock.lap("store")
    ranked = None
    chunked = fitted_chunks(store, index, prices, settings, fac, arr, clock, chunk_size, worker)
    for sel, w, fit in chunked:
        included = (
            np.concatenate([np.isfinite(arr.window["car"][sel]), np.isfinite(arr.ar[sel])], axis=1)
            & arr.numbers[sel, None]
        )
        clock.lap("car")
        resid_all = np.concatenate(
            [fit.resid_est, np.where(w.observed_evt, fit.ar, np.nan)], axis=1
        )
        if ranked is not None:  # one chunk in the worker at a time: bounded memory
            ranked.result()
        ranked = worker.submit("ranks", corrado.add, resid_all, arr.numbers[sel], included)
        clock.lap("ranks")  # the sums themselves inline; with the thread, the wait for them
        kp_in.add(sel, fit.resid_est, arr.numbers[sel], included)
        clock.lap("kp")
        extra_in.add(sel, fit.resid_est, fit.sigma2, arr.numbers[sel])
        clock.lap("extra")
    status[index.rows] = arr.status
    reason[index.rows] = arr.reason
    cs = cross_sections(
        arr,
        index,
        windows,
        corrado,
        kp_in,
        len(est_days),
        clock,
        extra_in,
        settings.alternative,
        SKEW_REPS,
        (settings.seed,),
        worker,
    )
    worker.drain()  # every task of the worker done (and none failed) before the tables
    del kp_in, extra_in, corrado, chunked  # their (N, L) arrays are not needed for the tables
    out = assemble.engine_output(
        events, status, reason, index, arr, store, settings, cs, est_days, evt_days, fac
    )
    clock.lap("tables")
    # The worker's stages overlap the others: named apart (the study's price-row
    # checks among them, drained above with the rest).
    if worker.threaded:
        clock.seconds.update({f"{k} (thread 2)": v for k, v in worker.seconds.items()})
    return dataclasses.replace(out, timings=clock.seconds)


def fitted_chunks(
    store: PriceStore,
    index: EventIndex,
    prices: PriceSet,
    settings: StudySettings,
    fac: Factors | None,
    arr: EventArrays,
    clock: Any,
    chunk_size: int = CHUNK,
    worker: Worker | None = None,
) -> Iterator[tuple[np.ndarray, Any, models.ModelFit]]:
    """Each chunk's positions, stacked windows and fit, its per-event numbers already
    stored in ``arr`` (:func:`_collect`; its SQ p-values by ``worker``, when given,
    which the caller drains before reading them).

    ``settings.extra["inject_day0"]`` (placebo power simulations,
    :mod:`eventstudy.placebo`) adds a return to every day-0 return first.
    """
    est_days = np.arange(settings.estimation_window[0], settings.estimation_window[1] + 1)
    evt_days = np.arange(settings.event_window[0], settings.event_window[1] + 1)
    windows = _car_columns(settings, evt_days)
    inject = float(settings.extra.get("inject_day0", 0.0))
    day0_col = np.flatnonzero(evt_days == 0)
    excluded = None
    if settings.exclude_confounded_days:
        from eventstudy.corporate_actions import actions_of, excluded_keys

        excluded = excluded_keys(store, index, actions_of(prices.table))
    for sel in chunks(index, chunk_size):
        part = index.take(sel)
        w = gather(store, part, est_days, evt_days, fac)
        if excluded is not None:
            _exclude_days(w, part, store, excluded, est_days)
        if inject and len(day0_col):
            w.ret_evt[:, day0_col] += inject
        clock.lap("panel")
        fit = models.fit(settings.model, w)
        clock.lap("fit")
        _collect(arr, sel, w, fit, settings, windows, worker or inline())
        yield sel, w, fit


def _exclude_days(
    w: Any, part: EventIndex, store: Any, keys: dict[str, np.ndarray], est_days: np.ndarray
) -> None:
    """Estimation returns on excluded sessions (:mod:`eventstudy.corporate_actions`) -> NaN."""
    from eventstudy.corporate_actions import excluded_mask

    if not len(part):
        return
    mic = part.mics[int(part.calendar[0])]
    n_sessions = len(store.calendars[mic].sessions)
    pos = part.p0[:, None] + est_days[None, :]
    mask = excluded_mask(keys.get(mic, np.zeros(0, np.int64)), n_sessions, part.stock, pos)
    w.ret_est[mask] = np.nan


class _Stages:
    """Seconds spent per stage (``lap(name)`` adds the time since the previous lap)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now


def _collect(
    arr: EventArrays,
    sel: np.ndarray,
    w: Any,
    fit: models.ModelFit,
    settings: StudySettings,
    windows: list[np.ndarray],
    worker: Worker,
) -> None:
    """Store one chunk's per-event numbers at positions ``sel`` (the SQ test's by ``worker``)."""
    status, reason = _statuses(w, fit, settings.min_estimation)
    arr.status[sel], arr.reason[sel] = status, reason
    numbers = np.isin(status, [OK, PENDING]) & w.est_complete
    arr.numbers[sel] = numbers
    keep = numbers[:, None]
    arr.n_est[sel] = fit.n_est
    arr.dof[sel] = fit.dof
    arr.sigma2[sel] = np.where(numbers, fit.sigma2, np.nan)
    arr.r2[sel] = np.where(numbers, fit.r2, np.nan)
    arr.params[sel] = np.where(keep, fit.params, np.nan)
    arr.observed[sel] = w.observed_evt & keep
    ar = np.where(w.observed_evt, fit.ar, np.nan)
    arr.ar[sel] = np.where(keep, ar, np.nan)
    arr.ret[sel], arr.bench[sel], arr.expected[sel] = w.ret_evt, w.bench_evt, fit.expected_evt
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(fit.var_ar)
        arr.se[sel] = se
        cum = np.cumsum(ar, axis=1)
        arr.car_se[sel] = np.where(np.isfinite(cum), np.sqrt(fit.cumulative_car_variance()), np.nan)
        arr.day_scar[sel] = np.where(keep, ar / se, np.nan)
        arr.pos_share[sel] = (fit.resid_est > 0).sum(axis=1) / fit.n_est
    for c, cols in enumerate(windows):
        cs = car_stats(ar, fit.car_variance(cols), fit.dof, cols, settings.alternative)
        for name in ("car", "se", "t", "p", "scar"):
            arr.window[name][sel, c] = np.where(numbers, getattr(cs, name), np.nan)
    lengths = np.array([len(cols) for cols in windows])
    worker.submit(
        "sq",
        _store_sq,
        arr.window["sq_p"],
        sel,
        keep,
        fit.resid_est,
        arr.window["car"][sel],
        lengths,
        settings.alternative,
    )


def _store_sq(
    out: np.ndarray,
    sel: np.ndarray,
    keep: np.ndarray,
    resid_est: np.ndarray,
    car: np.ndarray,
    lengths: np.ndarray,
    alternative: str,
) -> None:
    """The SQ p-values of one chunk's events into ``out[sel]`` (NaN where not ``keep``)."""
    sq_p, _ = sq_test(resid_est, car, lengths, alternative)
    out[sel] = np.where(keep, sq_p, np.nan)


def _prepare(
    events: pd.DataFrame,
    prices: PriceSet,
    settings: StudySettings,
    sessions_for: SessionsFor,
    exchange_of: ExchangeOf,
):
    """The price store, the index of computable events, and the failures found so far."""
    n = len(events)
    table = prices.table
    tickers = events["ticker"].astype(str).to_numpy(dtype=object)
    benches = events["benchmark"].astype(str).to_numpy(dtype=object)
    mics = events["exchange"].astype(str).to_numpy(dtype=object)
    need_bench = uses_benchmark(settings.model)
    served_names = table.tickers.astype(str).tolist()
    served = pd.Index(served_names, dtype=object)
    has_stock = served.get_indexer(pd.Index(tickers)) >= 0
    has_bench = (served.get_indexer(pd.Index(benches)) >= 0) | (not need_bench)
    status = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    for i in np.flatnonzero(~(has_stock & has_bench)):
        problems = []
        if not has_stock[i]:
            problems.append(prices.missing.get(tickers[i], f"no prices for ticker '{tickers[i]}'"))
        if not has_bench[i]:
            problems.append(
                prices.missing.get(benches[i], f"no prices for benchmark '{benches[i]}'")
            )
        status[i], reason[i] = FAILED, "; ".join(problems)
    stocks = dict(zip(tickers, mics, strict=True))
    mic_of = {s: stocks.get(s) or exchange_of(s) for s in served_names}
    # Benchmarks are read for display even when the model does not use them.
    foreign = {
        (b, m) for b, m in set(zip(benches, mics, strict=True)) if b in mic_of and mic_of[b] != m
    }
    store = PriceStore.build(table, mic_of, sessions_for, sorted(foreign), settings.return_type)
    comp = np.flatnonzero(status == "")
    mic_list = sorted(set(mics[comp].tolist()))
    code = {m: k for k, m in enumerate(mic_list)}
    calendar = np.array([code[m] for m in mics[comp]], dtype=np.int64)
    p0 = np.zeros(len(comp), np.int64)
    stock = np.zeros(len(comp), np.int64)
    bench = np.full(len(comp), -1, np.int64)
    last = np.zeros(len(comp), np.int64)
    day0 = events["day0"].to_numpy(dtype="datetime64[ns]")[comp]
    for k, mic in enumerate(mic_list):
        here = np.flatnonzero(calendar == k)
        cal = store.calendars[mic]
        p0[here] = np.searchsorted(cal.sessions, day0[here])
        # Looked up once per distinct ticker and benchmark, not once per event.
        uniq, at = np.unique(tickers[comp][here].astype(str), return_inverse=True)
        stock[here] = cal.columns(uniq.tolist())[at]
        last[here] = cal.last[stock[here]]
        uniq, at = np.unique(benches[comp][here].astype(str), return_inverse=True)
        bench[here] = cal.columns([store.series_name(b, mic) for b in uniq.tolist()])[at]
        if need_bench:
            have = bench[here] >= 0
            blast = np.where(have, cal.last[np.maximum(bench[here], 0)], -1)
            last[here] = np.minimum(last[here], blast)
    huge = np.full(len(comp), np.iinfo(np.int64).max // 4, np.int64)
    index = EventIndex(comp, mic_list, calendar, p0, stock, bench, last, huge)
    return store, index, status, reason


def with_factors(
    factors: pd.DataFrame | None, settings: StudySettings, store: PriceStore, index: EventIndex
) -> tuple[Factors | None, EventIndex]:
    """The factors on each calendar (``None`` for models without factors) and ``index``
    with the last session that has factors."""
    if not settings.factor_names:
        return None, index
    fac = _factors(factors, settings, store, index)
    index = EventIndex(
        index.rows,
        index.mics,
        index.calendar,
        index.p0,
        index.stock,
        index.bench,
        index.last,
        _factor_last(fac, index),
    )
    return fac, index


def _factors(
    factors: pd.DataFrame | None, settings: StudySettings, store: PriceStore, index: EventIndex
) -> Factors:
    """Factor returns and RF on each calendar's sessions, matched by calendar date."""
    assert factors is not None
    names = settings.factor_names
    dates = pd.DatetimeIndex(factors.index).as_unit("ns")
    values, rf, last = {}, {}, {}
    last_date = dates.max().to_datetime64()
    for mic in index.mics:
        sessions = store.calendars[mic].sessions
        pos = dates.get_indexer(pd.DatetimeIndex(sessions))
        ok = pos >= 0
        f = np.full((len(sessions), len(names)), np.nan)
        f[ok] = factors[list(names)].to_numpy(dtype=np.float64)[pos[ok]]
        r = np.full(len(sessions), np.nan)
        r[ok] = factors["RF"].to_numpy(dtype=np.float64)[pos[ok]]
        values[mic], rf[mic] = f, r
        last[mic] = int(np.searchsorted(sessions, last_date, side="right")) - 1
    return Factors(tuple(names), values, rf, last)


def _factor_last(fac: Factors, index: EventIndex) -> np.ndarray:
    lasts = np.array([fac.last[m] for m in index.mics], dtype=np.int64)
    return lasts[index.calendar] if len(index) else np.zeros(0, np.int64)
