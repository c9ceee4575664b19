"""A plain per-event reference implementation of METHODS.md sections 2, 4 and 5.

It shares no code with the ``eventstudy`` engine on purpose: it loops over
events, fits each one with ``statsmodels`` OLS, builds each covariance matrix
explicitly, and computes every cross-sectional statistic in the most literal
way (a loop over event pairs for the Kolari-Pynnonen ``r``, an explicit
ranking per event for Corrado). It is slow and obviously correct, which is
the point: the tests check the vectorised engine against it.

Inputs are a long price frame ``date, ticker, adj_close``, events whose day 0
is already resolved (``event_id, ticker, benchmark, day0``) and the trading
sessions of the exchange (:func:`xnys_sessions`). Only NYSE-listed symbols
are handled (one calendar for the stock and its benchmark).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

DEFAULT_ESTIMATION_WINDOW = (-250, -11)
DEFAULT_EVENT_WINDOW = (-10, 10)
DEFAULT_CAR_WINDOWS = ((0, 0), (0, 1), (-1, 1), (-5, 5), (-10, 10))
TEST_NAMES = ("t_cs", "patell", "bmp", "kp", "gen_sign", "sign", "corrado", "wilcoxon")
PARAM_NAMES = {"market": ("alpha", "beta"), "constant_mean": ("mu",), "market_adjusted": ()}
K = {"market": 2, "constant_mean": 1, "market_adjusted": 0}

PENDING_EST = "estimation window ends after the last available session"
PENDING_EVENT = "event window ends after the last available session"


# --------------------------------------------------------------------------- time


@functools.cache
def xnys_sessions() -> pd.DatetimeIndex:
    """NYSE sessions from 1990 (tz-naive), straight from ``exchange_calendars``."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = xcals.get_calendar("XNYS", start="1990-01-01").sessions
    return pd.DatetimeIndex(labels.to_numpy().astype("datetime64[ns]"))


def resolve_day0(date: str, timing: str | None, sessions: pd.DatetimeIndex) -> pd.Timestamp:
    """Day 0 for a date-only announcement (METHODS.md section 1).

    ``after_close``: the first session strictly after the date; anything else:
    the date itself if it is a session, else the next session.
    """
    d = pd.Timestamp(date).normalize()
    if str(timing or "").strip().lower() in ("after_close", "amc"):
        return sessions[sessions > d][0]
    return sessions[sessions >= d][0]


# --------------------------------------------------------------------------- returns


def session_returns(prices: pd.DataFrame, sessions: pd.DatetimeIndex) -> dict[str, pd.Series]:
    """Simple returns per ticker between consecutive *sessions* (not rows).

    A missing price makes that session's and the next session's return NaN.
    """
    out = {}
    for ticker, g in prices.groupby("ticker"):
        p = pd.Series(
            g["adj_close"].astype(float).to_numpy(),
            index=pd.DatetimeIndex(pd.to_datetime(g["date"])).normalize(),
        )
        p = p.dropna().reindex(sessions)
        out[str(ticker)] = p / p.shift(1) - 1.0
    return out


def last_price_dates(prices: pd.DataFrame) -> dict[str, pd.Timestamp]:
    ok = prices.dropna(subset=["adj_close"])
    return {
        str(t): pd.Timestamp(d).normalize() for t, d in ok.groupby("ticker")["date"].max().items()
    }


# --------------------------------------------------------------------------- one event


@dataclass
class EventEstimate:
    """Everything the reference knows about one event."""

    event_id: str
    ticker: str
    benchmark: str
    day0: pd.Timestamp
    status: str
    reason: str = ""
    n_est: float = np.nan
    dof: float = np.nan
    sigma2: float = np.nan
    params: dict[str, float] = field(default_factory=dict)
    r2: float = np.nan
    resid: pd.Series | None = None  # estimation residuals by calendar date
    resid_rel: pd.Series | None = None  # the same by relative day
    xtx_inv: np.ndarray | None = None
    ar: pd.DataFrame | None = None  # index rel_day: date, ret, benchmark_ret, expected, ar, se
    x_star: pd.DataFrame | None = None  # event-window regressors by rel_day
    x_row: dict[int, np.ndarray] = field(default_factory=dict)  # rel_day -> x*_t
    ar_of: dict[int, float] = field(default_factory=dict)  # rel_day -> AR (observed days)
    date_of: dict[int, pd.Timestamp] = field(default_factory=dict)  # rel_day -> session
    _u: dict[int, float] | None = None

    @property
    def has_numbers(self) -> bool:
        return self.ar is not None


