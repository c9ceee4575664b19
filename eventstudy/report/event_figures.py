"""Plotly figures of one event, as a shared base plus the event's own parts.

Most of an event chart is the same on every page of a report: the layout
(fonts, margins, axes, legend), the styles and hover templates of the
traces, the relative days of the event window. :func:`chart_bases` builds
that once per report; each ``*_parts`` function gives only what belongs to
event ``i`` (data arrays from the views by index, titles, dated shapes) as a
:class:`ChartParts`, each trace naming its base with the key ``"_"``.

* An event page carries the bases once (``<script id="chart-bases">``) and
  the parts of each chart; ``report.js`` merges them (objects merged key by
  key, everything else replaced) into the plotly spec.
* :func:`assemble` does the same merge in Python: ``price_spec(book, i)``
  and friends return the complete figure dictionary (notebooks, tests).

User text is HTML-escaped (:func:`~eventstudy.report.figures.esc`) before
plotly sees it, in the parts as in the bases.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from eventstudy.report.figures import (
    BAND,
    BLUE,
    GREY,
    RED,
    Z95,
    Numbers,
    Spec,
    Texts,
    axis,
    day_axis,
    esc,
    layout,
    sign_colors,
    vals,
    vline,
)
from eventstudy.report.numbers import Fixed, plain

if TYPE_CHECKING:
    from eventstudy.report.book import ReportBook

DAY_TITLE = "trading day relative to day 0"
_WINDOWS = (
    ("est_start", "est_end", "rgba(120,120,120,0.12)"),
    ("evt_start", "evt_end", "rgba(230,145,56,0.20)"),
)


@dataclass(frozen=True)
class ChartParts:
    """What one event adds to the base ``kind``: layout fields and traces (``"_"``: base)."""

    kind: str
    layout: Spec
    data: list[Spec] = field(default_factory=list)

    def page(self) -> Spec:
        """The JSON object an event page carries for this chart."""
        return {"base": self.kind, "layout": self.layout, "data": self.data}


def merge(base: Any, extra: Any) -> Any:
    """``base`` updated by ``extra``: dictionaries merged key by key, anything else replaced."""
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return copy.deepcopy(extra)
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = merge(out[k], v) if isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def assemble(parts: ChartParts, bases: dict[str, Spec]) -> Spec:
    """The complete plotly figure dictionary of ``parts`` (what ``report.js`` builds)."""
    base = plain(bases[parts.kind])
    data = [
        merge(base["traces"][t["_"]], plain({k: v for k, v in t.items() if k != "_"}))
        for t in parts.data
    ]
    return {"data": data, "layout": merge(base["layout"], plain(parts.layout))}


def _title(text: str) -> Spec:
    return {"title": {"text": text}}


def chart_bases(book: ReportBook) -> dict[str, Spec]:
    """The shared part of every event chart of this report (built once per book)."""
    lo, hi = book.settings.event_window
    days = Numbers(book.days)
    band = {
        "type": "scatter",
        "mode": "lines",
        "x": days,
        "line": {"width": 0},
        "hoverinfo": "skip",
        "connectgaps": False,
    }
    return {
        "price": {
            "layout": layout("", "", "price", hovermode="x"),
            "traces": {
                "line": {
                    "type": "scatter",
                    "mode": "lines",
                    "line": {"color": BLUE, "width": 1.5},
                    "hovertemplate": "%{x}<br>%{y:.2f}<extra></extra>",
                },
                "est": {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [None],
                    "y": [None],
                    "name": "estimation window",
                    "hoverinfo": "skip",
                    "marker": {"symbol": "square", "size": 12, "color": "rgba(120,120,120,0.35)"},
                },
                "evt": {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [None],
                    "y": [None],
                    "name": "event window",
                    "hoverinfo": "skip",
                    "marker": {"symbol": "square", "size": 12, "color": "rgba(230,145,56,0.55)"},
                },
            },
        },
        "car": {
            "layout": layout(
                "",
                DAY_TITLE,
                "CAR",
                shapes=[vline(0)],
                barmode="overlay",
                yaxis=axis("CAR", pct=True),
                xaxis=day_axis(lo, hi),
            ),
            "traces": {
                "upper": dict(band, showlegend=False),
                "lower": dict(band, fill="tonexty", fillcolor=BAND),
                "ar": {
                    "type": "bar",
                    "name": "AR",
                    "x": days,
                    "marker": {"color": "rgba(46,117,182,0.35)"},
                    "hovertemplate": "day %{x}<br>AR %{y:.2f}%<extra></extra>",
                },
                "car": {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": "CAR",
                    "x": days,
                    "line": {"color": BLUE, "width": 2.4},
                    "marker": {"size": 5},
                    "hovertemplate": "day %{x}<br>CAR %{y:.2f}%<br>SE %{customdata:.2f}%"
                    "<extra></extra>",
                },
            },
        },
        "ar": {
            "layout": layout(
                "",
                DAY_TITLE,
                "AR",
                showlegend=False,
                yaxis=axis("AR", pct=True),
                xaxis=day_axis(lo, hi),
            ),
            "traces": {
                "bars": {
                    "type": "bar",
                    "name": "AR",
                    "textposition": "none",
                    "error_y": {
                        "type": "data",
                        "visible": True,
                        "color": "#444444",
                        "thickness": 1,
                        "width": 3,
                    },
                    "hovertemplate": "day %{x} (%{text})<br>AR %{y:.2f}%"
                    "<br>SE %{customdata:.2f}%<extra></extra>",
                },
            },
        },
        "scatter": {
            "layout": layout("", "", ""),
            "traces": {
                "points": {
                    "type": "scatter",
                    "mode": "markers",
                    "name": "estimation day",
                    "marker": {"size": 5, "color": "rgba(31,78,121,0.55)"},
                },
                "fit": {
                    "type": "scatter",
                    "mode": "lines",
                    "name": "fitted (expected return)",
                    "line": {"color": RED, "width": 2},
                    "hoverinfo": "skip",
                },
            },
        },
    }


def price_parts(book: ReportBook, i: int) -> ChartParts:
    """Close price around the event: announcement and day 0 marked, windows shaded."""
    r, edges = book.rows[i], book.edge_text
    ticker_raw, ticker = str(r.get("ticker")), esc(r.get("ticker"))
    shapes: list[Spec] = []
    notes: list[Spec] = []
    for a, b, color in _WINDOWS:
        x0, x1 = edges[a][i], edges[b][i]
        if x0 is not None and x1 is not None:
            shapes.append(
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": x0,
                    "x1": x1,
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": color,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
    for label, key, color, dash, ypos in (
        ("announced", "date", GREY, "dash", 1.0),
        ("day 0", "day0", RED, "solid", 0.9),
    ):
        text = book.mark_text[key][i]
        if text is None:
            continue
        shapes.append(vline(text, color, dash))
        notes.append(
            {
                "x": text,
                "y": ypos,
                "xref": "x",
                "yref": "paper",
                "text": label,
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "top",
                "font": {"size": 11, "color": color},
                "bgcolor": "rgba(255,255,255,0.7)",
            }
        )
    data: list[Spec] = []
    col = book.prices.column(ticker_raw)
    lo, hi = (int(v[i]) for v in book.price_bounds)
    if hi > lo:
        text, values = book.price_text[ticker_raw]
        data.append(
            {
                "_": "line",
                "name": f"{ticker} {col}",
                "x": Texts(text[lo:hi].tolist()),
                "y": values.row(0, slice(lo, hi)),
            }
        )
    title = f"{ticker}: {'close' if col == 'close' else 'adjusted close'}"
    if not data:
        title += " (no prices)"
    data += [{"_": "est"}, {"_": "evt"}]
    return ChartParts("price", {**_title(title), "shapes": shapes, "annotations": notes}, data)


def _titled(book: ReportBook, i: int, text: str, with_id: bool) -> str:
    return f"{esc(book.ids[i])}: {text}" if with_id else text[:1].upper() + text[1:]


@dataclass(frozen=True)
class ChartNumbers:
    """Every event's chart numbers, rounded as :func:`vals` rounds them (percent)."""

    upper: Fixed
    lower: Fixed
    car: Fixed
    car_se: Fixed
    ar: Fixed
    se: Fixed
    whisker: Fixed
    x: Fixed
    y: Fixed
    line_x: Fixed
    line_y: Fixed
    has_line: np.ndarray


