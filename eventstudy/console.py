"""Terminal output of the CLI (rich tables; plain text when not a terminal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table

from eventstudy.report.fmt import statistic
from eventstudy.result import StudyResult
from eventstudy.safe_text import rich_text as escape

STATUS_STYLE = {"ok": "green", "pending": "yellow", "skipped": "magenta", "failed": "red"}


def _num(x: Any, digits: int = 4) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "" if not np.isfinite(v) else f"{v:.{digits}f}"


def print_validation(console: Any, events: pd.DataFrame, source: Path, warnings: int = 0) -> None:
    """One row per event: id, ticker, exchange, announcement, day 0 and the rule."""
    note = f" ({warnings} warning{'s' if warnings != 1 else ''} below)" if warnings else ""
    table = Table(
        title=f"{escape(str(source))}: {len(events)} events, all valid{note}",
        title_justify="left",
    )
    for col in ("event_id", "ticker", "exchange", "benchmark", "announced", "day 0", "rule"):
        table.add_column(col, overflow="fold")
    for r in events.itertuples(index=False):
        table.add_row(
            *(
                escape(str(v))
                for v in (
                    r.event_id,
                    r.ticker,
                    r.exchange,
                    r.benchmark,
                    r.announced,
                    f"{pd.Timestamp(str(r.day0)):%Y-%m-%d %a}",
                    r.day0_rule,
                )
            )
        )
    console.print(table)


def print_run_summary(console: Any, res: StudyResult, out: Path) -> None:
    """Status counts, the CAR-window tests, events that are not ok, where files went."""
    c = res.meta.get("counts", {})
    console.print(
        f"[bold]{c.get('events', 0)} events[/]: "
        + ", ".join(f"[{STATUS_STYLE[s]}]{c.get(s, 0)} {s}[/]" for s in STATUS_STYLE)
        + f"  (model {res.settings.model}; data: {escape(str(res.meta.get('data_source', '')))})"
    )
    from eventstudy.wording import result_study_sentence

    console.print(escape(result_study_sentence(res)))
    if not res.tests.empty and int(res.tests["n"].max()) >= 2:
        _print_car_tests(console, res)
    elif len(res.events):
        console.print(
            "No cross-sectional test: fewer than 2 events with a CAR in every window; "
            "the per-event t-tests are below and in car.csv."
        )
    _print_single_event(console, res)
    bad = res.events[res.events["status"] != "ok"]
    if len(bad):
        table = Table(title="Events not ok", title_justify="left")
        for col in ("event_id", "status", "reason"):
            table.add_column(col, overflow="fold")
        for r in bad.itertuples(index=False):
            table.add_row(
                escape(str(r.event_id)),
                f"[{STATUS_STYLE.get(str(r.status), '')}]{r.status}[/]",
                escape(str(r.reason)),
            )
        console.print(table)
    console.print(f"Outputs in {escape(str(out))}/")


def _print_car_tests(console: Any, res: StudyResult) -> None:
    """Rows = tests, columns = CAR windows; cells ``statistic (p)``."""
    t = res.tests
    if t.empty:
        return
    windows = list(dict.fromkeys(zip(t["start"], t["end"], strict=True)))
    alt = res.settings.alternative
    sided = "two-sided" if alt == "two-sided" else f"one-sided, {alt}"
    table = Table(title=f"Cross-sectional tests: statistic ({sided} p)", title_justify="left")
    table.add_column("")
    for a, b in windows:
        table.add_column(f"[{a:+d},{b:+d}]", justify="right")
    first = t.groupby(["start", "end"], sort=False)[["n", "caar"]].first()
    table.add_row("N", *(str(int(first.loc[w, "n"])) for w in windows))
    table.add_row("CAAR", *(_num(first.loc[w, "caar"]) for w in windows))
    cells = t.set_index(["statistic", "start", "end"])
    for name in dict.fromkeys(t["statistic"]):
        row = []
        for a, b in windows:
            v, p = cells.loc[(name, a, b), "value"], cells.loc[(name, a, b), "p_value"]
            row.append("n/a" if not np.isfinite(v) else f"{statistic(name, v, 2)} ({_num(p, 3)})")
        table.add_row(name, *row)
    console.print(table)


def _print_single_event(console: Any, res: StudyResult) -> None:
    """Per-event CARs when the study is small enough to read on a screen."""
    if res.car.empty or res.events["event_id"].nunique() > 12:
        return
    table = Table(title="Per-event CARs", title_justify="left")
    for col in ("event_id", "window", "CAR", "SE", "t", "p"):
        table.add_column(col, justify="right")
    for r in res.car.itertuples(index=False):
        table.add_row(
            escape(str(r.event_id)),
            f"[{r.start:+d},{r.end:+d}]",
            _num(r.car),
            _num(r.se),
            _num(r.t, 2),
            _num(r.p_value, 3),
        )
    console.print(table)


def print_placebo(console: Any, result: Any, out: Path) -> None:
    """The placebo's 5% rates as tests x CAR windows, ``rate (interval)`` per cell,
    marked where the interval excludes the right size (as in the report)."""
    from eventstudy.report.placebo_matrix import placebo_matrix

    meta = result.meta
    matrix = placebo_matrix(result.table, meta)
    inject = float(meta.get("inject") or 0.0)
    what = f"power against {100 * inject:+.2f}% on day 0" if inject else "size"
    title = (
        f"{meta['trials']} trials ({meta['events_per_trial_mean']:.1f} events each"
        f"{', one day per trial' if meta.get('cluster') else ''}) in {meta['seconds']:.1f} s: "
        f"rejection rate at 5% ({what}) and its 95% interval"
    )
    console.print(escape(title))
    table = Table()
    table.add_column("test")
    for w in matrix.windows:
        table.add_column(w, justify="right")
    marks = {"over": "[red]{} ▲[/]", "under": "[blue]{} ▼[/]"}
    for stat, _, cells in matrix.rows:
        row = []
        for c in cells:
            text = f"{c.rate} ({c.ci})" if c.ci else c.rate
            row.append(marks.get(c.cls, "{}  ").format(escape(text)))
        table.add_row(escape(stat), *row)
    console.print(table)
    if matrix.flagged:
        ref = "; ".join(f"{s} {100 * v:.2f}%" for s, v in matrix.references.items())
        console.print(
            "▲ interval above, ▼ below the right size (5%"
            + (f"; the discrete sign tests' exact size: {ref}" if ref else "")
            + "). event_t, event_sq: per-event tests pooled over all pseudo-events."
        )
    console.print(f"Outputs in {escape(str(out))}/ (placebo.csv, placebo.json, placebo.html)")
