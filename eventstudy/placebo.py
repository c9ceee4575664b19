"""Placebo studies: how often each test rejects when nothing happened (size), or
when a known abnormal return was added (power), on the user's own data.

Each trial draws one pseudo-event per event of the study: the same ticker and
benchmark (or a ticker drawn from a universe list), on a session drawn
uniformly from those where the whole estimation and event window has prices
(``--cluster``: one session per trial, shared by all its pseudo-events, drawn
from the sessions every ticker can use). The whole study is then run on the
engine with the study's settings; with ``inject = x``, ``x`` is added to every
pseudo-event's day-0 return before the abnormal returns are computed (Brown &
Warner 1985), so the rejection rates are the tests' power against a day-0 AR
of ``x``.

For every CAR window and test, and for the per-event t-test and
sample-quantile test (``event_t``, ``event_sq``, pooled over all pseudo-events),
the rejection rate at 1%, 5% and 10% (two-sided p below the level) is reported
with its exact (Clopper-Pearson) 95% binomial confidence interval. Under the
null a well-sized test's interval covers the level.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.base import PriceSet
from eventstudy.errors import EventStudyWarning, SettingsError

logger = logging.getLogger(__name__)

LEVELS = (0.01, 0.05, 0.10)
COLUMNS = [
    "start",
    "end",
    "statistic",
    "level",
    "trials",
    "rejections",
    "rate",
    "ci_low",
    "ci_high",
    "inject",
    "cluster",
]


@dataclass(frozen=True)
class PlaceboSpec:
    """What to simulate: ``trials`` studies seeded by ``seed``."""

    trials: int = 100
    seed: int = 0
    inject: float = 0.0
    cluster: bool = False
    universe: Sequence[str] | None = None

    def __post_init__(self) -> None:
        from eventstudy.limits import hint, limit
        from eventstudy.settings import MAX_SEED

        if int(self.trials) < 1:
            raise SettingsError(f"--trials must be at least 1, got {self.trials}")
        if int(self.trials) > limit("PLACEBO_TRIALS"):
            raise SettingsError(
                f"--trials must be at most {limit('PLACEBO_TRIALS'):,} "
                f"{hint('PLACEBO_TRIALS')}, got {self.trials}"
            )
        if not 0 <= int(self.seed) <= MAX_SEED:
            raise SettingsError(f"--seed must lie in 0 .. 2^63 - 1, got {self.seed}")
        if not np.isfinite(self.inject) or abs(self.inject) >= 1:
            raise SettingsError(
                f"--inject must be a return between -1 and 1 (0.01 is 1%), got {self.inject}"
            )


@dataclass
class PlaceboResult:
    """``table``: one row per window, statistic and level (see :data:`COLUMNS`)."""

    table: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def _spans(prices: PriceSet, symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last date with a price of each symbol (NaT: none), ``datetime64[D]``."""
    table = prices.table
    valid = np.isfinite(table.values["adj_close"])
    code = np.repeat(np.arange(len(table.tickers)), np.diff(table.starts))
    rows = np.flatnonzero(valid)
    vc = code[rows]
    k = np.arange(len(table.tickers))
    lo_at, hi_at = np.searchsorted(vc, k, "left"), np.searchsorted(vc, k, "right") - 1
    has = hi_at >= lo_at
    nat = np.datetime64("NaT", "D")
    first = np.where(has, table.dates[rows[np.minimum(lo_at, len(rows) - 1)]], nat)
    last = np.where(has, table.dates[rows[np.maximum(hi_at, 0)]], nat)
    if not len(rows):
        first = last = np.full(len(k), nat)
    at = pd.Index(table.tickers.astype(str)).get_indexer(pd.Index(symbols.astype(str)))
    out_first = (
        np.where(at >= 0, first[np.maximum(at, 0)], nat) if len(k) else np.full(len(at), nat)
    )
    out_last = np.where(at >= 0, last[np.maximum(at, 0)], nat) if len(k) else np.full(len(at), nat)
    return out_first, out_last