def chart_numbers(book: ReportBook) -> ChartNumbers:
    """The numbers of the CAR, AR and scatter charts of all events, computed at once."""
    from eventstudy.settings import FACTOR_MODELS

    w, est = book.window, book.est
    s = book.car_se[0]
    se = np.round(w.se * 100, 6)
    x = est.fitted if book.model in FACTOR_MODELS else est.benchmark
    usable = (np.arange(x.shape[1])[None, :] < est.n[:, None]) & np.isfinite(x)
    if x.shape[1]:  # the fitted line's end points: the smallest and the largest x
        ends = np.stack(
            [
                np.where(usable, x, np.inf).argmin(axis=1),
                np.where(usable, x, -np.inf).argmax(axis=1),
            ],
            axis=1,
        )
        line_x = np.take_along_axis(x, ends, axis=1)
        line_y = np.take_along_axis(est.fitted, ends, axis=1)
    else:
        line_x = line_y = np.full((len(x), 2), np.nan)
    return ChartNumbers(
        upper=Fixed.of((w.car + Z95 * s) * 100, 6),
        lower=Fixed.of((w.car - Z95 * s) * 100, 6),
        car=Fixed.of(w.car * 100, 6),
        car_se=Fixed.of(s * 100, 6),
        ar=Fixed.of(w.ar * 100, 6),
        se=Fixed.of(se, 6),
        whisker=Fixed.of(se * Z95, 6),
        x=Fixed.of(x * 100, 4),
        y=Fixed.of(est.ret * 100, 4),
        line_x=Fixed.of(line_x * 100, 4),
        line_y=Fixed.of(line_y * 100, 6),
        has_line=usable.any(axis=1),
    )


