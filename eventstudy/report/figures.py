"""Plotly figures of a study and of its events.

Each chart is built as a plain figure dictionary (``*_spec``) that the pages
serialise directly (fast: no per-figure validation for 1,000 event pages);
the public ``*_figure`` functions wrap the same dictionary in a validated
``plotly.graph_objects.Figure`` for notebooks.

Returns are drawn in percent. User text (tickers, ids, descriptions) placed
in titles or hover text is HTML-escaped, because plotly.js renders a subset of
HTML there.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.report.data import (
    CarSE,
    EventData,
    aligned,
    caar_band,
    car_se_path,
    event_data,
    window_dates,
)

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
BLUE, BAND, RED, GREY = "#1f4e79", "rgba(31,78,121,0.16)", "#b03a2e", "#777777"
POS, NEG = "#2e75b6", "#c0504d"
Z95 = 1.96

Spec = dict[str, Any]


def esc(x: Any) -> str:
    """HTML-escape user text for plotly titles and hover text."""
    return html.escape("" if x is None else str(x), quote=True)


def vals(x: Iterable[Any], scale: float = 1.0, digits: int = 6) -> list[float | None]:
    """Floats for JSON: scaled, rounded to ``digits`` decimals, ``None`` where missing."""
    try:
        arr = np.round(np.asarray(x, dtype=float) * scale, digits)
    except (TypeError, ValueError):
        arr = np.array([_float(v) for v in x], dtype=float) * scale
        arr = np.round(arr, digits)
    return [float(v) if math.isfinite(v) else None for v in arr.tolist()]


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def dates(x: Iterable[Any]) -> list[str]:
    """``YYYY-MM-DD`` strings of dates (vectorised)."""
    idx = pd.DatetimeIndex(list(x) if not isinstance(x, pd.Index | pd.Series) else x)
    return [str(d) for d in idx.to_numpy().astype("datetime64[D]").astype(str).tolist()]


def layout(title: str, x_title: str, y_title: str, **extra: Any) -> Spec:
    """Common layout: left title, small margins, horizontal legend below, system fonts."""
    out: Spec = {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "font": {"family": FONT, "size": 12, "color": "#222"},
        "margin": {"l": 56, "r": 34, "t": 40, "b": 84},
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#eeeeee", "zeroline": False,
                  "automargin": True},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#eeeeee", "zerolinecolor": "#999999",
                  "automargin": True},
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "yref": "container",
                   "y": 0.005, "yanchor": "bottom"},
        "modebar": {"orientation": "v"},
        "hovermode": "closest",
        "autosize": True,
    }
    out.update(extra)
    return out


def axis(title: str, *, pct: bool = False, dtick: float | None = None,
         rng: list[float] | None = None, zeroline: bool = True) -> Spec:
    """An axis: title, light grid, optional percent suffix, tick step and range."""
    out: Spec = {"title": {"text": title}, "gridcolor": "#eeeeee", "automargin": True,
                 "zeroline": zeroline, "zerolinecolor": "#999999"}
    if pct:
        out["ticksuffix"] = "%"
    if dtick is not None:
        out["dtick"] = dtick
    if rng is not None:
        out["range"] = rng
    return out


def day_axis(first: int, last: int) -> Spec:
    """The relative-day axis of the event window (one tick per day up to 21 days)."""
    return axis("trading day relative to day 0", dtick=1 if last - first <= 20 else None,
                rng=[first - 0.5, last + 0.5], zeroline=False)


def vline(x: Any, color: str = GREY, dash: str = "dot") -> Spec:
    return {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
            "line": {"color": color, "width": 1.2, "dash": dash}, "layer": "below"}


def band_traces(x: list[Any], lower: list[float | None], upper: list[float | None],
                name: str) -> list[Spec]:
    """Two traces drawing a filled band between ``lower`` and ``upper``."""
    common = {"type": "scatter", "mode": "lines", "x": x, "line": {"width": 0},
              "hoverinfo": "skip", "connectgaps": False}
    return [dict(common, y=upper, showlegend=False, name=name + " (upper)"),
            dict(common, y=lower, fill="tonexty", fillcolor=BAND, name=name)]


def figure(spec: Spec) -> Any:
    """A validated ``plotly.graph_objects.Figure`` of a spec."""
    import plotly.graph_objects as go

    return go.Figure(spec)


# --------------------------------------------------------------------------- study


def caar_spec(res: StudyResult) -> Spec:
    """CAAR over the event window with its 95% cross-sectional band."""
    band = caar_band(res)
    x = [int(d) for d in band["rel_day"]]
    n = [int(v) for v in band["n"]]
    traces = band_traces(x, vals(band["lower"], 100), vals(band["upper"], 100),
                         "95% band (cross-sectional SE)")
    traces.append({
        "type": "scatter", "mode": "lines+markers", "name": "CAAR", "x": x,
        "y": vals(band["caar"], 100), "line": {"color": BLUE, "width": 2.4},
        "marker": {"size": 5}, "customdata": [[k, s] for k, s in zip(n, vals(band["se"], 100),
                                                                        strict=True)],
        "hovertemplate": "day %{x}<br>CAAR %{y:.2f}%<br>SE %{customdata[1]:.2f}%"
                         "<br>N %{customdata[0]}<extra></extra>",
    })
    lo, hi = res.settings.event_window
    return {"data": traces, "layout": layout(
        "Cumulative average abnormal return (CAAR)", "trading day relative to day 0", "CAAR",
        shapes=[vline(0)], yaxis=axis("CAAR", pct=True), xaxis=day_axis(lo, hi))}


def caar_figure(res: StudyResult) -> Any:
    """Plotly figure of the CAAR over the event window with its 95% band.

    The band is ``CAAR_t +- t(N_t - 1, 0.975) sd(CAR_i(t)) / sqrt(N_t)``, the
    cross-sectional standard error of the cumulative AR on each day.
    """
    return figure(caar_spec(res))


def aar_spec(res: StudyResult) -> Spec:
    """AAR bars per relative day, coloured by sign; hover gives N and test p-values."""
    aar = res.aar
    x = [int(d) for d in aar["rel_day"]] if not aar.empty else []
    y = vals(aar["aar"], 100) if not aar.empty else []
    p_cs = vals(aar["t_cs_p"], digits=4) if "t_cs_p" in aar else [None] * len(x)
    p_bmp = vals(aar["bmp_p"], digits=4) if "bmp_p" in aar else [None] * len(x)
    n = [int(v) for v in aar["n"]] if not aar.empty else []
    trace = {
        "type": "bar", "name": "AAR", "x": x, "y": y,
        "marker": {"color": [POS if (v or 0) >= 0 else NEG for v in y]},
        "customdata": [list(t) for t in zip(n, p_cs, p_bmp, strict=True)],
        "hovertemplate": "day %{x}<br>AAR %{y:.2f}%<br>N %{customdata[0]}"
                         "<br>p (t cs) %{customdata[1]:.3f}<br>p (BMP) %{customdata[2]:.3f}"
                         "<extra></extra>",
    }
    return {"data": [trace], "layout": layout(
        "Average abnormal return (AAR) per day", "trading day relative to day 0", "AAR",
        showlegend=False, yaxis=axis("AAR", pct=True), xaxis=day_axis(*res.settings.event_window))}


def aar_figure(res: StudyResult) -> Any:
    """Plotly bar chart of the AAR per relative day."""
    return figure(aar_spec(res))


# --------------------------------------------------------------------------- events


def price_spec(res: StudyResult, ed: EventData) -> Spec:
    """Close price around the event: announcement and day 0 marked, windows shaded."""
    s = res.settings
    w = window_dates(ed, s.estimation_window, s.event_window)
    ticker = esc(ed.row.get("ticker"))
    shapes: list[Spec] = []
    notes: list[Spec] = []
    for a, b, color in (("est_start", "est_end", "rgba(120,120,120,0.12)"),
                        ("evt_start", "evt_end", "rgba(230,145,56,0.20)")):
        if w[a] is not None and w[b] is not None:
            shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": dates([w[a]])[0],
                           "x1": dates([w[b]])[0], "y0": 0, "y1": 1, "fillcolor": color,
                           "line": {"width": 0}, "layer": "below"})
    marks = [("announced", ed.row.get("date"), GREY, "dash", 1.0),
             ("day 0", ed.row.get("day0"), RED, "solid", 0.9)]
    for label, when, color, dash, ypos in marks:
        try:
            d = dates([when])[0]
        except (TypeError, ValueError):
            continue
        shapes.append(vline(d, color, dash))
        notes.append({"x": d, "y": ypos, "xref": "x", "yref": "paper", "text": label,
                      "showarrow": False, "xanchor": "left", "yanchor": "top",
                      "font": {"size": 11, "color": color}, "bgcolor": "rgba(255,255,255,0.7)"})
    data: list[Spec] = []
    col = "close"
    if ed.prices is not None and not ed.prices.empty:
        p = ed.prices
        col = "close" if "close" in p and p["close"].notna().any() else "adj_close"
        lo = (w["est_start"] or pd.Timestamp(ed.row["day0"]) - pd.Timedelta(days=380))
        hi = (w["evt_end"] or pd.Timestamp(ed.row["day0"]) + pd.Timedelta(days=30))
        pad = pd.Timedelta(days=30)
        sel = p.loc[(p.index >= lo - pad) & (p.index <= hi + pad), col]
        data.append({"type": "scatter", "mode": "lines", "name": f"{ticker} {col}",
                     "x": dates(sel.index), "y": vals(sel, digits=4),
                     "line": {"color": BLUE, "width": 1.5},
                     "hovertemplate": "%{x}<br>%{y:.2f}<extra></extra>"})
    title = f"{ticker}: {'close' if col == 'close' else 'adjusted close'}"
    if not data:
        title += " (no prices)"
    # Legend entries for the shaded windows.
    for name, color in (("estimation window", "rgba(120,120,120,0.35)"),
                        ("event window", "rgba(230,145,56,0.55)")):
        data.append({"type": "scatter", "mode": "markers", "x": [None], "y": [None],
                     "name": name, "marker": {"symbol": "square", "size": 12, "color": color},
                     "hoverinfo": "skip"})
    return {"data": data, "layout": layout(title, "", "price", shapes=shapes, annotations=notes,
                                           hovermode="x")}


def event_price_figure(res: StudyResult, event_id: str) -> Any:
    """Plotly figure of one event's close price with its windows and day 0 marked."""
    return figure(price_spec(res, event_data(res, event_id)))


