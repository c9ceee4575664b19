"""The intraday part of an event page: a chart, a table and a sentence.

From the result's intraday tables (:meth:`eventstudy.StudyResult.intraday`):
the chart shows the security's price bar by bar (left axis) and its abnormal
return cumulated from the anchor (right axis, percent) from the announcement's
date to the reaction session, with the close before the announcement and the
announcement marked; bars are placed one after the other (no gaps for the
hours without trading). The sentence says how much of the reaction session's
close-to-close move happened before its open (after hours, overnight and
pre-market: ``O_open / C_prev - 1`` against ``C_close / C_prev - 1`` from the
bars' own prices) and gives the first window after the anchor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eventstudy.report.event_tables import h
from eventstudy.report.figures import BLUE, GREY, RED, axis, layout, vline

Spec = dict[str, Any]

CAPTION = (
    "Price by bar (left axis) and the abnormal return cumulated from the anchor "
    "(right axis); grey dotted line: the last close before the announcement, red "
    "dashed line: the announcement's bar. Bars follow each other without the "
    "hours in between."
)


@dataclass(frozen=True)
class IntradayEvent:
    """One event's intraday windows (rows of ``intraday_car``) and bars."""

    windows: list[dict[str, Any]]
    labels: list[str]  # local time of each bar, "MM-DD HH:MM"
    segment: list[str]
    close: list[float]
    ar: list[float]
    minutes: list[float]
    open_first: float  # open of the reaction session's first regular bar
    prev_close: float  # last regular close before the reaction session
    session_close: float  # last regular close of the reaction session
    reaction_day: str
    tz: str


def _num(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def by_event(res: Any) -> dict[str, IntradayEvent]:
    """Every event with intraday bars in ``res.attachments["intraday"]``."""
    from eventstudy.event_time import get_calendar

    got = (getattr(res, "attachments", None) or {}).get("intraday")
    if not got:
        return {}
    car, ar = got["car"], got["ar"]
    tz_of = {
        str(r["event_id"]): str(get_calendar(str(r.get("exchange") or "XNYS")).tz)
        for r in res.events.to_dict("records")
    }
    out: dict[str, IntradayEvent] = {}
    windows = {
        eid: g.to_dict("records") for eid, g in car.groupby("event_id", sort=False, dropna=False)
    }
    for eid, g in ar.groupby("event_id", sort=False):
        eid = str(eid)
        tz = tz_of.get(eid, "America/New_York")
        local = pd.DatetimeIndex(g["timestamp"]).tz_convert(tz)
        seg = g["segment"].astype(str).to_numpy()
        close = g["close"].to_numpy(float)
        minutes = g["minutes"].to_numpy(float)
        day = local.normalize()
        reaction = day[minutes >= 0][0] if (minutes >= 0).any() else day[-1]
        regular = seg == "regular"
        before = np.flatnonzero(regular & (day < reaction))
        during = np.flatnonzero(regular & (day == reaction))
        opens = g["open"].to_numpy(float) if "open" in g.columns else np.full(len(g), np.nan)
        out[eid] = IntradayEvent(
            windows=windows.get(eid, []),
            labels=[f"{t:%m-%d %H:%M}" for t in local],
            segment=seg.tolist(),
            close=close.tolist(),
            ar=g["ar"].to_numpy(float).tolist(),
            minutes=minutes.tolist(),
            open_first=float(opens[during[0]]) if len(during) else math.nan,
            prev_close=float(close[before[-1]]) if len(before) else math.nan,
            session_close=float(close[during[-1]]) if len(during) else math.nan,
            reaction_day=f"{reaction:%Y-%m-%d}",
            tz=tz,
        )
    return out


def figure(ev: IntradayEvent, ticker: str) -> Spec:
    """Plotly figure dictionary of one event's bars (category x axis of local times)."""
    ar = np.asarray(ev.ar, float)
    minutes = np.asarray(ev.minutes, float)
    after = minutes >= 0
    cum = np.where(after, np.cumsum(np.where(after & np.isfinite(ar), ar, 0.0)), np.nan)
    cum_pct = [None if not math.isfinite(v) else round(100 * v, 6) for v in cum]
    seg = np.asarray(ev.segment)
    anchor = int(np.flatnonzero(after)[0]) if after.any() else None
    regular_before = np.flatnonzero((seg == "regular") & ~after)
    shapes = []
    if len(regular_before):
        shapes.append(vline(ev.labels[int(regular_before[-1])], GREY, "dot"))
    if anchor is not None:
        shapes.append(vline(ev.labels[anchor], RED, "dash"))
    lay = layout(
        f"{h(ticker)} by bar around the announcement",
        f"local time ({h(ev.tz)})",
        "price",
        hovermode="x unified",
    )
    ticks = _ticks(ev.labels)
    lay["xaxis"].update(
        {"type": "category", "tickmode": "array", "tickvals": ticks, "ticktext": ticks}
    )
    lay["yaxis2"] = {
        **axis("CAR from the anchor", pct=True),
        "overlaying": "y",
        "side": "right",
        "tickformat": ".2f",
    }
    lay["shapes"] = shapes
    lay["margin"] = {**lay["margin"], "r": 64}
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "x": ev.labels,
            "y": [None if not math.isfinite(v) else v for v in ev.close],
            "name": "price",
            "line": {"color": BLUE, "width": 1.4},
            "hovertemplate": "%{y:.2f}<extra>price</extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": ev.labels,
            "y": cum_pct,
            "yaxis": "y2",
            "name": "CAR from the anchor",
            "line": {"color": RED, "width": 1.6},
            "hovertemplate": "%{y:.2f}%<extra>CAR</extra>",
        },
    ]
    return {"data": data, "layout": lay}