def ar_parts(book: ReportBook, i: int, with_id: bool = True) -> ChartParts:
    """AR bars of one event with +-1.96 SE whiskers (``with_id``: the id in the title)."""
    w, num = book.window, book.chart_numbers
    have = w.present[i]
    y = num.ar.row(i, have)
    trace = {
        "_": "bars",
        "x": Numbers(w.days[have].tolist()),
        "y": y,
        "marker": {"color": sign_colors(y.ints)},
        "error_y": {"array": num.whisker.row(i, have)},
        "text": Texts(book.window_text[i, have].tolist()),
        "customdata": num.se.row(i, have),
    }
    return ChartParts(
        "ar", _title(_titled(book, i, "abnormal returns, ±1.96 SE", with_id)), [trace]
    )


def car_parts(book: ReportBook, i: int, with_ar: bool = False, with_id: bool = True) -> ChartParts:
    """CAR from the event-window start with a 95% band (+-1.96 SE(CAR), full covariance)."""
    num = book.chart_numbers
    label = (
        "95% band (±1.96 SE of the CAR)"
        if book.car_se[1][i]
        else ("approximate 95% band (±1.96 sqrt(sum SE(AR)²), covariance ignored)")
    )
    data: list[Spec] = [
        {"_": "upper", "y": num.upper.row(i), "name": label + " (upper)"},
        {"_": "lower", "y": num.lower.row(i), "name": label},
    ]
    if with_ar and book.window.present[i].any():
        data.insert(0, {"_": "ar", "y": num.ar.row(i)})
    data.append({"_": "car", "y": num.car.row(i), "customdata": num.car_se.row(i)})
    return ChartParts("car", _title(_titled(book, i, "cumulative abnormal return", with_id)), data)


