"""Template contexts of the study page and the event pages.

Everything here is plain text and numbers; the Jinja2 templates escape it.
Figures are passed as figure dictionaries (see :mod:`eventstudy.report.figures`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.report import figures, fmt, tables
from eventstudy.report.data import CarSE, EventData, car_se_path
from eventstudy.report.methodology import methodology
from eventstudy.report.regression import summary_tables
from eventstudy.wording import event_numbers, event_sentence, result_study_sentence

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

STATUSES = ("ok", "pending", "skipped", "failed")
FLAG_LIMIT = 100
CAAR_CAPTION = ("CAAR from the start of the event window; shaded: 95% band, CAAR ± t(N−1, 0.975) × "
                "sd(CAR_i)/√N, the cross-sectional standard error of the cumulative AR on each "
                "day. Dotted line: day 0.")
AAR_CAPTION = ("Average abnormal return on each day of the event window (N events with a "
               "return that day); hover for the cross-sectional t and BMP p-values.")


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
    question = (f"How did the stock price of {_join(tickers)} react to the {len(ev)} "
                f"announcement{'s' if len(ev) != 1 else ''} of {source}?")
    counts = _counts(res)
    created = str(meta.get("created", ""))[:16].replace("T", " ")
    if s.factor_names:
        bench_txt = f"factors {', '.join(s.factor_names)} ({meta.get('factors_source', '')})"
    elif s.model == "constant_mean":
        bench_txt = "no benchmark"
    else:
        bench_txt = f"benchmark {_join(benches, 3)}"
    setup = " · ".join([
        f"{len(ev)} events ({', '.join(f'{v} {k}' for k, v in counts.items() if v) or 'none'})",
        f"{s.model.replace('_', '-')} model, {bench_txt}",
        f"estimation {fmt.window(*s.estimation_window)}, event window {fmt.window(*s.event_window)}"
        f" (sessions), {s.return_type} returns",
        f"data: {meta.get('data_source', 'not recorded')}",
        f"run {created} UTC" if created else "run date not recorded",
    ])
    not_ok = len(ev) - counts["ok"]
    notices = []
    if not_ok:
        notices.append(f"{not_ok} of {len(ev)} events are not in the statistics "
                       f"({', '.join(f'{counts[k]} {k}' for k in STATUSES[1:] if counts[k])}); "
                       "each keeps its row below with the reason.")
    notices += [str(w) for w in meta.get("warnings") or []]
    matrix = tables.test_matrix(res)
    cards = []
    for k, (key, label) in enumerate(matrix.windows):
        t_cs = next((c[k].p for name, _, c in matrix.rows if name == "t_cs"), "")
        cards.append({"window": label, "key": key, "caar": matrix.caar[k].text,
                      "n": matrix.n[k], "agree": matrix.agree[k], "t_cs": t_cs})
    present = set(ev["status"]) if not ev.empty else set()
    return {
        "title": heading(res), "heading": heading(res), "question": question, "setup": setup,
        "sentence": result_study_sentence(res),
        "tests_note": no_tests_reason(res),
        "notices": notices, "cards": cards, "m": matrix,
        "events": tables.events_table(res, stems), "aar": tables.aar_table(res),
        "statuses": [x for x in STATUSES if x in present], "status_line": _status_line(res),
        "not_ok": bool(not_ok), "flags": quality_flags(res), "method": methodology(res),
        "caar_caption": CAAR_CAPTION, "aar_caption": AAR_CAPTION,
        "figures": [("caar", figures.caar_spec(res)), ("aar", figures.aar_spec(res))],
    }


def no_tests_reason(res: StudyResult) -> str:
    """Why the test battery is empty, when no CAR window has 2 events ('' otherwise)."""
    t = res.tests
    n = int(t["n"].max()) if not t.empty else 0
    if n >= 2:
        return ""
    return (f"No cross-sectional test: every CAR window has fewer than 2 events with a CAR "
            f"(N = {n}), and the tests compare events with each other. "
            + ("The event's own t-test over each window is on its page and in car.csv."
               if n == 1 else "No event has a CAR yet (see the events table for why)."))


def quality_flags(res: StudyResult) -> list[str]:
    """Data-quality flags: missing tickers, price notes, incomplete windows, odd statuses."""
    meta = res.meta
    flags = [f"{t}: {why}" for t, why in (meta.get("missing_tickers") or {}).items()]
    for t, notes in (meta.get("data_notes") or {}).items():
        items = notes if isinstance(notes, list | tuple) else [notes]
        flags += [f"{t}: {n}" for n in items if n]
    for item in meta.get("quality_flags") or []:
        if isinstance(item, dict):
            flags.append(f"{item.get('ticker', '')}: {item.get('kind', '')}: "
                         f"{item.get('detail', '')}".strip(": "))
        else:
            flags.append(str(item))
    dq = meta.get("data_quality") or {}
    if dq:
        flags.append(f"Price checks on the dates each event uses (missing sessions, stale prices, "
                     f"split-like jumps, non-positive prices, prices on non-sessions): "
                     f"{int(dq.get('events_flagged', 0))} event(s) flagged.")
    for kind, n in (dq.get("by_kind") or {}).items():
        if n:
            flags.append(f"{kind.replace('_', ' ')}: {n} event(s) use prices with this flag.")
    if "data_flags" in res.events:
        flagged = res.events[res.events["data_flags"].fillna("").astype(str) != ""]
        for r in flagged.head(FLAG_LIMIT).itertuples(index=False):
            flags.append(f"{r.event_id}: {r.data_flags}")
        if len(flagged) > FLAG_LIMIT:
            flags.append(f"... and {len(flagged) - FLAG_LIMIT} more flagged events (events.csv, "
                         "column data_flags).")
    ok = res.events.loc[res.events["status"] == "ok", "event_id"].astype(str)
    if len(ok) and not res.car.empty:
        have = res.car.groupby(["start", "end"])["event_id"].nunique()
        for w in tables.windows_of(res):
            missing = len(ok) - int(have.get(w, 0))
            if missing > 0:
                flags.append(f"CAR window {fmt.window(*w)}: {missing} ok event(s) have no CAR "
                             "(window not fully observed); they drop out of its tests.")
    pending = res.events[res.events["status"] == "pending"]
    if len(pending):
        flags.append(f"{len(pending)} event(s) pending: the event window reaches past the last "
                     "available session; a later run completes them.")
    return flags


def _event_cards(ed: EventData, wins: list[tuple[int, int]]) -> list[dict[str, str]]:
    if ed.car.empty:
        return []
    car = tables.records_by(ed.car, ["start", "end"])
    out = []
    for w in wins:
        c = car.get(w)
        out.append({"window": fmt.window(*w), "car": fmt.pct(c["car"]) if c is not None else "",
                    "t": fmt.num(c["t"]) if c is not None else "",
                    "p": fmt.pval(c["p_value"]) if c is not None else ""})
    return out


def event_context(res: StudyResult, ed: EventData) -> dict[str, Any]:
    """Context of one event page."""
    s, r = res.settings, ed.row
    wins = tables.windows_of(res)
    se_path = car_se_path(ed, s.model, s.event_days)
    se_note = ("SE(AR) and SE(CAR) use the full prediction-error covariance; SE(CAR) is for the "
               f"CAR cumulated from day {s.event_window[0]:+d}." if se_path.exact else
               "SE(CAR) here is approximate: sqrt(sum of SE(AR)²), which ignores the covariance "
               "of the ARs (the regressors of this model are not in the result); car.csv has "
               "the exact SE for each CAR window.")
    ols = summary_tables(ed.estimation, s.model)
    regressors = {"market": "a constant and the benchmark return",
                  "constant_mean": "a constant"}.get(
        s.model, f"a constant and the factors {', '.join(s.factor_names)} (excess returns)")
    if s.model == "market_adjusted":
        no_ols = "The market-adjusted model fits nothing (AR = R − R_m)."
    elif not ed.estimation.empty:
        no_ols = ("The estimation regression cannot be shown: the result does not carry this "
                  "model's regressors.")
    else:
        no_ols = f"No estimation regression: {fmt.text(r.get('reason')) or 'not estimated'}."
    status = fmt.text(r.get("status"))
    lede = (f"{fmt.text(r.get('ticker'))} · announced {fmt.text(r.get('announced'))} · "
            f"day 0 {fmt.date(r.get('day0'))}")
    n_est = fmt.as_float(r.get("n_est"))
    charts = _event_charts(res, ed, se_path)
    return {
        "title": f"{ed.event_id} · event study", "event_id": ed.event_id,
        "study_heading": "Study overview", "lede": lede, "status": status,
        "sentence": event_sentence(event_numbers(r, ed.car, ed.ar, wins)),
        "notices": _event_notices(res, ed.event_id),
        "reason": fmt.text(r.get("reason")), "description": fmt.text(r.get("description")),
        "cards": _event_cards(ed, wins), "car": tables.car_table(ed, wins),
        "ar": tables.ar_table(ed, se_path.se), "se_note": se_note,
        "facts": tables.event_facts(ed, s.model),
        "ols": ols, "no_ols": no_ols, "regressors": regressors,
        "n_est": int(n_est) if n_est == n_est else "",
        "charts": charts,
        "figures": [(name, spec) for name, _, _, spec, _ in charts if spec is not None],
    }


def _event_notices(res: StudyResult, event_id: str) -> list[str]:
    """Warnings that concern this event (another event with its ticker and day 0)."""
    out = []
    for group in res.meta.get("duplicate_events") or []:
        if event_id in group:
            others = ", ".join(str(g) for g in group if g != event_id)
            out.append(f"Same ticker and day 0 as {others}: this reaction counts "
                       f"{len(group)} times in the study's cross-section.")
    return out


def _event_charts(res: StudyResult, ed: EventData,
                  path: CarSE) -> list[tuple[str, str, bool, Any, str]]:
    """``(name, caption, tall, spec or None, why there is no chart)`` of the four charts."""
    why = fmt.text(ed.row.get("reason")) or "not estimated"
    has_prices = ed.prices is not None and not ed.prices.empty
    has_ar, has_est = not ed.ar.empty, not ed.estimation.empty
    return [
        ("price", "Close price: estimation window shaded grey, event window orange; dashed "
                  "line: announcement date, red line: day 0.", True,
         figures.price_spec(res, ed) if has_prices else None,
         f"No prices for {fmt.text(ed.row.get('ticker'))}."),
        ("car", "CAR cumulated from the event-window start; shaded: ±1.96 SE(CAR) "
                + ("with the full prediction-error covariance." if path.exact else
                   "approximated by sqrt(sum SE(AR)²), covariance ignored."), True,
         figures.car_spec(res, ed, with_id=False, path=path) if has_ar else None,
         f"No abnormal returns: {why}."),
        ("ar", "Abnormal return each day with ±1.96 SE(AR) whiskers.", False,
         figures.ar_spec(res, ed, with_id=False) if has_ar else None,
         f"No abnormal returns: {why}."),
        ("scatter", "Estimation window: each dot is one session; the line is the fitted "
                    "expected return.", False,
         figures.scatter_spec(res, ed) if has_est else None,
         f"No estimation window: {why}."),
    ]
