"""Intraday abnormal returns from minute bars around an announcement.

Bars
----
Long form ``ticker, timestamp`` (time-zone aware, the bar's start), ``close``
[, ``open``, ``high``, ``low``, ``volume``, ``segment``]: a user's file
(``--intraday-prices PATH``, CSV or Parquet; yfinance's export
``Datetime_UTC, Open, ..., Close`` with the ticker taken from the file name
before its first ``_``) or the bars archived in the price cache. Each bar's
``segment`` of the day is ``pre`` (before the session's open), ``regular`` or
``post`` (from the close), from the exchange calendar (half days included)
when the bars do not carry it.

Bar returns, within one local trading date (pre, regular and post bars in a
row): ``r_b = C_b / C_{b-1} - 1``; the date's first bar ``C_b / O_b - 1``. The
overnight gap between two dates is not a bar return (the daily split,
:mod:`eventstudy.day0_split`, measures it).

Anchor and windows
------------------
The anchor is the start of the bar that holds the announcement
(``start <= time < start + spacing``, the bars' spacing), else of the first bar
after it: with regular-hours bars only, an announcement after the close is
anchored at the next open. Without a time, ``after_close`` is announced at the
session's close and ``before_open`` at its open; ``during_market`` without a
time and ``unknown`` have no anchor (listed with a note). A window
``[a, b)`` in minutes holds the bars that start in ``[anchor + a, anchor + b)``;
``to_open`` those from the anchor to the next regular open (after-hours and
pre-market bars).

Expected returns
----------------
From the same security's bars of the ``estimation_sessions`` trading dates
before the announcement's date, one model per segment ``s`` (pre-market bars
are predicted from pre-market bars, and so on), on the bars with a return:

* ``constant_mean``: ``E[r_b] = mu_s``, ``sigma_s^2 = sum (r - mu_s)^2 / (T_s - 1)``;
* ``market``: ``r_b = alpha_s + beta_s r_mb`` by OLS on the bars both have,
  ``sigma_s^2 = SSR / (T_s - 2)``, with a benchmark that trades when the bars
  do (``SPY``, or a future such as ``ES=F``; ``^GSPC`` has no bars outside its
  session).

``AR_b = r_b - E[r_b]``, ``CAR = sum_w AR_b``,
``SE(CAR) = sqrt(sum_w sigma_{s(b)}^2)`` (``sigma sqrt(n)`` within one segment;
the parameter-uncertainty term is left out: with hundreds of estimation bars
it is negligible), ``t = CAR / SE``, two-sided p from Student t with
``d = min_s (T_s - k)`` over the window's segments. A segment with fewer than
:data:`MIN_SEGMENT_BARS` estimation bars has no model: its bars have no AR.
Across events, :func:`intraday_tests` applies the cross-sectional battery
(:mod:`eventstudy.inference.battery`) to each window's CARs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.errors import SettingsError

__all__ = [
    "DEFAULT_WINDOWS",
    "MIN_SEGMENT_BARS",
    "IntradayWindow",
    "intraday_car",
    "intraday_tests",
    "label_segments",
    "load_intraday",
    "study_intraday",
]

#: Minutes relative to the anchor, ``[start, end)``.
DEFAULT_WINDOWS: tuple[tuple[int, int], ...] = ((-30, 0), (0, 15), (0, 60))
#: Fewest estimation bars of a segment for its model.
MIN_SEGMENT_BARS = 30
SEGMENTS = ("pre", "regular", "post")
CAR_COLUMNS = [
    "event_id",
    "window",
    "start",
    "end",
    "anchor",
    "n_bars",
    "car",
    "se",
    "t",
    "p_value",
    "df",
    "model",
    "segments",
    "n_est",
    "pos_share",
    "note",
]
AR_COLUMNS = [
    "event_id",
    "timestamp",
    "minutes",
    "segment",
    "open",
    "close",
    "ret",
    "expected",
    "ar",
]
#: Tests of the battery that need only the CARs and their SEs (no estimation-window
#: ranks or cross-correlations of minute bars).
INTRADAY_TESTS = (
    "t_cs",
    "patell",
    "bmp",
    "gen_sign",
    "sign",
    "wilcoxon",
    "skew_t",
    "sign_exact",
    "gen_sign_exact",
)


@dataclass(frozen=True)
class IntradayWindow:
    start: int
    end: int

    @property
    def label(self) -> str:
        return f"[{self.start:+d} min, {self.end:+d} min)"


def _label(a: int, b: int) -> str:
    return f"[{a:+d},{b:+d})"


def load_intraday(path: str | Path) -> pd.DataFrame:
    """Bars as ``ticker, timestamp (UTC), open, high, low, close, volume[, segment]``."""
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
        cols = {str(c).lower(): c for c in raw.columns}
        if "timestamp" in cols:
            try:
                ts = pd.to_datetime(raw[cols["timestamp"]], utc=False)
            except (ValueError, TypeError) as exc:
                raise SettingsError(
                    f"--intraday-prices {f}: column timestamp is not a time ({exc})"
                ) from None
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
        data: dict[str, Any] = {"ticker": ticker.to_numpy(), "timestamp": ts.to_numpy()}
        for name in ("open", "high", "low", "close", "volume"):
            data[name] = (
                pd.to_numeric(raw[cols[name]], errors="coerce").to_numpy(float)
                if name in cols
                else np.nan
            )
        if "segment" in cols:
            seg = raw[cols["segment"]].astype(str).str.lower()
            bad = ~seg.isin((*SEGMENTS, "closed"))
            if bad.any():
                line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
                raise SettingsError(
                    f"--intraday-prices {f}, line {line}, column segment: "
                    f"{seg[bad].iloc[0]!r} is not one of pre, regular, post, closed"
                )
            data["segment"] = seg.to_numpy(object)
        frames.append(pd.DataFrame(data))
    out = pd.concat(frames, ignore_index=True)
    out["timestamp"] = pd.DatetimeIndex(out["timestamp"]).tz_localize("UTC")
    out = out[np.isfinite(out["close"].to_numpy(float))]
    out = out.drop_duplicates(["ticker", "timestamp"], keep="last")
    return out.sort_values(["ticker", "timestamp"], kind="stable").reset_index(drop=True)


def label_segments(timestamps: pd.Series | pd.DatetimeIndex, mic: str = "XNYS") -> np.ndarray:
    """``pre`` / ``regular`` / ``post`` of each bar start from the exchange's session
    open and close (``closed`` on a date that is not a session)."""
    from eventstudy.event_time import get_calendar

    cal = get_calendar(mic)
    ts = pd.DatetimeIndex(timestamps)
    if ts.tz is None:
        raise ValueError("bar timestamps must be time-zone aware")
    day = ts.tz_convert(cal.tz).normalize().tz_localize(None).as_unit("ns")
    sched = cal.schedule
    idx = pd.DatetimeIndex(sched.index).as_unit("ns")
    pos = idx.get_indexer(day)
    ok = pos >= 0
    opens = np.full(len(ts), np.iinfo(np.int64).max, np.int64)
    closes = np.full(len(ts), np.iinfo(np.int64).max, np.int64)
    utc_ns = ts.tz_convert("UTC").as_unit("ns").asi8
    opens[ok] = pd.DatetimeIndex(sched["open"]).as_unit("ns").asi8[pos[ok]]
    closes[ok] = pd.DatetimeIndex(sched["close"]).as_unit("ns").asi8[pos[ok]]
    seg = np.where(utc_ns < opens, "pre", np.where(utc_ns < closes, "regular", "post"))
    return np.where(ok, seg, "closed").astype(object)


def _bar_returns(bars: pd.DataFrame, tz: str, mic: str) -> pd.DataFrame:
    """One symbol's bars with ``day`` (local date), ``segment`` and returns ``r``."""
    b = bars.sort_values("timestamp", kind="stable").reset_index(drop=True)
    b["timestamp"] = pd.DatetimeIndex(b["timestamp"]).tz_convert("UTC").as_unit("ns")
    local = pd.DatetimeIndex(b["timestamp"]).tz_convert(tz)
    b["day"] = local.normalize().tz_localize(None)
    if "segment" not in b.columns or b["segment"].isna().any():
        b["segment"] = label_segments(b["timestamp"], mic)
    first = b["day"].ne(b["day"].shift()).to_numpy()
    close = b["close"].to_numpy(float)
    prev = np.r_[np.nan, close[:-1]]
    opening = b["open"].to_numpy(float) if "open" in b.columns else np.full(len(b), np.nan)
    b["r"] = np.where(first, close / opening - 1.0, close / prev - 1.0)
    return b