def fit_notes(row: dict[str, Any], model: str) -> list[Spec]:
    """The fitted parameters, R², sigma and N as an annotation of the scatter."""
    from eventstudy.models import PARAM_NAMES

    lines = []
    for col in PARAM_NAMES.get(model, ()):
        v = _num(row.get(col))
        if v == v:
            label = {"alpha": "α", "mu": "μ", "beta": "β"}.get(col, esc(col))
            if col in ("alpha", "mu"):
                lines.append(f"{label} = {100 * v:.3f}%")
            elif col == "omega":  # GARCH: a variance per day, tiny in decimals
                lines.append(f"{label} = {v:.3g}")
            else:
                lines.append(f"{label} = {v:.3f}")
    for col, label in (("r2", "R²"), ("sigma", "σ")):
        v = _num(row.get(col))
        if v == v and not (col == "r2" and model == "constant_mean"):
            lines.append(f"{label} = {100 * v:.3f}%" if col == "sigma" else f"{label} = {v:.3f}")
    n_est = _num(row.get("n_est"))
    if n_est == n_est:
        lines.append(f"N = {int(n_est)}")
    if not lines:
        return []
    return [
        {
            "x": 0.01,
            "y": 0.99,
            "xref": "paper",
            "yref": "paper",
            "xanchor": "left",
            "yanchor": "top",
            "showarrow": False,
            "align": "left",
            "text": "<br>".join(lines),
            "bgcolor": "rgba(255,255,255,0.8)",
            "bordercolor": "#cccccc",
            "borderwidth": 1,
            "font": {"size": 11},
        }
    ]


def _num(x: Any) -> float:
    try:
        return float(x) if x is not None else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def scatter_parts(book: ReportBook, i: int) -> ChartParts:
    """Estimation window: stock vs benchmark returns with the fitted line and statistics.

    Factor models plot the stock return against the fitted return (the line
    is then the diagonal); ``constant_mean`` without a benchmark plots returns
    over time against their mean. The fitted line is straight in every case,
    so it is drawn through its two end points.
    """
    from eventstudy.settings import FACTOR_MODELS

    r, model, est = book.rows[i], book.model, book.est
    ticker, bench = esc(r.get("ticker")), esc(r.get("benchmark"))
    n = int(est.n[i])
    data: list[Spec] = []
    x_title, numeric = "", False
    if n:
        num = book.chart_numbers
        when = Texts(book.est_text[i, :n].tolist())
        if model in FACTOR_MODELS:
            x_title, numeric = "fitted return (factor model)", True
        elif np.isfinite(est.benchmark[i, :n]).any():
            x_title, numeric = f"{bench} return", True
        if numeric:
            x: Any = num.x.row(i, slice(0, n))
            fit_x: Any = num.line_x.row(i) if num.has_line[i] else Numbers([])
            fit_y: Any = num.line_y.row(i) if num.has_line[i] else Numbers([])
        else:
            x, fit_x = when, Texts([when[0], when[-1]])
            fit_y = vals(est.fitted[i, [0, n - 1]], 100)
        data.append(
            {
                "_": "points",
                "x": x,
                "y": num.y.row(i, slice(0, n)),
                "customdata": when,
                "hovertemplate": "%{customdata}<br>stock %{y:.2f}%<br>x %{x"
                + (":.2f}%" if numeric else "}")
                + "<extra></extra>",
            }
        )
        data.append({"_": "fit", "x": fit_x, "y": fit_y})
    title = (
        f"Estimation window: {ticker} vs {x_title.removesuffix(' return')}"
        if numeric
        else f"Estimation window: {ticker} returns"
    )
    if not n:
        title += " (not estimated)"
    return ChartParts(
        "scatter",
        {
            **_title(title),
            "annotations": fit_notes(r, model),
            "xaxis": axis(x_title, pct=numeric),
            "yaxis": axis(f"{ticker} return", pct=True),
        },
        data,
    )


def _bases(book: ReportBook) -> dict[str, Spec]:
    cached: dict[str, Spec] | None = book.__dict__.get("_chart_bases")
    if cached is None:
        cached = book.__dict__["_chart_bases"] = chart_bases(book)
    return cached


def price_spec(book: ReportBook, i: int) -> Spec:
    """The complete figure dictionary of :func:`price_parts`."""
    return assemble(price_parts(book, i), _bases(book))


def ar_spec(book: ReportBook, i: int, with_id: bool = True) -> Spec:
    """The complete figure dictionary of :func:`ar_parts`."""
    return assemble(ar_parts(book, i, with_id), _bases(book))


def car_spec(book: ReportBook, i: int, with_ar: bool = False, with_id: bool = True) -> Spec:
    """The complete figure dictionary of :func:`car_parts`."""
    return assemble(car_parts(book, i, with_ar, with_id), _bases(book))


def scatter_spec(book: ReportBook, i: int) -> Spec:
    """The complete figure dictionary of :func:`scatter_parts`."""
    return assemble(scatter_parts(book, i), _bases(book))
