"""Plotly figures of a study and of its events.

Each chart is built as a plain figure dictionary (``*_spec``) that the pages
serialise directly (fast: no per-figure validation for 10,000 event pages,
data as lists from numpy's ``tolist``); the public ``*_figure`` functions wrap
the same dictionary in a validated ``plotly.graph_objects.Figure`` for
notebooks. The event charts live in :mod:`eventstudy.report.event_figures`.

Returns are drawn in percent. User text (tickers, ids, descriptions) placed
in titles or hover text is HTML-escaped, because plotly.js renders a subset of
HTML there.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from eventstudy.report.data import caar_band
from eventstudy.report.numbers import Numbers, Texts, plain, vals

__all__ = ["Numbers", "Texts", "vals"]

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif'
BLUE, BAND, RED, GREY = "#1f4e79", "rgba(31,78,121,0.16)", "#b03a2e", "#777777"
POS, NEG = "#2e75b6", "#c0504d"
Z95 = 1.96
DAY_TEXT_RANGE = ("1900-01-01", "2101-01-01")

Spec = dict[str, Any]


def esc(x: Any) -> str:
    """HTML-escape user text for plotly titles and hover text."""
    return html.escape("" if x is None else str(x), quote=True)


@cache
def _day_table() -> tuple[int, np.ndarray]:
    lo, hi = (np.datetime64(d, "D") for d in DAY_TEXT_RANGE)
    return int(lo.astype(np.int64)), np.array(np.arange(lo, hi).astype(str).tolist(), dtype=object)


def day_text(x: Any) -> Texts:
    """``YYYY-MM-DD`` strings of dates (vectorised: one table look-up per date)."""
    arr = np.asarray(x)
    if arr.dtype.kind != "M":
        import pandas as pd

        arr = pd.DatetimeIndex(list(x) if not isinstance(x, pd.Index | pd.Series) else x).to_numpy()
    days = arr.astype("datetime64[D]")
    base, table = _day_table()
    at = days.astype(np.int64) - base
    if len(at) and (np.isnat(days).any() or at.min() < 0 or at.max() >= len(table)):
        return Texts(str(d) for d in np.datetime_as_string(days, unit="D").tolist())
    return Texts(table[at].tolist())


def day_text_array(x: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` of every element of a ``datetime64`` array (object array, NaT: ``None``)."""
    days = np.asarray(x).astype("datetime64[D]")
    base, table = _day_table()
    at = days.astype(np.int64) - base
    ok = ~np.isnat(days) & (at >= 0) & (at < len(table))
    out = np.full(days.shape, None, dtype=object)
    out[ok] = table[at[ok]]
    rest = ~np.isnat(days) & ~ok
    if rest.any():
        out[rest] = np.datetime_as_string(days[rest], unit="D").astype(object)
    return out


def dates(x: Iterable[Any]) -> list[str]:
    """``YYYY-MM-DD`` strings of dates (vectorised)."""
    return day_text(x)


def layout(title: str, x_title: str, y_title: str, **extra: Any) -> Spec:
    """Common layout: left title, small margins, horizontal legend below, system fonts."""
    out: Spec = {
        "title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
        "font": {"family": FONT, "size": 12, "color": "#222"},
        "margin": {"l": 56, "r": 34, "t": 40, "b": 84},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "xaxis": {
            "title": {"text": x_title},
            "gridcolor": "#eeeeee",
            "zeroline": False,
            "automargin": True,
        },
        "yaxis": {
            "title": {"text": y_title},
            "gridcolor": "#eeeeee",
            "zerolinecolor": "#999999",
            "automargin": True,
        },
        "legend": {
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "yref": "container",
            "y": 0.005,
            "yanchor": "bottom",
        },
        "modebar": {"orientation": "v"},
        "hovermode": "closest",
        "autosize": True,
    }
    out.update(extra)
    return out


def axis(
    title: str,
    *,
    pct: bool = False,
    dtick: float | None = None,
    rng: list[float] | None = None,
    zeroline: bool = True,
) -> Spec:
    """An axis: title, light grid, optional percent suffix, tick step and range."""
    out: Spec = {
        "title": {"text": title},
        "gridcolor": "#eeeeee",
        "automargin": True,
        "zeroline": zeroline,
        "zerolinecolor": "#999999",
    }
    if pct:
        out["ticksuffix"] = "%"
    if dtick is not None:
        out["dtick"] = dtick
    if rng is not None:
        out["range"] = rng
    return out


def day_axis(first: int, last: int) -> Spec:
    """The relative-day axis of the event window (one tick per day up to 21 days)."""
    return axis(
        "trading day relative to day 0",
        dtick=1 if last - first <= 20 else None,
        rng=[first - 0.5, last + 0.5],
        zeroline=False,
    )