def _spacing(b: pd.DataFrame) -> pd.Timedelta:
    """The bars' usual spacing: the median gap between bars of one date."""
    ns = pd.DatetimeIndex(b["timestamp"]).asi8
    same = (b["day"].to_numpy()[1:] == b["day"].to_numpy()[:-1]) if len(b) > 1 else []
    gaps = np.diff(ns)[np.asarray(same, bool)] if len(b) > 1 else np.array([])
    return pd.Timedelta(int(np.median(gaps)) if len(gaps) else 60_000_000_000, "ns")


@dataclass(frozen=True)
class _SegmentFit:
    coef: np.ndarray
    sigma: float
    d: int
    n: int
    pos_share: float


def _fit_segment(r: np.ndarray, rm: np.ndarray | None) -> _SegmentFit | None:
    if rm is None:
        if len(r) < MIN_SEGMENT_BARS:
            return None
        mu = float(r.mean())
        resid = r - mu
        coef, k = np.array([mu]), 1
    else:
        ok = np.isfinite(rm)
        r, rm = r[ok], rm[ok]
        if len(r) < MIN_SEGMENT_BARS:
            return None
        x = np.column_stack([np.ones(len(r)), rm])
        coef, *_ = np.linalg.lstsq(x, r, rcond=None)
        resid = r - x @ coef
        k = 2
    d = len(resid) - k
    return _SegmentFit(
        coef=coef,
        sigma=math.sqrt(float(resid @ resid) / d),
        d=d,
        n=len(resid),
        pos_share=float(np.mean(resid > 0)),
    )


