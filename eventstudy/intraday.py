"""Intraday abnormal returns from minute bars around an announcement.

Bars (``--intraday-prices PATH``: CSV or Parquet, long form ``timestamp`` (time
zone aware, the bar's start), ``ticker``, ``close`` [, ``open``, ``volume``],
or yfinance's export ``Datetime_UTC, Open, ..., Close`` with the ticker taken
from the file name before its first ``_``) give bar returns
``r_b = C_b / C_{b-1} - 1`` within one regular session, and ``C_b / O_b - 1``
(open to close) for a session's first bar: the overnight gap is left to the
daily split (:mod:`eventstudy.day0_split`).

Anchor: the announcement time for an announcement during the session; the
next session's first bar (the open) for one before the open or after the
close. A window ``[a, b)`` in minutes holds the bars that start in
``[anchor + a, anchor + b)``. Expected returns come from the same security's
bars of the ``estimation_sessions`` regular sessions before the anchor's
session (the same segment of the day: regular hours):

* ``constant_mean``: ``E[r_b] = mu``, ``sigma^2`` the ddof-1 variance of ``r``;
* ``market``: ``r_b = alpha + beta r_mb`` by OLS on the bars both have, with a
  benchmark that trades when the bars do (``SPY``, or a future such as
  ``ES=F``; ``^GSPC`` has no bars outside its session).

Then, as for daily data, ``AR_b = r_b - E[r_b]``, ``CAR = sum AR_b``,
``SE(CAR) = sigma sqrt(n)`` (the parameter-uncertainty term is left out: with
hundreds of estimation bars it is negligible), ``t = CAR / SE``, two-sided p
from Student t with ``d = T - k``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from eventstudy.errors import SettingsError

__all__ = ["DEFAULT_WINDOWS", "IntradayWindow", "intraday_car", "load_intraday"]

#: Minutes relative to the anchor, ``[start, end)``.
DEFAULT_WINDOWS: tuple[tuple[int, int], ...] = ((-30, 0), (0, 15), (0, 60))


@dataclass(frozen=True)
class IntradayWindow:
    start: int
    end: int

    @property
    def label(self) -> str:
        return f"[{self.start:+d} min, {self.end:+d} min)"


def load_intraday(path: str | Path) -> pd.DataFrame:
    """Bars as ``ticker, timestamp (UTC), close, open, volume``, sorted."""
    p = Path(path)
    files = sorted(p.glob("*.csv")) + sorted(p.glob("*.parquet")) if p.is_dir() else [p]
    if not files:
        raise SettingsError(f"--intraday-prices {p}: no CSV or Parquet files there")
    frames = []
    for f in files:
        try:
            raw = pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f)
        except (OSError, ValueError) as exc:
            raise SettingsError(f"--intraday-prices {f}: cannot read it ({exc})") from None
        cols = {c.lower(): c for c in raw.columns}
        if "timestamp" in cols:
            ts = pd.to_datetime(raw[cols["timestamp"]], utc=False)
            if getattr(ts.dt, "tz", None) is None:
                raise SettingsError(
                    f"--intraday-prices {f}: column timestamp has no time zone; give times "
                    "with an offset (e.g. 2025-09-12T09:30:00-04:00)"
                )
            ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        elif "datetime_utc" in cols:
            ts = pd.to_datetime(raw[cols["datetime_utc"]])
        else:
            raise SettingsError(
                f"--intraday-prices {f}: needs a time-zone-aware 'timestamp' column "
                "(or yfinance's 'Datetime_UTC')"
            )
        if "close" not in cols:
            raise SettingsError(f"--intraday-prices {f}: needs a 'close' column")
        ticker = (
            raw[cols["ticker"]].astype(str).str.upper()
            if "ticker" in cols
            else pd.Series(f.stem.split("_")[0].upper(), index=raw.index)
        )
        frames.append(
            pd.DataFrame(
                {
                    "ticker": ticker.to_numpy(),
                    "timestamp": ts.to_numpy(),
                    "close": pd.to_numeric(raw[cols["close"]], errors="coerce").to_numpy(float),
                    "open": pd.to_numeric(raw[cols["open"]], errors="coerce").to_numpy(float)
                    if "open" in cols
                    else np.nan,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["timestamp"] = pd.DatetimeIndex(out["timestamp"]).tz_localize("UTC")
    return out.sort_values(["ticker", "timestamp"], kind="stable").reset_index(drop=True)


def _bar_returns(bars: pd.DataFrame, tz: str) -> pd.DataFrame:
    """One symbol's bars with ``session`` (local date) and within-session returns ``r``."""
    b = bars.copy()
    local = pd.DatetimeIndex(b["timestamp"]).tz_convert(tz)
    b["session"] = local.normalize().tz_localize(None)
    first = b["session"].ne(b["session"].shift())
    opening = b["close"] / b["open"] - 1.0 if "open" in b else np.nan
    b["r"] = np.where(first, opening, b["close"] / b["close"].shift() - 1.0)
    return b


