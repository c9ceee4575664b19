"""Template context of the study page (the event pages: :mod:`eventstudy.report.event_page`).

Everything here is plain text and numbers; the Jinja2 templates escape it.
Figures are passed as figure dictionaries (see :mod:`eventstudy.report.figures`);
the events table as compact rows that ``report.js`` pages, sorts and filters
(its first page is also in the HTML).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.report import figures, fmt, measures, tables
from eventstudy.report.methodology import methodology
from eventstudy.wording import result_study_sentence

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

STATUSES = ("ok", "pending", "skipped", "failed")
FLAG_LIMIT = 100
CAAR_CAPTION = (
    "CAAR from the start of the event window; shaded: 95% band, CAAR ± t(N−1, 0.975) × "
    "sd(CAR_i)/√N, the cross-sectional standard error of the cumulative AR on each "
    "day. Dotted line: day 0."
)
AAR_CAPTION = (
    "Average abnormal return on each day of the event window (N events with a "
    "return that day); hover for the cross-sectional t and BMP p-values."
)


def _join(items: list[str], limit: int = 4) -> str:
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def heading(res: StudyResult) -> str:
    n = len(res.events)
    return f"Event study: {n} event{'s' if n != 1 else ''}"


def _counts(res: StudyResult) -> dict[str, int]:
    vc = res.events["status"].value_counts() if not res.events.empty else pd.Series(dtype=int)
    return {s: int(vc.get(s, 0)) for s in STATUSES}


def _status_line(res: StudyResult) -> str:
    c = _counts(res)
    parts = [f"{v} {k}" for k, v in c.items() if v]
    return f"{len(res.events)} events: {', '.join(parts) or 'none'}."


def study_context(res: StudyResult, stems: dict[str, str]) -> dict[str, Any]:
    """Context of ``index.html``."""
    s, meta = res.settings, res.meta
    ev = res.events
    tickers = list(dict.fromkeys(str(t) for t in ev["ticker"])) if not ev.empty else []
    benches = list(dict.fromkeys(str(b) for b in ev["benchmark"])) if not ev.empty else []
    source = str(meta.get("events_source", "") or "the events table")
    question = (
        f"How did the stock price of {_join(tickers)} react to the {len(ev)} "
        f"announcement{'s' if len(ev) != 1 else ''} of {source}?"
    )
    counts = _counts(res)
    created = str(meta.get("created", ""))[:16].replace("T", " ")
    if s.factor_names:
        bench_txt = f"factors {', '.join(s.factor_names)} ({meta.get('factors_source', '')})"
    elif s.model == "constant_mean":
        bench_txt = "no benchmark"
    else:
        bench_txt = f"benchmark {_join(benches, 3)}"
    setup = " · ".join(
        [
            f"{len(ev)} events ({', '.join(f'{v} {k}' for k, v in counts.items() if v) or 'none'})",
            f"{s.model.replace('_', '-')} model, {bench_txt}",
            f"estimation {fmt.window(*s.estimation_window)}, "
            f"event window {fmt.window(*s.event_window)}"
            f" (sessions), {s.return_type} returns",
            f"data: {meta.get('data_source', 'not recorded')}",
            f"run {created} UTC" if created else "run date not recorded",
        ]
    )
    not_ok = len(ev) - counts["ok"]
    notices = []
    if not_ok:
        notices.append(
            f"{not_ok} of {len(ev)} events are not in the statistics "
            f"({', '.join(f'{counts[k]} {k}' for k in STATUSES[1:] if counts[k])}); "
            "each keeps its row below with the reason."
        )
    notices += [str(w) for w in meta.get("warnings") or []]
    matrix = tables.test_matrix(res)
    cards = []
    for k, (key, label) in enumerate(matrix.windows):
        t_cs = next((c[k].p for name, _, c in matrix.rows if name == "t_cs"), "")
        cards.append(
            {
                "window": label,
                "key": key,
                "caar": matrix.caar[k].text,
                "n": matrix.n[k],
                "agree": matrix.agree[k],
                "t_cs": t_cs,
            }
        )
    present = set(ev["status"]) if not ev.empty else set()
    events = tables.events_table(res, stems)
    return {
        "title": heading(res),
        "heading": heading(res),
        "question": question,
        "setup": setup,
        "sentence": result_study_sentence(res),
        "tests_note": no_tests_reason(res),
        "p_kind": fmt.p_kind(res.settings.alternative),
        "notices": notices,
        "cards": cards,
        "m": matrix,
        "events": events,
        "events_data": events.data(),
        "aar": tables.aar_table(res),
        "bhar": measures.bhar_table(res),
        "bootstrap": measures.bootstrap_table(res),
        "volume": measures.volume_table(res),
        "regression": measures.regression_view(res),
        "groups": measures.groups_view(res),
        "placebo": measures.placebo_view(res),
        "statuses": [x for x in STATUSES if x in present],
        "status_line": _status_line(res),
        "not_ok": bool(not_ok),
        "flags": quality_flags(res),
        "method": methodology(res),
        "caar_caption": CAAR_CAPTION,
        "aar_caption": AAR_CAPTION,
        "figures": [("caar", figures.caar_spec(res)), ("aar", figures.aar_spec(res))],
    }


def no_tests_reason(res: StudyResult) -> str:
    """Why the test battery is empty, when no CAR window has 2 events ('' otherwise)."""
    t = res.tests
    n = int(t["n"].max()) if not t.empty else 0
    if n >= 2:
        return ""
    return (
        f"No cross-sectional test: every CAR window has fewer than 2 events with a CAR "
        f"(N = {n}), and the tests compare events with each other. "
        + (
            "The event's own t-test over each window is on its page and in car.csv."
            if n == 1
            else "No event has a CAR yet (see the events table for why)."
        )
    )


def _bounded(lines: list[str], what: str, limit: int = FLAG_LIMIT) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"... and {len(lines) - limit} more {what}."]


def quality_flags(res: StudyResult) -> list[str]:
    """Data-quality flags: missing tickers, price notes, incomplete windows, odd statuses.

    Each kind of flag lists at most :data:`FLAG_LIMIT` lines and then says how
    many more there are, so the list stays short at 10,000 events.
    """
    from eventstudy.report.book import book_of

    meta = res.meta
    missing = [f"{t}: {why}" for t, why in (meta.get("missing_tickers") or {}).items()]
    flags = _bounded(missing, "tickers without prices (run.json, missing_tickers)")
    notes: list[str] = []
    for t, items in (meta.get("data_notes") or {}).items():
        notes += [f"{t}: {n}" for n in (items if isinstance(items, list | tuple) else [items]) if n]
    flags += _bounded(notes, "price notes (run.json, data_notes)")
    listed = []
    for item in meta.get("quality_flags") or []:
        if isinstance(item, dict):
            listed.append(
                f"{item.get('ticker', '')}: {item.get('kind', '')}: {item.get('detail', '')}".strip(
                    ": "
                )
            )
        else:
            listed.append(str(item))
    flags += _bounded(listed, "quality flags (run.json, quality_flags)")
    dq = meta.get("data_quality") or {}
    if dq:
        flags.append(
            f"Price checks on the dates each event uses (missing sessions, stale prices, "
            f"split-like jumps, non-positive prices, prices on non-sessions): "
            f"{int(dq.get('events_flagged', 0))} event(s) flagged."
        )
    for kind, n in (dq.get("by_kind") or {}).items():
        if n:
            flags.append(f"{kind.replace('_', ' ')}: {n} event(s) use prices with this flag.")
    ev = res.events
    if "data_flags" in ev:
        marked = [
            f"{e}: {fmt.text(f)}"
            for e, f in zip(ev["event_id"], ev["data_flags"], strict=True)
            if fmt.text(f)
        ]
        flags += _bounded(marked, "flagged events (events.csv, column data_flags)")
    status = ev["status"].astype(str).to_numpy() if not ev.empty else np.array([], dtype=object)
    ok = status == "ok"
    car = book_of(res).car
    if ok.any() and car.present.any():
        for j, w in enumerate(car.windows):
            lacking = int((ok & ~car.present[:, j]).sum())
            if lacking > 0:
                flags.append(
                    f"CAR window {fmt.window(*w)}: {lacking} ok event(s) have no CAR "
                    "(window not fully observed); they drop out of its tests."
                )
    pending = int((status == "pending").sum())
    if pending:
        flags.append(
            f"{pending} event(s) pending: the event window reaches past the last "
            "available session; a later run completes them."
        )
    return flags