def _announcement_anchor(
    b: pd.DataFrame, ann: pd.Timestamp, timing: str, tz: str, ticker: str
) -> pd.Timestamp:
    starts = pd.DatetimeIndex(b["timestamp"]).tz_convert(tz)
    ann_day = ann.normalize().tz_localize(None)
    if timing == "during_market" and not (b["day"] == ann_day).any():
        raise KeyError(f"no intraday bars for {ticker} on {ann_day:%Y-%m-%d}")
    spacing = _spacing(b)
    holds = (starts <= ann) & (ann < starts + spacing)
    if holds.any():
        return starts[np.flatnonzero(holds)[0]]
    after = np.flatnonzero(starts > ann)
    if not len(after):
        raise KeyError(f"no intraday bars for {ticker} after {ann:%Y-%m-%d %H:%M}")
    return starts[after[0]]


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
    """One event: (per window :data:`CAR_COLUMNS` less ``event_id``, per bar
    :data:`AR_COLUMNS` less ``event_id``) over the bars from the announcement's
    date to the next regular open after the anchor (see the module doc)."""
    own = bars[bars["ticker"] == ticker.upper()]
    if own.empty:
        raise KeyError(f"no intraday bars for {ticker}")
    b = _bar_returns(own, tz, mic)
    ann = pd.Timestamp(announced)
    ann = ann.tz_localize(tz) if ann.tzinfo is None else ann.tz_convert(tz)
    ann_day = ann.normalize().tz_localize(None)
    anchor = _announcement_anchor(b, ann, timing, tz, ticker)
    starts = pd.DatetimeIndex(b["timestamp"]).tz_convert(tz)
    minutes = ((starts - anchor).total_seconds() / 60.0).to_numpy()

    use_market = benchmark_bars is not None and not benchmark_bars.empty
    rm_all: np.ndarray | None = None
    if use_market:
        assert benchmark_bars is not None
        m = _bar_returns(benchmark_bars, tz, mic).set_index("timestamp")["r"]
        rm_all = m.reindex(b["timestamp"]).to_numpy(float)
    days = pd.DatetimeIndex(b["day"].unique())
    prior = days[days < ann_day][-estimation_sessions:]
    in_est = (b["day"].isin(prior) & b["r"].notna()).to_numpy()
    seg = b["segment"].to_numpy(object)
    r = b["r"].to_numpy(float)
    fits: dict[str, _SegmentFit | None] = {}
    for s in SEGMENTS:
        sel = in_est & (seg == s)
        fits[s] = _fit_segment(r[sel], None if rm_all is None else rm_all[sel])

    # Event bars: from the announcement's date to the next regular open at/after
    # the anchor (inclusive of that open's date).
    ts_ns = starts.asi8
    is_open = (seg == "regular") & np.r_[
        True, (seg[:-1] != "regular") | (b["day"].to_numpy()[1:] != b["day"].to_numpy()[:-1])
    ]
    opens_after = np.flatnonzero(is_open & (ts_ns >= anchor.value))
    next_open = starts[opens_after[0]] if len(opens_after) else None
    last_day = (
        max(anchor.normalize().tz_localize(None), next_open.normalize().tz_localize(None))
        if next_open is not None
        else anchor.normalize().tz_localize(None)
    )
    evt = ((b["day"] >= ann_day) & (b["day"] <= last_day)).to_numpy()

    expected = np.full(len(b), np.nan)
    var = np.full(len(b), np.nan)
    dof = np.full(len(b), np.nan)
    for s, fit in fits.items():
        if fit is None:
            continue
        sel = evt & (seg == s)
        if rm_all is None:
            expected[sel] = fit.coef[0]
        else:
            expected[sel] = fit.coef[0] + fit.coef[1] * rm_all[sel]
        var[sel] = fit.sigma**2
        dof[sel] = fit.d
    ar = r - expected
    model = "market" if use_market else "constant_mean"
    fitted = [f for f in fits.values() if f is not None]
    n_est = sum(f.n for f in fitted)
    pos_share = sum(f.pos_share * f.n for f in fitted) / n_est if n_est else math.nan

    spans: list[tuple[str, float, float, np.ndarray]] = [
        (_label(a, e), float(a), float(e), evt & (minutes >= a) & (minutes < e)) for a, e in windows
    ]
    if next_open is not None:
        to_open = (next_open - anchor).total_seconds() / 60.0
        spans.append(("to_open", 0.0, to_open, evt & (minutes >= 0) & (minutes < to_open)))
    rows = []
    for label, a, e, sel in spans:
        w_ar, w_var, w_d = ar[sel], var[sel], dof[sel]
        n = int(sel.sum())
        segs = ",".join(s for s in SEGMENTS if (sel & (seg == s)).any())
        complete = n > 0 and bool(np.isfinite(w_ar).all())
        note = ""
        if not n:
            note = (
                "no bars between the announcement and the open (bars of regular hours only?)"
                if label == "to_open"
                else "no bars in the window (outside the bars' hours)"
            )
        elif not complete:
            missing = [s for s in SEGMENTS if (sel & (seg == s)).any() and fits[s] is None]
            note = (
                f"fewer than {MIN_SEGMENT_BARS} estimation bars in segment {', '.join(missing)}"
                if missing
                else "a bar in the window has no return"
            )
        car = float(w_ar.sum()) if complete else math.nan
        se = math.sqrt(float(w_var.sum())) if complete else math.nan
        d = float(np.min(w_d)) if complete else math.nan
        t = car / se if complete and se > 0 else math.nan
        p = float(_two_sided_t(t, d)) if math.isfinite(t) else math.nan
        rows.append(
            {
                "window": label,
                "start": a,
                "end": e,
                "anchor": anchor.isoformat(),
                "n_bars": n,
                "car": car,
                "se": se,
                "t": t,
                "p_value": p,
                "df": d,
                "model": model,
                "segments": segs,
                "n_est": n_est,
                "pos_share": pos_share,
                "note": note,
            }
        )
    per_bar = pd.DataFrame(
        {
            "timestamp": b["timestamp"].to_numpy()[evt],
            "minutes": minutes[evt],
            "segment": seg[evt],
            "open": b["open"].to_numpy(float)[evt]
            if "open" in b.columns
            else np.full(int(evt.sum()), np.nan),
            "close": b["close"].to_numpy(float)[evt],
            "ret": r[evt],
            "expected": expected[evt],
            "ar": ar[evt],
        }
    )
    per_bar["timestamp"] = pd.DatetimeIndex(per_bar["timestamp"]).tz_convert("UTC")
    return pd.DataFrame(rows), per_bar