def _titled(ed: EventData, text: str, with_id: bool) -> str:
    return f"{esc(ed.event_id)}: {text}" if with_id else text[:1].upper() + text[1:]


def ar_spec(res: StudyResult, ed: EventData, with_id: bool = True) -> Spec:
    """AR bars of one event with +-1.96 SE whiskers (``with_id``: the id in the title)."""
    ar = ed.ar
    x = [int(d) for d in ar["rel_day"]] if not ar.empty else []
    y = vals(ar["ar"], 100) if not ar.empty else []
    se = vals(ar["se"], 100) if not ar.empty else []
    trace = {
        "type": "bar", "name": "AR", "x": x, "y": y,
        "marker": {"color": [POS if (v or 0) >= 0 else NEG for v in y]},
        "error_y": {"type": "data", "array": [None if v is None else round(Z95 * v, 6) for v in se],
                    "visible": True, "color": "#444444", "thickness": 1, "width": 3},
        "customdata": [[d, s] for d, s in zip(dates(ar["date"]) if not ar.empty else [], se,
                                              strict=True)],
        "hovertemplate": "day %{x} (%{customdata[0]})<br>AR %{y:.2f}%"
                         "<br>SE %{customdata[1]:.2f}%<extra></extra>",
    }
    return {"data": [trace], "layout": layout(
        _titled(ed, "abnormal returns, ±1.96 SE", with_id), "trading day relative to day 0", "AR",
        showlegend=False, yaxis=axis("AR", pct=True), xaxis=day_axis(*res.settings.event_window))}