def _positions(
    sessions: np.ndarray, first: np.ndarray, last: np.ndarray, settings: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Session positions ``[a, b]`` of day 0 whose windows lie inside ``[first, last]``
    (``a > b``: none): one session before the estimation window for its first return."""
    ok = ~(np.isnat(first) | np.isnat(last))
    a = (
        np.searchsorted(sessions, np.where(ok, first, sessions[0]))
        + 1
        - settings.estimation_window[0]
    )
    b = np.searchsorted(sessions, np.where(ok, last, sessions[0]), side="right") - 1
    b = b - settings.event_window[1]
    return np.where(ok, a, 1), np.where(ok, b, 0)


def draw_events(
    events: pd.DataFrame,
    prices: PriceSet,
    settings: Any,
    spec: PlaceboSpec,
    sessions_for: Callable[[str], pd.DatetimeIndex],
) -> pd.DataFrame:
    """The pseudo-events of every trial, stacked, with their ``trial`` (0-based).

    Trial ``t``'s pseudo-event ``k`` (``event_id`` ``t{t}-{k}``) has event ``k``'s
    benchmark and exchange and its ticker (or, with a universe, a ticker drawn
    uniformly from it); its day 0 is drawn uniformly from the sessions where its
    ticker's and benchmark's prices cover the whole estimation and event window
    (``cluster``: one session per trial, drawn from those every pseudo-event of
    the trial can use). A pseudo-event with no such session is left out.
    """
    rng = np.random.default_rng(spec.seed)
    base = events[["ticker", "benchmark", "exchange"]].astype(str)
    n, trials = len(base), int(spec.trials)
    if spec.universe:
        picks = rng.integers(0, len(spec.universe), (trials, n))
        tickers = np.asarray([str(u) for u in spec.universe], dtype=object)[picks]
    else:
        tickers = np.tile(base["ticker"].to_numpy(dtype=object), (trials, 1))
    bench = np.tile(base["benchmark"].to_numpy(dtype=object), (trials, 1))
    mics = np.tile(base["exchange"].to_numpy(dtype=object), (trials, 1))
    t_first, t_last = _spans(prices, tickers.ravel())
    b_first, b_last = _spans(prices, bench.ravel())
    first = np.maximum(t_first, b_first)  # NaT propagates
    last = np.minimum(t_last, b_last)
    a = np.zeros(trials * n, np.int64)
    b = np.full(trials * n, -1, np.int64)
    flat_mics = mics.ravel()
    cal: dict[str, np.ndarray] = {}
    for mic in np.unique(flat_mics.astype(str)):
        rows = np.flatnonzero(flat_mics == mic)
        cal[mic] = pd.DatetimeIndex(sessions_for(mic)).to_numpy().astype("datetime64[D]")
        a[rows], b[rows] = _positions(cal[mic], first[rows], last[rows], settings)
    _warn_few_sessions(tickers.ravel(), a, b)
    usable = (a <= b).reshape(trials, n)
    a2, b2 = a.reshape(trials, n), b.reshape(trials, n)
    day = np.full((trials, n), np.datetime64("NaT", "D"))
    if spec.cluster:
        a_date = np.full((trials, n), np.datetime64("NaT", "D"))
        b_date = a_date.copy()
        for mic, sessions in cal.items():
            here = (mics == mic) & usable
            a_date[here] = sessions[a2[here]]
            b_date[here] = sessions[b2[here]]
        any_usable = usable.any(axis=1)
        lo = np.where(usable, a_date, np.datetime64("1000-01-01")).max(axis=1)
        hi = np.where(usable, b_date, np.datetime64("9000-01-01")).min(axis=1)
        first_k = usable.argmax(axis=1)
        for t in np.flatnonzero(any_usable):
            sessions = cal[str(mics[t, first_k[t]])]
            i0, i1 = np.searchsorted(sessions, lo[t]), np.searchsorted(sessions, hi[t], "right") - 1
            if i0 > i1:
                raise SettingsError(
                    "--cluster: no session lets every ticker's windows fit in its prices; "
                    "use tickers with overlapping price histories"
                )
            day[t, usable[t]] = sessions[int(rng.integers(i0, i1 + 1))]
    else:
        pos = np.zeros((trials, n), np.int64)
        pos[usable] = rng.integers(a2[usable], b2[usable] + 1)
        for mic, sessions in cal.items():
            here = (mics == mic) & usable
            day[here] = sessions[pos[here]]
    t_idx, k_idx = np.nonzero(usable)
    return pd.DataFrame(
        {
            "event_id": [f"t{t}-{k}" for t, k in zip(t_idx.tolist(), k_idx.tolist(), strict=True)],
            "ticker": tickers[t_idx, k_idx].astype(str),
            "benchmark": bench[t_idx, k_idx].astype(str),
            "date": pd.DatetimeIndex(day[t_idx, k_idx]).strftime("%Y-%m-%d"),
            "timing": "during_market",
            "trial": t_idx,
        }
    )


#: Fewer candidate day-0 sessions than this for a ticker: its pseudo-events barely
#: vary between trials, and the rates say little about the tests' size.
MIN_SESSIONS = 20


def few_session_tickers(tickers: np.ndarray, a: np.ndarray, b: np.ndarray) -> dict[str, int]:
    """Tickers whose windows fit in their prices on fewer than :data:`MIN_SESSIONS`
    sessions (and at least one), with that number."""
    count = b - a + 1
    few = (count >= 1) & (count < MIN_SESSIONS)
    out: dict[str, int] = {}
    for t, c in zip(tickers[few].tolist(), count[few].tolist(), strict=True):
        out[str(t)] = int(c)
    return dict(sorted(out.items()))


def _warn_few_sessions(tickers: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    few = few_session_tickers(tickers, a, b)
    if few:
        names = ", ".join(f"{t} ({c})" for t, c in list(few.items())[:10])
        more = f" and {len(few) - 10} more" if len(few) > 10 else ""
        warnings.warn(
            f"placebo: the prices of {names}{more} leave fewer than {MIN_SESSIONS} possible "
            "day-0 sessions (in brackets), so their pseudo-events barely vary between "
            "trials and the rates do not measure the tests' size; give full price "
            "histories (Yahoo, or a longer --prices file)",
            EventStudyWarning,
            stacklevel=3,
        )


def _clopper_pearson(k: np.ndarray, n: np.ndarray, conf: float = 0.95) -> tuple[np.ndarray, ...]:
    """Exact binomial confidence interval of ``k`` successes in ``n`` trials."""
    from scipy import stats

    alpha = 1.0 - conf
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def run_placebo(
    study: Any,
    prices: PriceSet,
    spec: PlaceboSpec,
    progress: Callable[[int], None] | None = None,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
) -> PlaceboResult:
    """Run ``spec.trials`` pseudo-studies of ``study`` (an :class:`EventStudy`) on ``prices``.

    Every pseudo-event of every trial is computed in one vectorised pass
    (:func:`eventstudy.trials.compute_trials`), with the study's settings (model,
    windows, alternative, ...). ``scheduler`` (a Dask scheduler address) or
    ``workers`` (a local Dask cluster of that many processes) spread blocks of
    trials over Dask workers (the ``dask`` extra); the draws are made here, once,
    so the rates are the same as a local run's for the same seed.
    """
    from eventstudy import scale_out
    from eventstudy.study import EventStudy, load_factors

    t0 = time.perf_counter()
    settings = study.settings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EventStudyWarning)
        frame = draw_events(study.events, prices, settings, spec, _sessions)
    notes = [str(w.message) for w in caught]
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pseudo-events may share a ticker and day 0
        pseudo = EventStudy(
            frame.rename(columns={"trial": "placebo_trial"}),
            estimation_window=settings.estimation_window,
            event_window=settings.event_window,
        )
    events = pseudo.events
    trial = events["placebo_trial"].to_numpy(dtype=np.int64)
    run_settings = dataclasses.replace(
        settings, extra={**settings.extra, "inject_day0": spec.inject}
    )
    factors = None
    if settings.factor_names and study.factors_source is not None:
        factors, _ = load_factors(study.factors_source)
    t1 = time.perf_counter()
    blocks = scale_out.trial_blocks(spec.trials, scheduler, workers)
    res = scale_out.compute_blocks(
        events, trial, blocks, prices, run_settings, factors, scheduler=scheduler, workers=workers
    )
    if progress is not None:
        progress(spec.trials)
    rows = []
    for c, (a, b) in enumerate(settings.car_windows):
        for j, stat in enumerate(res.names):
            rows += _rates(int(a), int(b), stat, res.p[:, j, c])
    for c, (a, b) in enumerate(settings.car_windows):
        rows += _rates(int(a), int(b), "event_t", res.event_p[:, c])
        rows += _rates(int(a), int(b), "event_sq", res.event_sq[:, c])
    table = pd.DataFrame(rows, columns=COLUMNS[:-2])
    k = table["rejections"].to_numpy(dtype=float)
    n = table["trials"].to_numpy(dtype=float)
    table["ci_low"], table["ci_high"] = _clopper_pearson(k, n)
    table["inject"] = spec.inject
    table["cluster"] = spec.cluster
    sizes = res.ok
    meta = {
        "trials": spec.trials,
        "seed": spec.seed,
        "inject": spec.inject,
        "cluster": spec.cluster,
        "universe": list(spec.universe) if spec.universe else None,
        "events_per_trial_mean": float(np.mean(sizes)) if len(sizes) else 0.0,
        "events_per_trial_min": int(sizes.min()) if len(sizes) else 0,
        "pseudo_events": len(events),
        "alternative": settings.alternative,
        "scheduler": scheduler or (f"LocalCluster({workers} workers)" if workers else "local"),
        "seconds": time.perf_counter() - t0,
        "seconds_draw": t1 - t0,
        "settings": settings.to_dict(),
        "warnings": notes,
    }
    logger.info("placebo: %d trials in %.1f s", spec.trials, meta["seconds"])
    return PlaceboResult(table[COLUMNS], meta)


def _sessions(mic: str) -> pd.DatetimeIndex:
    from eventstudy import event_time

    return event_time.sessions(mic)


def _rates(start: int, end: int, stat: str, p: np.ndarray) -> list[dict[str, Any]]:
    p = p[np.isfinite(p)]
    return [
        {
            "start": start,
            "end": end,
            "statistic": stat,
            "level": level,
            "trials": len(p),
            "rejections": int((p < level).sum()),
            "rate": float((p < level).mean()) if len(p) else np.nan,
        }
        for level in LEVELS
    ]