def _two_sided_t(t: float, d: float) -> float:
    from scipy import stats

    return float(2.0 * stats.t.sf(abs(t), d))


def announcement_time(row: dict[str, Any]) -> pd.Timestamp | str:
    """The announcement as a local timestamp, or the reason there is none."""
    from eventstudy.event_time import get_calendar

    mic = str(row.get("exchange") or "XNYS")
    cal = get_calendar(mic)
    tz = str(cal.tz)
    timing = str(row.get("timing") or "unknown")
    day = pd.Timestamp(row["date"]).normalize()
    clock = str(row.get("time") or "").strip()
    if clock and clock.lower() not in ("nan", "<na>", "none"):
        return pd.Timestamp(f"{day:%Y-%m-%d} {clock}").tz_localize(tz)
    if timing in ("after_close", "before_open"):
        from eventstudy.event_time import sessions

        s = sessions(mic)
        if day not in s:
            if timing == "after_close":
                return f"{day:%Y-%m-%d} is not a session: no close to anchor at"
            pos = int(s.searchsorted(day))
            if pos >= len(s):
                return f"no session after {day:%Y-%m-%d}"
            day = pd.Timestamp(s[pos])
        edge = cal.session_close(day) if timing == "after_close" else cal.session_open(day)
        return pd.Timestamp(edge).tz_convert(tz)
    return f"no announcement time ({timing})"