def event_ar_figure(res: StudyResult, event_id: str) -> Any:
    """Plotly bar chart of one event's ARs with +-1.96 SE whiskers."""
    return figure(ar_spec(res, event_data(res, event_id)))


def car_spec(res: StudyResult, ed: EventData, with_ar: bool = False,
             with_id: bool = True, path: CarSE | None = None) -> Spec:
    """CAR from the event-window start with a 95% band (+-1.96 SE(CAR), full covariance).

    ``path``: the SE path of :func:`~eventstudy.report.data.car_se_path` if
    already computed.
    """
    days = res.settings.event_days
    path = path or car_se_path(ed, res.settings.model, days)
    ar = aligned(ed.ar, days) if not ed.ar.empty else None
    car = ar["car"] if ar is not None else np.full(len(days), np.nan)
    s = path.se.to_numpy(float)
    label = "95% band (±1.96 SE of the CAR)" if path.exact else (
        "approximate 95% band (±1.96 sqrt(sum SE(AR)²), covariance ignored)")
    traces = band_traces(days, vals(car - Z95 * s, 100), vals(car + Z95 * s, 100), label)
    if with_ar and ar is not None:
        traces.insert(0, {"type": "bar", "name": "AR", "x": days, "y": vals(ar["ar"], 100),
                          "marker": {"color": "rgba(46,117,182,0.35)"},
                          "hovertemplate": "day %{x}<br>AR %{y:.2f}%<extra></extra>"})
    traces.append({
        "type": "scatter", "mode": "lines+markers", "name": "CAR", "x": days,
        "y": vals(car, 100), "line": {"color": BLUE, "width": 2.4}, "marker": {"size": 5},
        "customdata": vals(s, 100),
        "hovertemplate": "day %{x}<br>CAR %{y:.2f}%<br>SE %{customdata:.2f}%<extra></extra>",
    })
    lo, hi = res.settings.event_window
    return {"data": traces, "layout": layout(
        _titled(ed, "cumulative abnormal return", with_id), "trading day relative to day 0",
        "CAR", shapes=[vline(0)], barmode="overlay", yaxis=axis("CAR", pct=True),
        xaxis=day_axis(lo, hi))}