def regressors(model: str, bench: pd.Series) -> pd.DataFrame:
    """The design ``x_t`` of METHODS.md section 3 (NaN rows where a regressor is missing)."""
    if model == "market":
        return pd.DataFrame({"const": 1.0, "bench": bench}, index=bench.index)
    if model == "constant_mean":
        return pd.DataFrame({"const": np.ones(len(bench))}, index=bench.index)
    return pd.DataFrame(index=bench.index)


def fit_event(
    ev: dict[str, Any],
    rets: dict[str, pd.Series],
    last: dict[str, pd.Timestamp],
    sessions: pd.DatetimeIndex,
    spec: Spec,
) -> EventEstimate:
    """Estimate one event on its own, exactly as METHODS.md section 4 reads."""
    model = spec.model
    out = EventEstimate(
        str(ev["event_id"]),
        str(ev["ticker"]),
        str(ev["benchmark"]),
        pd.Timestamp(ev["day0"]),
        status="ok",
    )
    uses_bench = model in ("market", "market_adjusted")
    needed = [out.ticker] + ([out.benchmark] if uses_bench else [])
    if any(t not in rets for t in needed):
        out.status, out.reason = "failed", "no prices"
        return out
    last_avail = min(last[t] for t in needed)
    p0 = sessions.get_loc(out.day0)
    a, b = spec.estimation_window
    if p0 + b >= len(sessions) or sessions[p0 + b] > last_avail:
        out.status, out.reason = "pending", PENDING_EST
        return out

    y_all = rets[out.ticker]
    m_all = rets[out.benchmark] if out.benchmark in rets else pd.Series(np.nan, index=sessions)
    est_pos = [p0 + r for r in range(a, b + 1) if p0 + r >= 0]
    est_rel = [r for r in range(a, b + 1) if p0 + r >= 0]
    dates = sessions[est_pos]
    y = pd.Series(y_all.reindex(dates).to_numpy(), index=dates)
    m = pd.Series(m_all.reindex(dates).to_numpy(), index=dates)
    x = regressors(model, m)
    used = y.notna() & x.notna().all(axis=1)
    if model == "market_adjusted":
        used &= m.notna()
    out.n_est = float(used.sum())
    if out.n_est < spec.min_estimation:
        out.status, out.reason = "skipped", f"only {int(out.n_est)} estimation returns"
        out.n_est = np.nan
        return out
    k = K[model]
    out.dof = out.n_est - (k if model != "market_adjusted" else 1)

    evt_rel = list(range(spec.event_window[0], spec.event_window[1] + 1))
    observed = [r for r in evt_rel if p0 + r < len(sessions) and sessions[p0 + r] <= last_avail]
    evt_dates = sessions[[p0 + r for r in observed]]
    r_evt = pd.Series(y_all.reindex(evt_dates).to_numpy(), index=observed)
    m_evt = pd.Series(m_all.reindex(evt_dates).to_numpy(), index=observed)
    x_evt = regressors(model, m_evt)

    if model == "market_adjusted":
        diff = (y - m)[used]
        out.sigma2 = float(np.var(diff.to_numpy(), ddof=1))
        out.resid = diff
        expected = m_evt
        se = pd.Series(math.sqrt(out.sigma2), index=observed)
        out.xtx_inv = np.zeros((0, 0))
    else:
        xe = x[used].to_numpy()
        if model == "market":
            xe = sm.add_constant(x[used]["bench"].to_numpy(), has_constant="add")
        res = sm.OLS(y[used].to_numpy(), xe).fit()
        out.params = dict(zip(PARAM_NAMES[model], (float(v) for v in res.params), strict=True))
        out.sigma2 = float(res.ssr / (out.n_est - k))
        out.r2 = float(res.rsquared)
        out.resid = pd.Series(res.resid, index=dates[used.to_numpy()])
        out.xtx_inv = np.linalg.inv(xe.T @ xe)
        ok = x_evt.notna().all(axis=1)
        expected = pd.Series(np.nan, index=observed)
        se = pd.Series(np.nan, index=observed)
        if ok.any():
            pred = res.get_prediction(x_evt[ok].to_numpy())
            expected[ok] = pred.predicted_mean
            se[ok] = pred.se_obs  # sqrt(sigma^2 (1 + x*'(X'X)^-1 x*))
    rel_of_date = dict(zip(dates, est_rel, strict=True))
    out.resid_rel = pd.Series(out.resid.to_numpy(), index=[rel_of_date[d] for d in out.resid.index])
    ar = r_evt - expected
    out.ar = pd.DataFrame(
        {
            "date": evt_dates,
            "ret": r_evt,
            "benchmark_ret": m_evt,
            "expected": expected,
            "ar": ar,
            "se": se,
        },
        index=observed,
    )
    # cumulative from the event-window start; undefined after a missing AR
    out.ar["car"] = np.cumsum(ar.to_numpy())
    out.x_star = x_evt
    out.x_row = dict(zip(observed, x_evt.to_numpy(), strict=True))
    out.ar_of = dict(zip(observed, ar.to_numpy(), strict=True))
    out.date_of = dict(zip(observed, evt_dates, strict=True))
    out.status = "ok" if len(observed) == len(evt_rel) else "pending"
    out.reason = "" if out.status == "ok" else PENDING_EVENT
    return out