def study_intraday(
    events: pd.DataFrame, bars: pd.DataFrame, *, estimation_sessions: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``intraday_car.csv`` and ``intraday_ar.csv`` rows for every event with bars.

    The announcement is the event's local time (``time``) when given, else the
    session's close for ``after_close`` and its open for ``before_open``; an
    event ``during_market`` without a time, or of unknown timing, has no anchor
    and is listed with a note, as is an event whose ticker has no bars. The
    benchmark's bars are used (market model) when there are any, else the
    constant-mean model.
    """
    from eventstudy.event_time import get_calendar

    bars = bars.copy()
    bars["ticker"] = bars["ticker"].astype(str).str.upper()
    have = set(bars["ticker"].unique())
    cars, ars = [], []
    for r in ({str(k): v for k, v in x.items()} for x in events.to_dict("records")):
        if r.get("status") not in ("ok", "pending"):
            continue
        eid, ticker = str(r["event_id"]), str(r["ticker"]).upper()
        if ticker not in have:
            cars.append(pd.DataFrame([{"event_id": eid, "note": f"no intraday bars for {ticker}"}]))
            continue
        mic = str(r.get("exchange") or "XNYS")
        tz = str(get_calendar(mic).tz)
        ann = announcement_time(r)
        if isinstance(ann, str):
            cars.append(pd.DataFrame([{"event_id": eid, "note": ann}]))
            continue
        bench = str(r.get("benchmark") or "").upper()
        bench_bars = bars[bars["ticker"] == bench] if bench in have else None
        try:
            w, per = intraday_car(
                bars,
                ticker,
                ann,
                str(r.get("timing") or "unknown"),
                tz=tz,
                benchmark_bars=bench_bars,
                estimation_sessions=estimation_sessions,
                mic=mic,
            )
        except KeyError as exc:
            cars.append(pd.DataFrame([{"event_id": eid, "note": str(exc).strip("'\"")}]))
            continue
        cars.append(w.assign(event_id=eid))
        ars.append(per.assign(event_id=eid))
    car = pd.concat(cars, ignore_index=True) if cars else pd.DataFrame(columns=CAR_COLUMNS)
    ar = pd.concat(ars, ignore_index=True) if ars else pd.DataFrame(columns=AR_COLUMNS)
    return car.reindex(columns=CAR_COLUMNS), ar.reindex(columns=AR_COLUMNS)


def intraday_tests(car: pd.DataFrame, alternative: str = "two-sided") -> pd.DataFrame:
    """Cross-sectional tests of each intraday window's CARs across events.

    Per window (``[a,b)`` or ``to_open``): ``N``, ``CAAR`` and every test of
    :data:`INTRADAY_TESTS` (formulas in :mod:`eventstudy.inference.battery`) with
    ``SCAR_i = CAR_i / SE_i``, ``d_i`` the event's degrees of freedom and
    Cowan's ``p-hat`` from the share of positive estimation-bar residuals.
    Tests that need estimation-window ranks or cross-correlations (Corrado,
    GRANK, KP, the crude-dependence t) are not computed on minute bars.
    """
    from eventstudy.inference.battery import Columns, battery

    cols = ["window", "test", "n", "caar", "statistic", "p_value", "df", "distribution", "note"]
    ok = car.dropna(subset=["car", "se"])
    ok = ok[ok["se"] > 0]
    labels = [w for w in dict.fromkeys(car["window"].dropna().tolist())]
    if not labels:
        return pd.DataFrame(columns=cols)
    ids = sorted(set(ok["event_id"]))
    n_ev, k = len(ids), len(labels)
    where = {e: i for i, e in enumerate(ids)}
    c_arr = np.full((n_ev, k), np.nan)
    s_arr = np.full((n_ev, k), np.nan)
    dof = np.full(n_ev, np.nan)
    pos = np.full(n_ev, np.nan)
    for rec in ok.to_dict("records"):
        i, j = where[rec["event_id"]], labels.index(rec["window"])
        c_arr[i, j] = float(rec["car"])
        s_arr[i, j] = float(rec["car"]) / float(rec["se"])
        dof[i] = float(rec["df"])
        pos[i] = float(rec["pos_share"])
    inc = np.isfinite(c_arr)
    nan_k = np.full(k, np.nan)
    tests = battery(
        Columns(
            car=np.nan_to_num(c_arr),
            scar=np.nan_to_num(s_arr),
            included=inc,
            dof=dof,
            pos_share=pos,
            corrado=nan_k,
            kp_r=nan_k,
            alternative=alternative,
        )
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        caar = np.where(inc, c_arr, 0.0).sum(axis=0) / inc.sum(axis=0)
    rows = []
    chosen = [tc for tc in tests if tc.name in INTRADAY_TESTS]
    for j, label in enumerate(labels):
        for tc in chosen:
            rows.append(
                {
                    "window": label,
                    "test": tc.name,
                    "n": int(tc.n[j]),
                    "caar": caar[j] if tc.n[j] else math.nan,
                    "statistic": tc.statistic[j],
                    "p_value": tc.p_value[j],
                    "df": tc.df[j],
                    "distribution": tc.distribution,
                    "note": tc.note[j],
                }
            )
    return pd.DataFrame(rows, columns=cols)