def event_car_figure(res: StudyResult, event_id: str, *, with_ar: bool = True) -> Any:
    """Plotly figure of one event's CAR with its 95% band (and its AR bars)."""
    return figure(car_spec(res, event_data(res, event_id), with_ar=with_ar))


def _scatter_axes(est: pd.DataFrame, model: str, bench: str) -> tuple[str, list[Any], bool]:
    """x of the estimation scatter: the benchmark return, the fitted return or the date."""
    from eventstudy.settings import FACTOR_MODELS

    if model in FACTOR_MODELS:
        return "fitted return (factor model)", vals(est["expected"], 100), True
    if est["benchmark_ret"].notna().any():
        return f"{bench} return", vals(est["benchmark_ret"], 100), True
    return "", dates(est["date"]), False


def _fit_notes(r: pd.Series, model: str) -> list[Spec]:
    from eventstudy.models import PARAM_NAMES

    lines = []
    for col in PARAM_NAMES.get(model, ()):
        v = r.get(col)
        if v is not None and pd.notna(v):
            label = {"alpha": "α", "mu": "μ", "beta": "β"}.get(col, esc(col))
            lines.append(f"{label} = {100 * float(v):.3f}%" if col in ("alpha", "mu")
                         else f"{label} = {float(v):.3f}")
    for col, label in (("r2", "R²"), ("sigma", "σ")):
        v = r.get(col)
        if v is not None and pd.notna(v) and not (col == "r2" and model == "constant_mean"):
            lines.append(f"{label} = {100 * float(v):.3f}%" if col == "sigma"
                         else f"{label} = {float(v):.3f}")
    n_est = r.get("n_est")
    if n_est is not None and pd.notna(n_est):
        lines.append(f"N = {int(n_est)}")
    if not lines:
        return []
    return [{"x": 0.01, "y": 0.99, "xref": "paper", "yref": "paper", "xanchor": "left",
             "yanchor": "top", "showarrow": False, "align": "left", "text": "<br>".join(lines),
             "bgcolor": "rgba(255,255,255,0.8)", "bordercolor": "#cccccc", "borderwidth": 1,
             "font": {"size": 11}}]


def scatter_spec(res: StudyResult, ed: EventData) -> Spec:
    """Estimation window: stock vs benchmark returns with the fitted line and statistics.

    Factor models plot the stock return against the fitted return (the line
    is then the diagonal); ``constant_mean`` without a benchmark plots returns
    over time against their mean.
    """
    est, r, model = ed.estimation, ed.row, res.settings.model
    ticker, bench = esc(r.get("ticker")), esc(r.get("benchmark"))
    data: list[Spec] = []
    x_title, numeric = "", False
    if not est.empty:
        x_title, x, numeric = _scatter_axes(est, model, bench)
        data.append({"type": "scatter", "mode": "markers", "name": "estimation day", "x": x,
                     "y": vals(est["ret"], 100),
                     "marker": {"size": 5, "color": "rgba(31,78,121,0.55)"},
                     "customdata": dates(est["date"]),
                     "hovertemplate": "%{customdata}<br>stock %{y:.2f}%<br>x %{x"
                                      + (":.2f}%" if numeric else "}") + "<extra></extra>"})
        xs = np.array([np.nan if v is None else v for v in x], dtype=float) if numeric else None
        order = np.argsort(xs) if xs is not None else np.arange(len(est))
        data.append({"type": "scatter", "mode": "lines", "name": "fitted (expected return)",
                     "x": [x[i] for i in order],
                     "y": vals(est["expected"].to_numpy(float)[order], 100),
                     "line": {"color": RED, "width": 2}, "hoverinfo": "skip"})
    title = (f"Estimation window: {ticker} vs {x_title.removesuffix(' return')}" if numeric
             else f"Estimation window: {ticker} returns")
    if est.empty:
        title += " (not estimated)"
    return {"data": data, "layout": layout(
        title, x_title, f"{ticker} return", annotations=_fit_notes(r, model),
        xaxis=axis(x_title, pct=numeric), yaxis=axis(f"{ticker} return", pct=True))}


def estimation_scatter(res: StudyResult, event_id: str) -> Any:
    """Plotly scatter of the estimation window with the fitted line, alpha, beta, R², sigma."""
    return figure(scatter_spec(res, event_data(res, event_id)))