def _reaction_session(day: pd.Timestamp, timing: str, mic: str) -> pd.Timestamp:
    """The session whose open first trades on the news: the announcement day's own
    session before the open, the next session after the close (or on a non-session day)."""
    from eventstudy.event_time import sessions

    s = sessions(mic)
    pos = int(
        s.searchsorted(day, side="left")
        if timing == "before_open"
        else s.searchsorted(day, "right")
    )
    if pos >= len(s):
        raise KeyError(f"no session after {day:%Y-%m-%d} on {mic}")
    return pd.Timestamp(s[pos])


def intraday_car(
    bars: pd.DataFrame,
    ticker: str,
    announced: pd.Timestamp,
    timing: str,
    *,
    tz: str = "America/New_York",
    windows: tuple[tuple[int, int], ...] = DEFAULT_WINDOWS,
    estimation_sessions: int = 10,
    benchmark_bars: pd.DataFrame | None = None,
    mic: str = "XNYS",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per window ``start, end, anchor, n_bars, car, se, t, p_value, model, note``,
    per bar ``timestamp, minutes, ret, expected, ar``) for one event."""
    own = bars[bars["ticker"] == ticker.upper()]
    if own.empty:
        raise KeyError(f"no intraday bars for {ticker}")
    b = _bar_returns(own, tz)
    sessions = pd.DatetimeIndex(b["session"].unique())
    ann = pd.Timestamp(announced)
    ann = ann.tz_localize(tz) if ann.tzinfo is None else ann.tz_convert(tz)
    ann_session = ann.normalize().tz_localize(None)
    day_bars = b[b["session"] == ann_session]
    during = bool(
        timing == "during_market"
        and len(day_bars)
        and pd.Timestamp(day_bars["timestamp"].iloc[0]).tz_convert(tz)
        <= ann
        <= pd.Timestamp(day_bars["timestamp"].iloc[-1]).tz_convert(tz) + pd.Timedelta(minutes=5)
    )
    if timing == "during_market" and day_bars.empty:
        raise KeyError(f"no intraday bars for {ticker} on {ann_session:%Y-%m-%d}")
    if during:
        anchor, a_session = ann, ann_session
    else:
        a_session = _reaction_session(ann_session, timing, mic)
        first_bar = b.loc[b["session"] == a_session, "timestamp"]
        if first_bar.empty:
            raise KeyError(
                f"no intraday bars for {ticker} on {a_session:%Y-%m-%d}, the first session "
                "after the announcement"
            )
        anchor = pd.Timestamp(first_bar.iloc[0]).tz_convert(tz)
    prior = sessions[sessions < a_session][-estimation_sessions:]
    est = b[b["session"].isin(prior) & b["r"].notna()]
    model = "constant_mean"
    if benchmark_bars is not None and not benchmark_bars.empty:
        model = "market"
        m = _bar_returns(benchmark_bars, tz).set_index("timestamp")["r"]
        est = est.assign(rm=m.reindex(est["timestamp"]).to_numpy())
        est = est[est["rm"].notna()]
        x = np.column_stack([np.ones(len(est)), est["rm"].to_numpy()])
        coef, *_ = np.linalg.lstsq(x, est["r"].to_numpy(), rcond=None)
        resid = est["r"].to_numpy() - x @ coef
        k = 2
    else:
        coef = np.array([float(est["r"].mean())])
        resid = est["r"].to_numpy() - coef[0]
        k = 1
    d = len(resid) - k
    sigma = math.sqrt(float(resid @ resid) / d) if d > 0 else math.nan
    evt = b[b["session"] == a_session].copy()
    minutes = (pd.DatetimeIndex(evt["timestamp"]).tz_convert(tz) - anchor).total_seconds() / 60.0
    evt["minutes"] = minutes.to_numpy()
    if model == "market":
        assert benchmark_bars is not None
        m = _bar_returns(benchmark_bars, tz).set_index("timestamp")["r"]
        evt["expected"] = coef[0] + coef[1] * m.reindex(evt["timestamp"]).to_numpy()
    else:
        evt["expected"] = coef[0]
    evt["ar"] = evt["r"] - evt["expected"]
    rows = []
    for a, e in windows:
        sel = evt[(evt["minutes"] >= a) & (evt["minutes"] < e)]
        ar = sel["ar"].to_numpy(dtype=float)
        n = int(np.isfinite(ar).sum())
        note = "" if n == len(ar) and n else "a bar in the window has no return"
        if not len(ar):
            note = "no bars in the window (outside the session)"
        car = float(ar.sum()) if n == len(ar) and n else math.nan
        se = sigma * math.sqrt(n) if n else math.nan
        t = car / se if se and math.isfinite(car) else math.nan
        p = float(2 * stats.t.sf(abs(t), d)) if math.isfinite(t) else math.nan
        rows.append(
            {
                "start": a,
                "end": e,
                "anchor": anchor.isoformat(),
                "n_bars": n,
                "car": car,
                "se": se,
                "t": t,
                "p_value": p,
                "model": model,
                "n_est": len(resid),
                "note": note,
            }
        )
    per_bar = evt[["timestamp", "minutes", "r", "expected", "ar"]].rename(columns={"r": "ret"})
    return pd.DataFrame(rows), per_bar.reset_index(drop=True)


def study_intraday(
    events: pd.DataFrame, bars: pd.DataFrame, *, estimation_sessions: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``intraday_car.csv`` and ``intraday_ar.csv`` rows for every event with bars.

    The announcement is the event's local time (``time``) when given, else
    16:00 for ``after_close`` and 09:00 for ``before_open`` announcements; an
    event ``during_market`` without a time, or of unknown timing, has no anchor
    and is listed with a note. The benchmark's bars are used (market model)
    when the file has them, else the constant-mean model.
    """
    from eventstudy.event_time import get_calendar

    have = set(bars["ticker"].unique())
    cars, ars = [], []
    for r in events.to_dict("records"):
        if r.get("status") not in ("ok", "pending") or str(r["ticker"]).upper() not in have:
            continue
        eid, timing = str(r["event_id"]), str(r.get("timing") or "unknown")
        tz = str(get_calendar(str(r.get("exchange") or "XNYS")).tz)
        clock = str(r.get("time") or "").strip()
        if not clock:
            clock = {"after_close": "16:00", "before_open": "09:00"}.get(timing, "")
        if not clock:
            cars.append(
                pd.DataFrame([{"event_id": eid, "note": f"no announcement time ({timing})"}])
            )
            continue
        ann = pd.Timestamp(f"{pd.Timestamp(r['date']):%Y-%m-%d} {clock}").tz_localize(tz)
        bench = str(r.get("benchmark") or "").upper()
        bench_bars = bars[bars["ticker"] == bench] if bench in have else None
        try:
            w, per = intraday_car(
                bars,
                str(r["ticker"]),
                ann,
                timing,
                tz=tz,
                benchmark_bars=bench_bars,
                estimation_sessions=estimation_sessions,
                mic=str(r.get("exchange") or "XNYS"),
            )
        except KeyError as exc:
            cars.append(pd.DataFrame([{"event_id": eid, "note": str(exc).strip("'\"")}]))
            continue
        cars.append(w.assign(event_id=eid))
        ars.append(per.assign(event_id=eid))
    car_cols = ["event_id", "start", "end", "anchor", "n_bars", "car", "se", "t", "p_value"]
    car_cols += ["model", "n_est", "note"]
    ar_cols = ["event_id", "timestamp", "minutes", "ret", "expected", "ar"]
    car = pd.concat(cars, ignore_index=True) if cars else pd.DataFrame(columns=car_cols)
    ar = pd.concat(ars, ignore_index=True) if ars else pd.DataFrame(columns=ar_cols)
    return car.reindex(columns=car_cols), ar.reindex(columns=ar_cols)
