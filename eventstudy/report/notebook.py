"""Compact HTML of a result for Jupyter (``StudyResult._repr_html_``).

The headline chart is a small inline SVG (CAAR with its 95% band), so the
notebook needs no JavaScript, no plotly.js bundle and no internet, and the
chart survives in saved notebooks and static viewers. ``res.plot_car()``
gives the interactive plotly version.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from eventstudy.report import fmt
from eventstudy.report.data import caar_band

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

WIDTH, HEIGHT = 520, 220
PAD_L, PAD_R, PAD_T, PAD_B = 52, 12, 22, 30


def _points(
    xs: Sequence[float],
    ys: Sequence[float],
    sx: Callable[[float], float],
    sy: Callable[[float], float],
) -> str:
    return " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys, strict=True))


def caar_svg(res: StudyResult) -> str:
    """An inline SVG of the CAAR (percent) with its 95% cross-sectional band."""
    band = caar_band(res)
    rows = [
        (int(d), 100 * float(c), 100 * float(lo), 100 * float(hi))
        for d, c, lo, hi in zip(
            band["rel_day"], band["caar"], band["lower"], band["upper"], strict=True
        )
        if math.isfinite(float(c))
    ]
    if not rows:
        return "<p><em>No CAAR to draw: no event has abnormal returns.</em></p>"
    xs = [r[0] for r in rows]
    ys = [r[1] for r in rows]
    with_band = [r for r in rows if math.isfinite(r[2]) and math.isfinite(r[3])]
    lo = min([0.0, *ys, *(r[2] for r in with_band)])
    hi = max([0.0, *ys, *(r[3] for r in with_band)])
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1

    def sx(x: float) -> float:
        return PAD_L + (x - x0) / (x1 - x0) * (WIDTH - PAD_L - PAD_R)

    def sy(y: float) -> float:
        return PAD_T + (hi - y) / (hi - lo) * (HEIGHT - PAD_T - PAD_B)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="CAAR with 95% band" '
        'style="font:11px system-ui,sans-serif;max-width:100%;height:auto">'
    ]
    if with_band:
        up = [(r[0], r[3]) for r in with_band]
        down = [(r[0], r[2]) for r in reversed(with_band)]
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in up + down)
        parts.append(f'<polygon points="{pts}" fill="rgba(31,78,121,0.16)" stroke="none"/>')
    for y, label in ((lo, f"{lo:.2f}%"), (0.0, "0%"), (hi, f"{hi:.2f}%")):
        parts.append(
            f'<line x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" '
            f'stroke="{"#999" if y == 0 else "#e5e5e5"}"/>'
        )
        parts.append(f'<text x="{PAD_L - 4}" y="{sy(y) + 4:.1f}" text-anchor="end">{label}</text>')
    if x0 <= 0 <= x1:
        parts.append(
            f'<line x1="{sx(0):.1f}" x2="{sx(0):.1f}" y1="{PAD_T}" '
            f'y2="{HEIGHT - PAD_B}" stroke="#999" stroke-dasharray="3,3"/>'
        )
    parts.append(
        f'<polyline points="{_points(xs, ys, sx, sy)}" fill="none" stroke="#1f4e79" '
        'stroke-width="2"/>'
    )
    for x in (x0, 0, x1):
        if x0 <= x <= x1:
            parts.append(
                f'<text x="{sx(x):.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                f"{int(x):+d}</text>".replace(">+0<", ">0<")
            )
    parts.append(
        f'<text x="{PAD_L}" y="14">CAAR over the event window (day 0 dashed); '
        "95% band: cross-sectional SE</text></svg>"
    )
    return "".join(parts)


def repr_html(res: StudyResult) -> str:
    """Compact HTML: title, setup, headline chart, tests per CAR window, events not ok."""
    summ = res.summary()
    parts = [
        f"<div><h4>{html.escape(summ.title)}</h4>",
        f"<p style='color:#555'>{html.escape(summ.setup)}</p>",
        caar_svg(res),
    ]
    t = res.tests
    if not t.empty:
        first = t.groupby(["start", "end"], sort=False)[["n", "caar"]].first()
        rejected = t.assign(r=t["p_value"] < 0.05).groupby(["start", "end"], sort=False)["r"].sum()
        tested = t.groupby(["start", "end"], sort=False)["p_value"].count()
        rows = "".join(
            f"<tr><td>{html.escape(fmt.window(*w))}</td><td>{int(first.loc[w, 'n'])}</td>"
            f"<td>{html.escape(fmt.pct(first.loc[w, 'caar']))}</td>"
            f"<td>{html.escape(_p_of(t, w, 't_cs'))}</td><td>{html.escape(_p_of(t, w, 'bmp'))}</td>"
            f"<td>{int(rejected.loc[w])} of {int(tested.loc[w])}</td></tr>"
            for w in first.index
        )
        parts.append(
            "<table><thead><tr><th>window</th><th>N</th><th>CAAR</th><th>p (t cs)</th>"
            "<th>p (BMP)</th><th>tests p&lt;0.05</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    if not summ.not_ok.empty:
        items = "".join(
            f"<li>{html.escape(str(r.event_id))}: {html.escape(str(r.status))} - "
            f"{html.escape(str(r.reason))}</li>"
            for r in summ.not_ok.head(20).itertuples()
        )
        more = len(summ.not_ok) - 20
        parts.append(
            f"<p>Not ok ({len(summ.not_ok)}):</p><ul>{items}</ul>"
            + (f"<p>... and {more} more.</p>" if more > 0 else "")
        )
    parts.append(
        "<p style='color:#555'>res.to_html(folder) writes the full report; "
        "res.plot_car() gives the interactive chart.</p></div>"
    )
    return "".join(parts)


def _p_of(tests, w, name: str) -> str:
    sel = tests[(tests["start"] == w[0]) & (tests["end"] == w[1]) & (tests["statistic"] == name)]
    return fmt.pval(sel["p_value"].iloc[0]) if len(sel) else ""
