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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.data.base import PriceSet
from eventstudy.errors import SettingsError

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
        if int(self.trials) < 1:
            raise SettingsError(f"--trials must be at least 1, got {self.trials}")
        if not np.isfinite(self.inject) or abs(self.inject) >= 1:
            raise SettingsError(
                f"--inject must be a return between -1 and 1 (0.01 is 1%), got {self.inject}"
            )


@dataclass
class PlaceboResult:
    """``table``: one row per window, statistic and level (see :data:`COLUMNS`)."""

    table: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def _span(prices: PriceSet, symbol: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    try:
        frame = prices.frames[symbol]
    except KeyError:
        return None
    dates = frame.index[frame["adj_close"].notna().to_numpy()]
    return (dates.min(), dates.max()) if len(dates) else None


def _feasible(
    sessions: pd.DatetimeIndex, spans: list[tuple[pd.Timestamp, pd.Timestamp]], settings: Any
) -> tuple[int, int]:
    """Session positions ``[a, b]`` whose windows lie inside every span (``a > b``: none)."""
    lo = max(s[0] for s in spans)
    hi = min(s[1] for s in spans)
    est0 = settings.estimation_window[0]
    evt1 = settings.event_window[1]
    a = int(sessions.searchsorted(lo)) + 1 - est0  # one session before for the first return
    b = int(sessions.searchsorted(hi, side="right")) - 1 - evt1
    return a, b


def draw_events(
    events: pd.DataFrame,
    prices: PriceSet,
    settings: Any,
    spec: PlaceboSpec,
    sessions_for: Callable[[str], pd.DatetimeIndex],
) -> list[pd.DataFrame]:
    """The pseudo-events of every trial (one frame per trial)."""
    rng = np.random.default_rng(spec.seed)
    base = events[["ticker", "benchmark", "exchange"]].astype(str)
    if spec.universe:
        picks = rng.integers(0, len(spec.universe), (spec.trials, len(base)))
        tickers = np.asarray(list(spec.universe), dtype=object)[picks]
    else:
        tickers = np.tile(base["ticker"].to_numpy(dtype=object), (spec.trials, 1))
    spans: dict[str, tuple[pd.Timestamp, pd.Timestamp] | None] = {}

    def span(sym: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        if sym not in spans:
            spans[sym] = _span(prices, sym)
        return spans[sym]

    out = []
    bench = base["benchmark"].to_numpy(dtype=object)
    mics = base["exchange"].to_numpy(dtype=object)
    for trial in range(spec.trials):
        rows = []
        usable = []
        for k in range(len(base)):
            s_t, s_b = span(tickers[trial, k]), span(bench[k])
            if s_t is None or s_b is None:
                continue
            sessions = sessions_for(mics[k])
            a, b = _feasible(sessions, [s_t, s_b], settings)
            if a <= b:
                usable.append((k, sessions, a, b))
        if spec.cluster and usable:
            a = max(u[2] for u in usable)
            b = min(u[3] for u in usable)
            if a > b:
                raise SettingsError(
                    "--cluster: no session lets every ticker's windows fit in its prices; "
                    "use tickers with overlapping price histories"
                )
            day = usable[0][1][int(rng.integers(a, b + 1))]
            dates = [day] * len(usable)
        else:
            dates = [u[1][int(rng.integers(u[2], u[3] + 1))] for u in usable]
        for (k, _, _, _), day in zip(usable, dates, strict=True):
            rows.append(
                {
                    "event_id": f"t{trial}-{k}",
                    "ticker": tickers[trial, k],
                    "benchmark": bench[k],
                    "date": f"{day:%Y-%m-%d}",
                    "timing": "during_market",
                }
            )
        out.append(
            pd.DataFrame(rows, columns=["event_id", "ticker", "benchmark", "date", "timing"])
        )
    return out


def _clopper_pearson(k: np.ndarray, n: np.ndarray, conf: float = 0.95) -> tuple[np.ndarray, ...]:
    """Exact binomial confidence interval of ``k`` successes in ``n`` trials."""
    from scipy import stats

    alpha = 1.0 - conf
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
        hi = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
    return np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)


def run_placebo(
    study: Any, prices: PriceSet, spec: PlaceboSpec, progress: Callable[[int], None] | None = None
) -> PlaceboResult:
    """Run ``spec.trials`` pseudo-studies of ``study`` (an :class:`EventStudy`) on ``prices``."""
    import warnings

    from eventstudy import event_time
    from eventstudy.study import EventStudy

    t0 = time.perf_counter()
    settings = study.settings
    trials = draw_events(study.events, prices, settings, spec, event_time.sessions)
    p_tests: list[pd.DataFrame] = []
    p_events: list[pd.DataFrame] = []
    sizes = []
    options = {
        "model": settings.model,
        "estimation_window": settings.estimation_window,
        "event_window": settings.event_window,
        "car_windows": settings.car_windows,
        "min_estimation": settings.min_estimation,
        "return_type": settings.return_type,
        "kp_max_pairs": settings.kp_max_pairs,
        "factors": study.factors_source,
    }
    for trial, frame in enumerate(trials):
        if frame.empty:
            sizes.append(0)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pseudo-events may share a ticker and day 0
            pseudo = EventStudy(frame, **options)
            pseudo.settings = dataclasses.replace(
                pseudo.settings, extra={**pseudo.settings.extra, "inject_day0": spec.inject}
            )
            res = pseudo.run(prices=prices)
        sizes.append(int((res.events["status"] == "ok").sum()))
        p_tests.append(res.tests[["start", "end", "statistic", "p_value"]].assign(trial=trial))
        p_events.append(res.car[["start", "end", "p_value", "sq_p"]])
        if progress is not None:
            progress(trial + 1)
    rows = []
    tests = pd.concat(p_tests, ignore_index=True) if p_tests else pd.DataFrame()
    for (a, b), ok in _groups(tests, ["start", "end"]):
        for stat, g in ok.groupby("statistic", sort=False):
            p = g["p_value"].to_numpy(dtype=float)
            rows += _rates(int(a), int(b), str(stat), p)
    cars = pd.concat(p_events, ignore_index=True) if p_events else pd.DataFrame()
    for (a, b), g in _groups(cars, ["start", "end"]):
        rows += _rates(int(a), int(b), "event_t", g["p_value"].to_numpy(dtype=float))
        rows += _rates(int(a), int(b), "event_sq", g["sq_p"].to_numpy(dtype=float))
    table = pd.DataFrame(rows, columns=COLUMNS[:-2])
    k = table["rejections"].to_numpy(dtype=float)
    n = table["trials"].to_numpy(dtype=float)
    table["ci_low"], table["ci_high"] = _clopper_pearson(k, n)
    table["inject"] = spec.inject
    table["cluster"] = spec.cluster
    meta = {
        "trials": spec.trials,
        "seed": spec.seed,
        "inject": spec.inject,
        "cluster": spec.cluster,
        "universe": list(spec.universe) if spec.universe else None,
        "events_per_trial_mean": float(np.mean(sizes)) if sizes else 0.0,
        "events_per_trial_min": int(min(sizes)) if sizes else 0,
        "seconds": time.perf_counter() - t0,
        "settings": settings.to_dict(),
    }
    logger.info("placebo: %d trials in %.1f s", spec.trials, meta["seconds"])
    return PlaceboResult(table[COLUMNS], meta)


def _groups(df: pd.DataFrame, keys: list[str]) -> Any:
    if df.empty:
        return iter(())
    return df.groupby(keys, sort=False)


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