def vline(x: Any, color: str = GREY, dash: str = "dot") -> Spec:
    return {
        "type": "line",
        "xref": "x",
        "yref": "paper",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "line": {"color": color, "width": 1.2, "dash": dash},
        "layer": "below",
    }


def band_traces(x: list[Any], lower: Any, upper: Any, name: str) -> list[Spec]:
    """Two traces drawing a filled band between ``lower`` and ``upper``."""
    common = {
        "type": "scatter",
        "mode": "lines",
        "x": x,
        "line": {"width": 0},
        "hoverinfo": "skip",
        "connectgaps": False,
    }
    return [
        dict(common, y=upper, showlegend=False, name=name + " (upper)"),
        dict(common, y=lower, fill="tonexty", fillcolor=BAND, name=name),
    ]


def sign_colors(y: Iterable[float | None]) -> Texts:
    """Bar colours by sign (missing values count as positive)."""
    return Texts(POS if (v or 0) >= 0 else NEG for v in y)


def figure(spec: Spec) -> Any:
    """A validated ``plotly.graph_objects.Figure`` of a spec."""
    import plotly.graph_objects as go

    return go.Figure(plain(spec))


# --------------------------------------------------------------------------- study


def caar_spec(res: StudyResult) -> Spec:
    """CAAR over the event window with its 95% cross-sectional band."""
    band = caar_band(res)
    x = [int(d) for d in band["rel_day"]]
    n = [int(v) for v in band["n"]]
    traces = band_traces(
        x, vals(band["lower"], 100), vals(band["upper"], 100), "95% band (cross-sectional SE)"
    )
    traces.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "CAAR",
            "x": x,
            "y": vals(band["caar"], 100),
            "line": {"color": BLUE, "width": 2.4},
            "marker": {"size": 5},
            "customdata": [[k, s] for k, s in zip(n, vals(band["se"], 100), strict=True)],
            "hovertemplate": "day %{x}<br>CAAR %{y:.2f}%<br>SE %{customdata[1]:.2f}%"
            "<br>N %{customdata[0]}<extra></extra>",
        }
    )
    lo, hi = res.settings.event_window
    return {
        "data": traces,
        "layout": layout(
            "Cumulative average abnormal return (CAAR)",
            "trading day relative to day 0",
            "CAAR",
            shapes=[vline(0)],
            yaxis=axis("CAAR", pct=True),
            xaxis=day_axis(lo, hi),
        ),
    }


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
    y: Any = vals(aar["aar"], 100) if not aar.empty else []
    p_cs = vals(aar["t_cs_p"], digits=4) if "t_cs_p" in aar else [None] * len(x)
    p_bmp = vals(aar["bmp_p"], digits=4) if "bmp_p" in aar else [None] * len(x)
    n = [int(v) for v in aar["n"]] if not aar.empty else []
    trace = {
        "type": "bar",
        "name": "AAR",
        "x": x,
        "y": y,
        "marker": {"color": sign_colors(y)},
        "customdata": [list(t) for t in zip(n, p_cs, p_bmp, strict=True)],
        "hovertemplate": "day %{x}<br>AAR %{y:.2f}%<br>N %{customdata[0]}"
        "<br>p (t cs) %{customdata[1]:.3f}<br>p (BMP) %{customdata[2]:.3f}"
        "<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": layout(
            "Average abnormal return (AAR) per day",
            "trading day relative to day 0",
            "AAR",
            showlegend=False,
            yaxis=axis("AAR", pct=True),
            xaxis=day_axis(*res.settings.event_window),
        ),
    }


def aar_figure(res: StudyResult) -> Any:
    """Plotly bar chart of the AAR per relative day."""
    return figure(aar_spec(res))


# --------------------------------------------------------------------------- events


def _event(res: StudyResult, event_id: str) -> tuple[Any, int]:
    from eventstudy.report.book import book_of

    book = book_of(res)
    return book, book.index(event_id)


def event_price_figure(res: StudyResult, event_id: str) -> Any:
    """Plotly figure of one event's close price with its windows and day 0 marked."""
    from eventstudy.report.event_figures import price_spec

    return figure(price_spec(*_event(res, event_id)))


def event_ar_figure(res: StudyResult, event_id: str) -> Any:
    """Plotly bar chart of one event's ARs with +-1.96 SE whiskers."""
    from eventstudy.report.event_figures import ar_spec

    return figure(ar_spec(*_event(res, event_id)))


def event_car_figure(res: StudyResult, event_id: str, *, with_ar: bool = True) -> Any:
    """Plotly figure of one event's CAR with its 95% band (and its AR bars)."""
    from eventstudy.report.event_figures import car_spec

    return figure(car_spec(*_event(res, event_id), with_ar=with_ar))


def estimation_scatter(res: StudyResult, event_id: str) -> Any:
    """Plotly scatter of the estimation window with the fitted line, alpha, beta, R², sigma."""
    from eventstudy.report.event_figures import scatter_spec

    return figure(scatter_spec(*_event(res, event_id)))