def _ticks(labels: list[str], most: int = 7) -> list[str]:
    """At most ``most`` tick labels: each date's first bar, then whole hours."""
    firsts = [x for k, x in enumerate(labels) if k == 0 or x[:5] != labels[k - 1][:5]]
    hours = [x for x in labels if x.endswith(":00") and x not in firsts]
    room = max(0, most - len(firsts))
    step = max(1, math.ceil(len(hours) / room)) if room else len(hours) + 1
    keep = set(firsts) | set(hours[::step])
    return [x for x in labels if x in keep]


def _pct(x: float) -> str:
    return f"{100 * x:+.2f}%"


def sentence(ev: IntradayEvent, ticker: str) -> str:
    """' Intraday: ...' or '' when no window could be measured."""
    parts = []
    total = ev.session_close / ev.prev_close - 1.0
    before_open = ev.open_first / ev.prev_close - 1.0
    if math.isfinite(total) and math.isfinite(before_open):
        share = f" ({abs(before_open / total):.0%} of it)" if abs(total) > 1e-12 else ""
        parts.append(
            f"{ticker} moved {_pct(total)} from the last close before the news to the close "
            f"of {ev.reaction_day}; {_pct(before_open)}{share} happened before that "
            f"session's open (after hours, overnight and pre-market), "
            f"{_pct((1 + total) / (1 + before_open) - 1)} during it"
        )
    first = next(
        (
            w
            for w in ev.windows
            if _num(w.get("start")) == 0
            and w.get("window") != "to_open"
            and math.isfinite(_num(w.get("car")))
        ),
        None,
    )
    if first is not None:
        parts.append(
            f"in the first {int(_num(first['end']))} minutes from the anchor "
            f"({str(first['anchor'])[11:16]}) the abnormal return was {_pct(_num(first['car']))} "
            f"(t = {_num(first['t']):.2f}, p = {_num(first['p_value']):.3f}, "
            f"{first['model'].replace('_', '-')} model on the bars of the previous sessions)"
        )
    if not parts:
        return ""
    text = "; ".join(parts)
    return " Intraday: " + text[0].upper() + text[1:] + "."


def table(ev: IntradayEvent) -> str:
    """HTML table of the event's intraday windows (escaped)."""
    head = (
        "<table class='num'><thead><tr><th>window</th><th>bars</th><th>CAR</th><th>SE</th>"
        "<th>t</th><th>p</th><th>segments</th><th>note</th></tr></thead><tbody>"
    )
    rows = []
    for w in ev.windows:
        label = str(w.get("window") or "")
        if label == "to_open":
            label = "to the next open"
        car, se, t, p = (_num(w.get(k)) for k in ("car", "se", "t", "p_value"))
        cells = [
            h(label),
            h(int(_num(w.get("n_bars"))) if math.isfinite(_num(w.get("n_bars"))) else ""),
            _pct(car) if math.isfinite(car) else "",
            f"{100 * se:.2f}%" if math.isfinite(se) else "",
            f"{t:.2f}" if math.isfinite(t) else "",
            f"{p:.3f}" if math.isfinite(p) else "",
            h(w.get("segments") if isinstance(w.get("segments"), str) else ""),
            h(w.get("note") if isinstance(w.get("note"), str) else ""),
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return head + "".join(rows) + "</tbody></table>"