def window_covariance(est: EventEstimate, days: Sequence[int]) -> np.ndarray:
    """``V_w = sigma^2 (I + X*_w (X'X)^-1 X*_w')`` (``market_adjusted``: ``sigma^2 I``)."""
    n = len(days)
    xs = np.array([est.x_row[d] for d in days]).reshape(n, est.x_star.shape[1])
    if xs.shape[1] == 0:
        return est.sigma2 * np.eye(n)
    return est.sigma2 * (np.eye(n) + xs @ est.xtx_inv @ xs.T)


def car_of(est: EventEstimate, window: tuple[int, int]) -> dict[str, float] | None:
    """CAR, SE, t, p and SCAR of one event over ``window``; None if not fully observed."""
    days = list(range(window[0], window[1] + 1))
    if not est.has_numbers or any(d not in est.ar_of for d in days):
        return None
    ar = [est.ar_of[d] for d in days]
    if any(math.isnan(v) for v in ar):
        return None
    car = float(sum(ar))
    v = window_covariance(est, days)
    ones = np.ones(len(days))
    se = math.sqrt(float(ones @ v @ ones))
    t = car / se
    p = float(2.0 * stats.t.sf(abs(t), est.dof))
    return {"car": car, "se": se, "t": t, "p_value": p, "scar": t}


# --------------------------------------------------------------------------- section 5


@dataclass
class Member:
    """One event of a cross-section: its CAR over the window and what the tests need."""

    est: EventEstimate
    car: float
    scar: float
    window_dates: frozenset


def pearson_on_common_dates(a: pd.Series, b: pd.Series, min_common: int) -> float:
    """Pearson correlation of two residual series on the dates both have (0 if < min_common)."""
    common, ia, ib = np.intersect1d(a.index.to_numpy(), b.index.to_numpy(), return_indices=True)
    if len(common) < min_common:
        return 0.0
    rho = float(np.corrcoef(a.to_numpy()[ia], b.to_numpy()[ib])[0, 1])
    return rho if np.isfinite(rho) else 0.0


