"""The computation: events + prices -> statuses, AR, CAR and the test battery.

Pure numpy/pandas (no files, no network): the study module gathers prices and
hands them here; everything is computed on stacked arrays across events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from eventstudy import inference, kp, models
from eventstudy.data.base import PriceSet
from eventstudy.panel import EventPanel, PanelRequest, attach_factors, build_panel
from eventstudy.settings import StudySettings

SessionsFor = Callable[[str], pd.DatetimeIndex]
ExchangeOf = Callable[[str], str]

OK, PENDING, SKIPPED, FAILED = "ok", "pending", "skipped", "failed"
PENDING_EVENT = "event window ends after the last available session"
PENDING_EST = "estimation window ends after the last available session"


@dataclass(frozen=True)
class EngineOutput:
    """The tidy tables of a study (see INTERFACE.md, output folder)."""

    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    aar: pd.DataFrame
    tests: pd.DataFrame
    estimation: pd.DataFrame
    kp_r: dict[str, float]


def uses_benchmark(model: str) -> bool:
    return model in ("market", "market_adjusted")


def initial_status(
    events: pd.DataFrame, prices: PriceSet, model: str
) -> tuple[list[str | None], list[str]]:
    """``failed`` with a reason for events whose ticker or benchmark has no prices."""
    served = {t for t, f in prices.frames.items() if f["adj_close"].notna().any()}
    status: list[str | None] = []
    reason: list[str] = []
    need_bench = uses_benchmark(model)
    for ticker, bench in zip(events["ticker"], events["benchmark"], strict=True):
        problems = []
        for sym, role in ((ticker, "ticker"), (bench, "benchmark")):
            if (role == "benchmark" and not need_bench) or sym in served:
                continue
            problems.append(prices.missing.get(sym, f"no prices for {role} '{sym}'"))
        status.append(FAILED if problems else None)
        reason.append("; ".join(problems))
    return status, reason


def compute(
    events: pd.DataFrame,
    prices: PriceSet,
    settings: StudySettings,
    sessions_for: SessionsFor,
    exchange_of: ExchangeOf,
    factors: pd.DataFrame | None = None,
) -> EngineOutput:
    """Run the whole study on ``events`` (one row per event, day 0 resolved).

    ``factors`` (decimal daily factor returns indexed by date, with ``RF``) is
    required by the factor models ``ff3``, ``carhart`` and ``ff5``.
    """
    events = events.reset_index(drop=True)
    status, reason = initial_status(events, prices, settings.model)
    rows = [i for i, s in enumerate(status) if s is None]
    sub = events.iloc[rows]
    requests = [
        PanelRequest(
            event_id=str(r.event_id),
            ticker=str(r.ticker),
            benchmark=str(r.benchmark),
            mic=str(r.exchange),
            benchmark_mic=exchange_of(str(r.benchmark)),
            day0=pd.Timestamp(str(r.day0)),
        )
        for r in sub.itertuples(index=False)
    ]
    series = {t: f["adj_close"] for t, f in prices.frames.items()}
    panel = build_panel(
        requests,
        series,
        settings.estimation_window,
        settings.event_window,
        sessions_for,
        settings.return_type,
        uses_benchmark(settings.model),
    )
    if settings.factor_names:
        if factors is None:
            raise ValueError(f"model {settings.model!r} needs daily factors")
        panel = attach_factors(panel, factors, settings.factor_names)
    fit = models.fit(settings.model, panel)
    sub_status, sub_reason = _statuses(panel, fit, settings)
    for k, i in enumerate(rows):
        status[i], reason[i] = sub_status[k], sub_reason[k]
    status_arr = np.array(sub_status, dtype=object)
    active = np.isin(status_arr, [OK, PENDING])
    return _tables(events, rows, status, reason, panel, fit, active, settings)


def _statuses(panel: EventPanel, fit: models.ModelFit, settings: StudySettings):
    status, reason = [], []
    for i in range(panel.n):
        n_est = int(fit.n_est[i])
        if not panel.est_complete[i]:
            status.append(PENDING)
            reason.append(PENDING_EST)
        elif n_est < settings.min_estimation:
            status.append(SKIPPED)
            reason.append(f"only {n_est} estimation returns")
        elif not fit.rank_ok[i]:
            status.append(FAILED)
            reason.append("estimation regressors are collinear (is the benchmark series constant?)")
        elif not panel.observed_evt[i].all():
            status.append(PENDING)
            reason.append(PENDING_EVENT)
        else:
            status.append(OK)
            reason.append("")
    return status, reason


def _tables(events, rows, status, reason, panel, fit, active, settings) -> EngineOutput:
    # Pending events without an estimate (estimation window incomplete) carry no numbers.
    numbers = active & panel.est_complete
    ev = _events_table(events, rows, status, reason, fit, numbers, settings)
    ar = _ar_table(panel, fit, numbers)
    car, per_window = _car_table(panel, fit, numbers, settings)
    resid_all = np.concatenate(
        [fit.resid_est, np.where(panel.observed_evt, fit.ar, np.nan)], axis=1
    )
    u = inference.corrado_u(resid_all)
    with np.errstate(invalid="ignore", divide="ignore"):
        pos_share = (fit.resid_est > 0).sum(axis=1) / fit.n_est
    pairs = kp.pair_correlations(
        np.where(numbers[:, None], fit.resid_est, np.nan),
        panel.dates_est,
        panel.dates_evt,
        settings.kp_min_overlap,
        calendar_id=panel.calendar_id,
        day0_pos=panel.day0_pos,
    )
    ctx = _TestContext(panel, fit, numbers, u, pos_share, pairs)
    tests, kp_r = _window_tests(ctx, per_window, settings)
    aar = _aar_table(ctx, settings)
    est = _estimation_table(panel, fit, numbers, settings.factor_names)
    return EngineOutput(ev, ar, car, aar, tests, est, kp_r)


def _events_table(events, rows, status, reason, fit, numbers, settings) -> pd.DataFrame:
    out = events.copy()
    out["status"] = status
    out["reason"] = reason
    out["model"] = settings.model
    n = len(out)
    n_est = np.full(n, np.nan)
    sigma = np.full(n, np.nan)
    r2 = np.full(n, np.nan)
    params = np.full((n, len(fit.param_names)), np.nan)
    idx = np.array(rows, dtype=int)
    keep = numbers
    n_est[idx[keep]] = fit.n_est[keep]
    sigma[idx[keep]] = np.sqrt(fit.sigma2[keep])
    r2[idx[keep]] = fit.r2[keep]
    params[idx[keep]] = fit.params[keep]
    out["n_est"] = pd.array(n_est, dtype="Int64") if n else pd.array([], dtype="Int64")
    out["sigma"] = sigma
    for k, name in enumerate(fit.param_names):
        out[name] = params[:, k]
    out["r2"] = r2
    return out


def _ar_table(panel: EventPanel, fit: models.ModelFit, numbers: np.ndarray) -> pd.DataFrame:
    sel = numbers[:, None] & panel.observed_evt
    ei, di = np.nonzero(sel)
    ar = np.where(panel.observed_evt, fit.ar, np.nan)
    car = np.cumsum(ar, axis=1)
    car_se = np.where(np.isfinite(car), np.sqrt(fit.cumulative_car_variance()), np.nan)
    return pd.DataFrame(
        {
            "event_id": panel.event_ids[ei].astype(str),
            "rel_day": panel.evt_days[di],
            "date": pd.DatetimeIndex(panel.dates_evt[ei, di]),
            "ret": panel.ret_evt[ei, di],
            "benchmark_ret": panel.bench_evt[ei, di],
            "expected": fit.expected_evt[ei, di],
            "ar": ar[ei, di],
            "se": np.sqrt(fit.var_ar[ei, di]),
            "car": car[ei, di],
            "car_se": car_se[ei, di],
        }
    )


def _window_cols(panel: EventPanel, window: tuple[int, int]) -> np.ndarray:
    return np.flatnonzero((panel.evt_days >= window[0]) & (panel.evt_days <= window[1]))


def _car_table(panel, fit, numbers, settings):
    frames, per_window = [], {}
    ar = np.where(panel.observed_evt, fit.ar, np.nan)
    for w in settings.car_windows:
        cols = _window_cols(panel, w)
        cs = inference.car_stats(ar, fit.car_variance(cols), fit.dof, cols)
        has = numbers & np.isfinite(cs.car)
        per_window[w] = (cols, cs, has)
        frames.append(
            pd.DataFrame(
                {
                    "event_id": panel.event_ids[has].astype(str),
                    "start": w[0],
                    "end": w[1],
                    "car": cs.car[has],
                    "se": cs.se[has],
                    "t": cs.t[has],
                    "p_value": cs.p[has],
                    "scar": cs.scar[has],
                }
            )
        )
    car = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return car, per_window


@dataclass(frozen=True)
class _TestContext:
    panel: EventPanel
    fit: models.ModelFit
    numbers: np.ndarray
    u: np.ndarray
    pos_share: np.ndarray
    pairs: kp.PairCorrelations


def _battery(
    ctx: _TestContext, cols: np.ndarray, car: np.ndarray, scar: np.ndarray, has: np.ndarray
):
    """Run every cross-sectional test for the events ``has`` over ``cols``."""
    le = ctx.panel.ret_est.shape[1]
    r = kp.mean_rho_overlap(ctx.pairs, has, ctx.panel.dates_evt[:, cols])
    corrado = inference.corrado_statistic(ctx.u[has], le + cols) if has.sum() >= 2 else float("nan")
    cs = inference.CrossSection(
        car=car[has],
        scar=scar[has],
        dof=ctx.fit.dof[has],
        pos_share=ctx.pos_share[has],
        corrado=corrado,
        kp_r=r,
    )
    return inference.cross_sectional_tests(cs), r


def _window_tests(ctx: _TestContext, per_window, settings) -> tuple[pd.DataFrame, dict[str, float]]:
    rows, kp_r = [], {}
    for w in settings.car_windows:
        cols, cs, has = per_window[w]
        results, r = _battery(ctx, cols, cs.car, cs.scar, has)
        kp_r[f"{w[0]},{w[1]}"] = r
        caar = float(np.mean(cs.car[has])) if has.any() else float("nan")
        for t in results:
            rows.append(
                {
                    "start": w[0],
                    "end": w[1],
                    "statistic": t.name,
                    "value": t.statistic,
                    "p_value": t.p_value,
                    "n": t.n,
                    "caar": caar,
                    "distribution": t.distribution,
                    "df": t.df,
                    "note": t.note,
                }
            )
    return pd.DataFrame(rows), kp_r


def _aar_table(ctx: _TestContext, settings: StudySettings) -> pd.DataFrame:
    panel, fit = ctx.panel, ctx.fit
    ar = np.where(panel.observed_evt, fit.ar, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        scar = ar / np.sqrt(fit.var_ar)
    rows = []
    for c, day in enumerate(panel.evt_days):
        has = ctx.numbers & np.isfinite(ar[:, c])
        cols = np.array([c])
        results, _ = _battery(ctx, cols, ar[:, c], scar[:, c], has)
        row: dict[str, float | int] = {
            "rel_day": int(day),
            "n": int(has.sum()),
            "aar": float(ar[has, c].mean()) if has.any() else float("nan"),
        }
        for t in results:
            row[t.name] = t.statistic
            row[f"{t.name}_p"] = t.p_value
        rows.append(row)
    out = pd.DataFrame(rows)
    out.insert(3, "caar", out["aar"].cumsum(skipna=False))
    return out


def _estimation_table(
    panel: EventPanel, fit: models.ModelFit, numbers: np.ndarray,
    factor_names: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Estimation-window data of every estimated event (for plots and audits);
    factor models add their factor columns and ``RF``."""
    used = np.isfinite(fit.resid_est) & numbers[:, None]
    ei, di = np.nonzero(used)
    ret = panel.ret_est[ei, di]
    # Categorical ids: this table has ~240 rows per event.
    ids = (
        pd.Categorical.from_codes(ei, categories=pd.Index(panel.event_ids.astype(str)))
        if len(set(panel.event_ids)) == len(panel.event_ids)
        else panel.event_ids[ei].astype(str)
    )
    table = pd.DataFrame(
        {
            "event_id": ids,
            "rel_day": panel.est_days[di],
            "date": pd.DatetimeIndex(panel.dates_est[ei, di]),
            "ret": ret,
            "benchmark_ret": panel.bench_est[ei, di],
            "expected": ret - fit.resid_est[ei, di],
            "resid": fit.resid_est[ei, di],
        }
    )
    if panel.factors_est is not None and panel.rf_est is not None:
        for k, name in enumerate(factor_names):
            table[name] = panel.factors_est[ei, di, k]
        table["RF"] = panel.rf_est[ei, di]
    return table
