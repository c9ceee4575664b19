"""Many small studies at once: the cross-sectional tests per trial of a placebo run.

The events of every trial are stacked into one events table with a trial
code. The per-event work (windows, fits, AR, CAR, SE, t, p, the
sample-quantile test) runs once, vectorised over all trials' events, exactly
as :func:`eventstudy.engine.compute` does it; then each trial's events get
their own cross-section (the battery, the Corrado and GRANK ranks, the KP
``r`` of their pairs, the Brown-Warner portfolio), only for the CAR windows.
Each trial's numbers are therefore those of a study of that trial's events
alone (a test checks it against :class:`~eventstudy.study.EventStudy`), at a
fraction of the cost: no tables, no per-day tests, one price store.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from eventstudy import engine, models
from eventstudy.data.base import PriceSet
from eventstudy.inference.battery import TEST_NAMES
from eventstudy.inference.crosssection import KpCollector, cross_sections
from eventstudy.inference.extra import SKEW_REPS, ExtraCollector
from eventstudy.inference.rank import CorradoSums
from eventstudy.settings import StudySettings


@dataclass(frozen=True)
class TrialTests:
    """``p`` (T, tests, W): p-value of each test (:data:`TEST_NAMES`) per trial and CAR
    window (NaN: not computable); ``event_p``, ``event_sq`` (M, W): the per-event t and
    sample-quantile p-values of every estimated event (NaN otherwise), ``event_trial``
    (M,) their trials; ``ok`` (T,): events with status ``ok`` per trial."""

    p: np.ndarray
    event_p: np.ndarray
    event_sq: np.ndarray
    event_trial: np.ndarray
    ok: np.ndarray
    names: tuple[str, ...] = TEST_NAMES


def compute_trials(
    events: pd.DataFrame,
    trial: np.ndarray,
    n_trials: int,
    prices: PriceSet,
    settings: StudySettings,
    sessions_for: engine.SessionsFor,
    exchange_of: engine.ExchangeOf,
    factors: pd.DataFrame | None = None,
) -> TrialTests:
    """The tests of ``n_trials`` studies whose events are ``events`` (day 0 resolved),
    event ``i`` belonging to trial ``trial[i]``. Every trial bootstraps ``skew_t``
    with the study's seed, as its own study would, so each trial's p-values equal
    those of one study of its events."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _compute(
            events, trial, n_trials, prices, settings, sessions_for, exchange_of, factors
        )


def _compute(
    events: pd.DataFrame,
    trial: np.ndarray,
    n_trials: int,
    prices: PriceSet,
    settings: StudySettings,
    sessions_for: engine.SessionsFor,
    exchange_of: engine.ExchangeOf,
    factors: pd.DataFrame | None,
) -> TrialTests:
    events = events.reset_index(drop=True)
    trial = np.asarray(trial, dtype=np.int64)
    if settings.factor_names and factors is None:
        raise ValueError(f"model {settings.model!r} needs daily factors")
    store, index, _, _ = engine._prepare(events, prices, settings, sessions_for, exchange_of)
    fac, index = engine.with_factors(factors, settings, store, index)
    est_days = np.arange(settings.estimation_window[0], settings.estimation_window[1] + 1)
    evt_days = np.arange(settings.event_window[0], settings.event_window[1] + 1)
    le, lw = len(est_days), len(evt_days)
    windows = engine._car_columns(settings, evt_days)
    n_win = len(windows)
    k = len(models.PARAM_NAMES[settings.model])
    m = len(index)
    arr = engine.EventArrays.empty(m, lw, n_win, k)
    resid_est = np.full((m, le), np.nan)
    resid_all = np.full((m, le + lw), np.nan)
    sigma2 = np.full(m, np.nan)
    clock = engine._Stages()
    for sel, w, fit in engine.fitted_chunks(store, index, prices, settings, fac, arr, clock):
        resid_est[sel] = fit.resid_est
        resid_all[sel] = np.concatenate(
            [fit.resid_est, np.where(w.observed_evt, fit.ar, np.nan)], axis=1
        )
        sigma2[sel] = fit.sigma2
    included = np.isfinite(arr.window["car"]) & arr.numbers[:, None]
    of = trial[index.rows]
    order = np.argsort(of, kind="stable")
    bounds = np.searchsorted(of[order], np.arange(n_trials + 1))
    p = np.full((n_trials, len(TEST_NAMES), n_win), np.nan)
    ok = np.bincount(of[arr.status == engine.OK], minlength=n_trials)
    for t in range(n_trials):
        sel = order[bounds[t] : bounds[t + 1]]
        if len(sel) < 2:
            continue
        p[t] = _trial_p(
            arr,
            index.take(sel),
            sel,
            store,
            settings,
            windows,
            resid_est,
            resid_all,
            sigma2,
            included,
            est_days,
            evt_days,
            (settings.seed,),
        )
    numbers = arr.numbers[:, None]
    return TrialTests(
        p=p,
        event_p=np.where(numbers, arr.window["p"], np.nan),
        event_sq=np.where(numbers, arr.window["sq_p"], np.nan),
        event_trial=of,
        ok=ok,
    )


def _trial_p(
    arr: engine.EventArrays,
    sub: Any,
    sel: np.ndarray,
    store: Any,
    settings: StudySettings,
    windows: list[np.ndarray],
    resid_est: np.ndarray,
    resid_all: np.ndarray,
    sigma2: np.ndarray,
    included: np.ndarray,
    est_days: np.ndarray,
    evt_days: np.ndarray,
    seed: tuple[int, ...],
) -> np.ndarray:
    """(tests, W) p-values of one trial's events ``sel`` (positions in the index)."""
    n, le = len(sel), len(est_days)
    numbers = arr.numbers[sel]
    inc = included[sel]
    local = np.arange(n)
    corrado = CorradoSums(len(windows), le + len(evt_days))
    corrado.add(resid_all[sel], numbers, inc)
    kp_in = KpCollector(sub, store, settings, est_days, evt_days)
    kp_in.add(local, resid_est[sel], numbers, inc)
    extra_in = ExtraCollector(n, le)
    extra_in.add(local, resid_est[sel], sigma2[sel], numbers)
    view = SimpleNamespace(
        ar=np.zeros((n, 0)),  # CAR windows only: no per-day columns
        day_scar=np.zeros((n, 0)),
        window={"car": arr.window["car"][sel], "scar": arr.window["scar"][sel]},
        numbers=numbers,
        dof=arr.dof[sel],
        pos_share=arr.pos_share[sel],
    )
    cs = cross_sections(
        view,
        sub,
        windows,
        corrado,
        kp_in,
        le,
        None,
        extra_in,
        settings.alternative,
        SKEW_REPS,
        seed,
    )
    return np.stack([tc.p_value for tc in cs.tests])