def kp_r(
    members: Sequence[Member],
    min_common: int = 30,
    memo: dict[tuple[str, str], float] | None = None,
) -> float:
    """Mean over all pairs ``i < j`` of ``rho_ij * o_ij`` (METHODS.md section 5)."""
    n = len(members)
    if n < 2:
        return float("nan")
    total = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            wi, wj = members[i].window_dates, members[j].window_dates
            o = len(wi & wj) / math.sqrt(len(wi) * len(wj))
            if o == 0.0:
                continue  # rho * 0
            ei, ej = members[i].est, members[j].est
            key = (ei.event_id, ej.event_id)
            rho = memo.get(key) if memo is not None else None  # rho is the same in every window
            if rho is None:
                rho = pearson_on_common_dates(ei.resid, ej.resid, min_common)
                if memo is not None:
                    memo[key] = rho
            total += rho * o
    return total / (n * (n - 1) / 2.0)


def corrado_u(est: EventEstimate) -> dict[int, float]:
    """``U_it = rank / (T_i + 1) - 1/2`` over estimation residuals and event-window ARs."""
    if est._u is None:
        values = pd.concat([est.resid_rel, est.ar["ar"]]).dropna()
        ranks = stats.rankdata(values.to_numpy())  # average ranks for ties
        u = ranks / (len(values) + 1.0) - 0.5
        est._u = dict(zip(values.index.tolist(), u.tolist(), strict=True))
    return est._u


def corrado(members: Sequence[Member], window: tuple[int, int]) -> float:
    """Corrado-Zivney rank statistic, multi-day per Campbell-Wasley."""
    us = [corrado_u(m.est) for m in members]
    days = sorted(set().union(*us))
    ubar = {}
    for t in days:
        vals = [u[t] for u in us if t in u]
        ubar[t] = sum(vals) / len(vals)
    s = math.sqrt(sum(v * v for v in ubar.values()) / len(ubar))
    w = list(range(window[0], window[1] + 1))
    return sum(ubar[t] for t in w) / (math.sqrt(len(w)) * s)


def section5(
    members: Sequence[Member],
    window: tuple[int, int],
    min_common: int = 30,
    memo: dict[tuple[str, str], float] | None = None,
) -> tuple[dict[str, tuple[float, float]], float]:
    """Every test of METHODS.md section 5: ``{name: (statistic, p_value)}`` and KP ``r``."""
    n = len(members)
    if n < 2:
        return {name: (np.nan, np.nan) for name in TEST_NAMES}, float("nan")
    car = np.array([m.car for m in members])
    scar = np.array([m.scar for m in members])
    d = np.array([m.est.dof for m in members], dtype=float)
    out: dict[str, tuple[float, float]] = {}

    def t_p(x: float) -> float:
        return float(2 * stats.t.sf(abs(x), n - 1))

    def z_p(x: float) -> float:
        return float(2 * stats.norm.sf(abs(x)))

    t_cs = car.mean() / (car.std(ddof=1) / math.sqrt(n))
    out["t_cs"] = (t_cs, t_p(t_cs))
    patell = scar.sum() / math.sqrt(np.sum(d / (d - 2)))
    out["patell"] = (patell, z_p(patell))
    bmp = scar.mean() / (scar.std(ddof=1) / math.sqrt(n))
    out["bmp"] = (bmp, t_p(bmp))
    r = kp_r(members, min_common, memo)
    kp = bmp * math.sqrt((1 - r) / (1 + (n - 1) * r))
    out["kp"] = (kp, t_p(kp))
    w = int((car > 0).sum())
    p = float(np.mean([(m.est.resid > 0).sum() / len(m.est.resid) for m in members]))
    gen = (w - n * p) / math.sqrt(n * p * (1 - p))
    out["gen_sign"] = (gen, z_p(gen))
    sign = (w - n / 2) / math.sqrt(n / 4)
    out["sign"] = (sign, z_p(sign))
    c = corrado(members, window)
    out["corrado"] = (c, z_p(c))
    nz = car[car != 0]
    ranks = stats.rankdata(np.abs(nz))
    w_plus = float(ranks[nz > 0].sum())
    out["wilcoxon"] = (w_plus, float(stats.wilcoxon(car, alternative="two-sided").pvalue))
    return out, r


# --------------------------------------------------------------------------- the study


@dataclass(frozen=True)
class Spec:
    model: str = "market"
    estimation_window: tuple[int, int] = DEFAULT_ESTIMATION_WINDOW
    event_window: tuple[int, int] = DEFAULT_EVENT_WINDOW
    car_windows: tuple[tuple[int, int], ...] = DEFAULT_CAR_WINDOWS
    min_estimation: int = 120
    min_common: int = 30


@dataclass
class ReferenceResult:
    """Tables in the layout of INTERFACE.md (the columns the reference computes)."""

    events: pd.DataFrame
    ar: pd.DataFrame
    car: pd.DataFrame
    tests: pd.DataFrame
    aar: pd.DataFrame
    meta: dict[str, Any]
    estimates: dict[str, EventEstimate]


def _window_dates(est: EventEstimate, days: Iterable[int]) -> frozenset:
    return frozenset(est.date_of[d] for d in days)


def reference_study(
    prices: pd.DataFrame,
    events: pd.DataFrame | Sequence[dict[str, Any]],
    sessions: pd.DatetimeIndex | None = None,
    **spec: Any,
) -> ReferenceResult:
    """Run the whole study, one event at a time.

    ``events``: ``event_id, ticker, benchmark, day0`` (day 0 a session).
    ``spec``: ``model, estimation_window, event_window, car_windows,
    min_estimation, min_common`` (defaults of METHODS.md).
    """
    sp = Spec(**{k: (tuple(map(tuple, v)) if k == "car_windows" else v) for k, v in spec.items()})
    sessions = xnys_sessions() if sessions is None else sessions
    rets = session_returns(prices, sessions)
    last = last_price_dates(prices)
    records = events.to_dict("records") if isinstance(events, pd.DataFrame) else list(events)
    ests = [fit_event(ev, rets, last, sessions, sp) for ev in records]

    ev_rows, ar_rows, car_rows, test_rows, kp = [], [], [], [], {}
    memo: dict[tuple[str, str], float] = {}
    for e in ests:
        row = {
            "event_id": e.event_id,
            "ticker": e.ticker,
            "benchmark": e.benchmark,
            "day0": e.day0,
            "status": e.status,
            "reason": e.reason,
            "n_est": e.n_est,
            "sigma": math.sqrt(e.sigma2) if e.has_numbers else np.nan,
        }
        for name in PARAM_NAMES[sp.model]:
            row[name] = e.params.get(name, np.nan)
        row["r2"] = e.r2
        ev_rows.append(row)
        if e.has_numbers:
            ar_rows.append(e.ar.rename_axis("rel_day").reset_index().assign(event_id=e.event_id))

    for w in sp.car_windows:
        members = []
        for e in ests:
            c = car_of(e, w)
            if c is None:
                continue
            car_rows.append({"event_id": e.event_id, "start": w[0], "end": w[1], **c})
            members.append(Member(e, c["car"], c["scar"], _window_dates(e, range(w[0], w[1] + 1))))
        res, r = section5(members, w, sp.min_common, memo)
        kp[f"{w[0]},{w[1]}"] = r
        caar = float(np.mean([m.car for m in members])) if members else np.nan
        for name in TEST_NAMES:
            test_rows.append(
                {
                    "start": w[0],
                    "end": w[1],
                    "statistic": name,
                    "value": res[name][0],
                    "p_value": res[name][1],
                    "n": len(members),
                    "caar": caar,
                }
            )

    aar_rows = []
    for t in range(sp.event_window[0], sp.event_window[1] + 1):
        members = []
        for e in ests:
            c = car_of(e, (t, t))
            if c is not None:
                members.append(Member(e, c["car"], c["scar"], _window_dates(e, [t])))
        res, _ = section5(members, (t, t), sp.min_common, memo)
        row = {
            "rel_day": t,
            "n": len(members),
            "aar": float(np.mean([m.car for m in members])) if members else np.nan,
        }
        for name in TEST_NAMES:
            row[name], row[f"{name}_p"] = res[name]
        aar_rows.append(row)
    aar = pd.DataFrame(aar_rows)
    aar.insert(3, "caar", aar["aar"].cumsum(skipna=False))

    ar_cols = ["event_id", "rel_day", "date", "ret", "benchmark_ret", "expected", "ar", "se", "car"]
    ar = (
        pd.concat(ar_rows, ignore_index=True)[ar_cols] if ar_rows else pd.DataFrame(columns=ar_cols)
    )
    return ReferenceResult(
        events=pd.DataFrame(ev_rows),
        ar=ar,
        car=pd.DataFrame(
            car_rows, columns=["event_id", "start", "end", "car", "se", "t", "p_value", "scar"]
        ),
        tests=pd.DataFrame(test_rows),
        aar=aar,
        meta={"kp_r": kp},
        estimates={e.event_id: e for e in ests},
    )


# --------------------------------------------------------------------------- data helpers


def read_price_folder(folder: str | Path, tickers: Iterable[str]) -> pd.DataFrame:
    """Long ``date, ticker, adj_close`` from ``<TICKER>.csv`` files (``Adj Close`` else ``Close``).

    ``^GSPC`` is read from ``GSPC.csv`` when ``^GSPC.csv`` is absent.
    """
    frames = []
    for t in tickers:
        path = Path(folder) / f"{t}.csv"
        if not path.exists():
            path = Path(folder) / f"{t.lstrip('^')}.csv"
        df = pd.read_csv(path)
        col = "Adj Close" if "Adj Close" in df.columns else "Close"
        frames.append(
            pd.DataFrame(
                {
                    "date": pd.to_datetime(df["Date"]),
                    "ticker": t,
                    "adj_close": df[col].astype(float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- comparison


TOL = 1e-10


def _norm_keys(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    out = df.copy()
    for k in keys:
        if k in ("event_id", "statistic"):
            out[k] = out[k].astype(str)
        else:
            out[k] = pd.to_numeric(out[k]).astype("int64")
    return out


def assert_tables_match(
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    keys: Sequence[str],
    columns: Sequence[str],
    *,
    tol: float = TOL,
    label: str = "",
    rows: pd.Series | None = None,
) -> None:
    """Same key rows, and every numeric column within ``tol * max(1, |expected|)``.

    NaN must match NaN. Text columns (``status``, ``reason``) must be equal
    (blank == NaN). ``rows`` (a boolean mask on ``expected``) limits the
    value comparison, not the key comparison.
    """
    a, e = _norm_keys(actual, keys), _norm_keys(expected, keys)
    ka = set(map(tuple, a[list(keys)].to_numpy().tolist()))
    ke = set(map(tuple, e[list(keys)].to_numpy().tolist()))
    assert not a.duplicated(list(keys)).any(), f"{label}: duplicate keys in actual"
    assert ka == ke, (
        f"{label}: row sets differ; missing {sorted(ke - ka)[:10]}, extra {sorted(ka - ke)[:10]}"
    )
    if rows is not None:
        e = e[rows.to_numpy()]
    m = e.merge(a, on=list(keys), suffixes=("_exp", "_act"), how="left")
    problems = []
    for col in columns:
        x, y = m[f"{col}_act"], m[f"{col}_exp"]
        if col in ("status", "reason", "model"):
            bad = x.fillna("").astype(str) != y.fillna("").astype(str)
        else:
            xa = pd.to_numeric(x, errors="coerce").astype(float).to_numpy()
            ya = pd.to_numeric(y, errors="coerce").astype(float).to_numpy()
            with np.errstate(invalid="ignore"):
                close = np.abs(xa - ya) <= tol * np.maximum(1.0, np.abs(ya))
            bad = pd.Series(~(close | (np.isnan(xa) & np.isnan(ya))), index=m.index)
        if bad.any():
            sample = m.loc[bad, [*keys, f"{col}_exp", f"{col}_act"]].head(5)
            problems.append(f"{col}: {int(bad.sum())} rows differ\n{sample.to_string()}")
    assert not problems, f"{label}:\n" + "\n".join(problems)
