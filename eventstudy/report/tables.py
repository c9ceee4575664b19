"""Table data for the report pages: plain cells that the templates escape.

Every number is formatted by :mod:`eventstudy.report.fmt`; each cell keeps the
exact value in ``v`` (written as ``data-v`` for sorting and audits).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.report import fmt
from eventstudy.report.data import EventData

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

#: Display names of the tests of METHODS.md section 5, in the order shown.
TEST_LABELS: dict[str, str] = {
    "t_cs": "Cross-sectional t",
    "patell": "Patell Z",
    "bmp": "BMP t",
    "kp": "Kolari-Pynnönen t",
    "corrado": "Corrado rank",
    "gen_sign": "Generalised sign",
    "sign": "Sign",
    "wilcoxon": "Wilcoxon W+",
}
#: Columns of ``res.events`` that the tool writes (model parameters are added below).
BASE_EVENT_COLUMNS = frozenset({
    "event_id", "ticker", "benchmark", "announced", "timing", "day0", "day0_rule", "status",
    "reason", "model", "n_est", "sigma", "r2", "exchange", "date", "time", "description",
    "benchmark_source", "line", "data_flags",
})


def known_event_columns() -> frozenset[str]:
    """Columns of ``res.events`` that are not the user's own."""
    from eventstudy.models import PARAM_NAMES

    return BASE_EVENT_COLUMNS | {p for names in PARAM_NAMES.values() for p in names}


@dataclass(frozen=True)
class Cell:
    """One table cell: display text plus optional sort value, class, tooltip and link."""

    text: str
    v: str = ""
    cls: str = ""
    title: str = ""
    href: str = ""


@dataclass(frozen=True)
class Table:
    """Columns (``key``, label) and rows of cells; ``keys`` name each row (``data-key``)."""

    columns: list[tuple[str, str]]
    rows: list[list[Cell]]
    keys: list[str] = field(default_factory=list)


Record = dict[str, Any]


def records_by(df: pd.DataFrame, keys: Sequence[str]) -> dict[tuple[Any, ...], Record]:
    """Rows of ``df`` as dicts keyed by the tuple of ``keys`` (ints and strs kept as is)."""
    out: dict[tuple[Any, ...], Record] = {}
    for r in records(df):
        out[tuple(_plain(r[k]) for k in keys)] = r
    return out


def records(df: pd.DataFrame) -> list[Record]:
    """Rows as dicts (faster than ``DataFrame.to_dict("records")`` on small frames)."""
    if df.empty:
        return []
    cols = {str(c): df[c].tolist() for c in df.columns}
    return [{c: v[i] for c, v in cols.items()} for i in range(len(df))]


def _plain(v: Any) -> Any:
    if isinstance(v, np.integer):
        return int(v)
    return str(v) if not isinstance(v, int) else v


def windows_of(res: StudyResult) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in res.settings.car_windows]


def win_key(w: tuple[int, int]) -> str:
    return f"{w[0]}_{w[1]}"


def pct_cell(x: Any, p: Any = None, title: str = "", sign: bool = True) -> Cell:
    return Cell(fmt.pct(x, sign=sign), fmt.sort_key(x), fmt.p_class(p) if p is not None else "num",
                title)


def num_cell(x: Any, digits: int = fmt.STAT_DIGITS) -> Cell:
    return Cell(fmt.num(x, digits), fmt.sort_key(x), "num")


def p_cell(p: Any) -> Cell:
    return Cell(fmt.pval(p), fmt.sort_key(p), fmt.p_class(p))


def text_cell(x: Any, cls: str = "") -> Cell:
    return Cell(fmt.text(x), cls=cls)


def extra_columns(events: pd.DataFrame) -> list[str]:
    """The user's own columns of the events table."""
    known = known_event_columns()
    return [c for c in events.columns if c not in known]


# --------------------------------------------------------------------------- study page


@dataclass(frozen=True)
class TestCell:
    """One (test, window) cell of the battery."""

    stat: str
    p: str
    cls: str
    value: str
    p_value: str
    n: int
    note: str


@dataclass(frozen=True)
class TestMatrix:
    """Rows = tests, columns = CAR windows, plus N, CAAR and the agreement row."""

    windows: list[tuple[str, str]]          # (key, label)
    n: list[str]
    caar: list[Cell]
    rows: list[tuple[str, str, list[TestCell]]]  # (statistic, label, cells)
    agree: list[str]


def test_matrix(res: StudyResult) -> TestMatrix:
    """The test battery for every CAR window (INTERFACE.md ``tests.csv``)."""
    t = res.tests
    wins = windows_of(res)
    labels = [(win_key(w), fmt.window(*w)) for w in wins]
    if t.empty:
        return TestMatrix(labels, ["0"] * len(wins), [Cell("")] * len(wins), [], [""] * len(wins))
    idx = records_by(t, ["statistic", "start", "end"])
    names = [s for s in TEST_LABELS if s in set(t["statistic"])]
    names += [s for s in dict.fromkeys(t["statistic"]) if s not in TEST_LABELS]
    first = records_by(t.groupby(["start", "end"], sort=False)[["n", "caar"]].first()
                       .reset_index(), ["start", "end"])
    n_row, caar_row, agree = [], [], []
    for w in wins:
        f = first.get(w)
        n_row.append(str(int(f["n"])) if f else "0")
        caar_row.append(pct_cell(f["caar"]) if f else Cell(""))
        sub = t[(t["start"] == w[0]) & (t["end"] == w[1])]
        tested = sub["p_value"].notna().sum()
        rejected = (sub["p_value"] < 0.05).sum()
        agree.append(f"{rejected} of {tested}" if tested else "n/a")
    rows = []
    for name in names:
        cells = []
        for w in wins:
            r = idx.get((name, w[0], w[1]))
            if r is None:
                cells.append(TestCell("", "", "na", "", "", 0, "not computed"))
                continue
            cells.append(TestCell(
                fmt.num(r["value"]), fmt.pval(r["p_value"]), fmt.p_class(r["p_value"]),
                fmt.sort_key(r["value"]), fmt.sort_key(r["p_value"]), int(r["n"]),
                fmt.text(r.get("note", "")),
            ))
        rows.append((name, TEST_LABELS.get(name, name), cells))
    return TestMatrix(labels, n_row, caar_row, rows, agree)


def events_table(res: StudyResult, stems: dict[str, str], link_prefix: str = "events/") -> Table:
    """One row per event, linking to its page; CARs per window shaded by p-value."""
    wins = windows_of(res)
    extras = extra_columns(res.events)
    cols = [("event_id", "Event"), ("ticker", "Ticker"), ("announced", "Announced"),
            ("day0", "Day 0"), ("status", "Status"), ("reason", "Reason")]
    cols += [(f"car_{win_key(w)}", f"CAR {fmt.window(*w)}") for w in wins]
    flags = "data_flags" in res.events and bool(
        res.events["data_flags"].fillna("").astype(str).str.len().gt(0).any())
    cols += [("description", "Description")] + [("data_flags", "Data flags")] * flags
    cols += [(f"x_{c}", str(c)) for c in extras]
    car = records_by(res.car, ["event_id", "start", "end"])
    rows, keys = [], []
    for r in records(res.events):
        eid = str(r["event_id"])
        status = fmt.text(r.get("status"))
        row = [Cell(eid, href=f"{link_prefix}{stems[eid]}.html"), text_cell(r.get("ticker")),
               text_cell(r.get("announced")), Cell(fmt.date(r.get("day0"))),
               Cell(status, cls=f"status status-{status}"), text_cell(r.get("reason"), "reason")]
        for w in wins:
            c = car.get((eid, w[0], w[1]))
            if c is not None:
                tip = f"t = {fmt.num(c['t'])}, p = {fmt.pval(c['p_value'])}"
                row.append(pct_cell(c["car"], c["p_value"], tip))
            else:
                row.append(Cell("", cls="na"))
        desc = fmt.text(r.get("description"))
        row.append(Cell(desc, cls="desc", title=desc))
        if flags:
            row.append(text_cell(r.get("data_flags"), "reason"))
        row += [text_cell(r.get(c)) for c in extras]
        rows.append(row)
        keys.append(eid)
    return Table(cols, rows, keys)


def aar_table(res: StudyResult) -> Table:
    """AAR and CAAR per relative day with the cross-sectional t and BMP tests."""
    cols = [("rel_day", "Day"), ("n", "N"), ("aar", "AAR"), ("caar", "CAAR"),
            ("t_cs", "t (cs)"), ("t_cs_p", "p"), ("bmp", "BMP t"), ("bmp_p", "p")]
    rows = []
    for r in records(res.aar):
        rows.append([Cell(f"{int(r['rel_day']):+d}".replace("+0", "0"), str(r["rel_day"])),
                     Cell(str(int(r["n"])), str(r["n"])), pct_cell(r["aar"]),
                     pct_cell(r["caar"]), num_cell(r.get("t_cs")), p_cell(r.get("t_cs_p")),
                     num_cell(r.get("bmp")), p_cell(r.get("bmp_p"))])
    return Table(cols, rows, [str(r) for r in res.aar["rel_day"]] if not res.aar.empty else [])


# --------------------------------------------------------------------------- event page


def car_table(ed: EventData, wins: Sequence[tuple[int, int]]) -> Table:
    """CAR, SE, t, p and SCAR of one event for every CAR window.

    A window without a CAR says why: not fully observed (ok and pending
    events) or the event's status (failed, skipped).
    """
    status = fmt.text(ed.row.get("status"))
    if status in ("ok", "pending") and not ed.ar.empty:
        missing = Cell("not observed", cls="na", title=(
            "this window is not fully observed, so the event has no CAR for it"))
    else:
        missing = Cell(f"none ({status})", cls="na", title=fmt.text(ed.row.get("reason")))
    cols = [("window", "Window"), ("car", "CAR"), ("se", "SE"), ("t", "t"), ("p_value", "p"),
            ("scar", "SCAR")]
    car = records_by(ed.car, ["start", "end"])
    rows, keys = [], []
    for w in wins:
        c = car.get(w)
        if c is not None:
            rows.append([Cell(fmt.window(*w)), pct_cell(c["car"], c["p_value"]),
                         pct_cell(c["se"], sign=False),
                         num_cell(c["t"]), p_cell(c["p_value"]), num_cell(c["scar"])])
        else:
            rows.append([Cell(fmt.window(*w)), missing] + [Cell("", cls="na")] * 4)
        keys.append(win_key(w))
    return Table(cols, rows, keys)


def ar_table(ed: EventData, car_se: pd.Series) -> Table:
    """The event window day by day, with the SE of the cumulative CAR."""
    cols = [("rel_day", "Day"), ("date", "Date"), ("ret", "Return"), ("benchmark_ret", "Benchmark"),
            ("expected", "Expected"), ("ar", "AR"), ("se", "SE(AR)"), ("t", "t"),
            ("car", "CAR"), ("car_se", "SE(CAR)")]
    rows, keys = [], []
    for r in records(ed.ar):
        day = int(r["rel_day"])
        with np.errstate(invalid="ignore", divide="ignore"):
            t = fmt.as_float(r["ar"]) / fmt.as_float(r["se"])
        rows.append([Cell(f"{day:+d}".replace("+0", "0"), str(day)), Cell(fmt.date(r["date"])),
                     pct_cell(r["ret"]), pct_cell(r["benchmark_ret"]), pct_cell(r["expected"]),
                     pct_cell(r["ar"]), pct_cell(r["se"], sign=False), num_cell(t),
                     pct_cell(r["car"]), pct_cell(car_se.get(day, np.nan), sign=False)])
        keys.append(str(day))
    return Table(cols, rows, keys)


def event_facts(ed: EventData, model: str) -> list[tuple[str, str]]:
    """(label, text) pairs describing one event: timing, day 0, model estimates."""
    r = ed.row
    time_txt = fmt.text(r.get("time")) or "no time given"
    facts = [
        ("Ticker", f"{fmt.text(r.get('ticker'))} ({fmt.text(r.get('exchange'))})"),
        ("Benchmark", f"{fmt.text(r.get('benchmark'))} ({fmt.text(r.get('benchmark_source'))})"),
        ("Announced", f"{fmt.text(r.get('date'))}, {time_txt}; timing "
                      f"{fmt.text(r.get('timing')) or 'unknown'}"),
        ("Day 0", fmt.date(r.get("day0"))),
        ("Timing rule", fmt.text(r.get("day0_rule"))),
        ("Status", fmt.text(r.get("status"))),
    ]
    if fmt.text(r.get("reason")):
        facts.append(("Reason", fmt.text(r.get("reason"))))
    if fmt.finite(r.get("n_est")):
        facts.append(("Estimation returns (L1)", str(int(fmt.as_float(r.get("n_est"))))))
    from eventstudy.models import PARAM_NAMES

    for col in PARAM_NAMES.get(model, ()):
        if col in r.index and fmt.finite(r.get(col)):
            v = r.get(col)
            label = {"alpha": "alpha (daily)", "mu": "mu (daily mean)"}.get(col, col)
            facts.append((label, fmt.pct(v, 3) if col in ("alpha", "mu") else fmt.num(v, 3)))
    if model != "constant_mean" and fmt.finite(r.get("r2")):
        facts.append(("R²", fmt.num(r.get("r2"), 3)))
    if fmt.finite(r.get("sigma")):
        facts.append(("sigma (daily)", fmt.pct(r.get("sigma"), sign=False)))
    if fmt.text(r.get("data_flags")):
        facts.append(("Data flags", fmt.text(r.get("data_flags"))))
    for c in extra_columns(pd.DataFrame(columns=r.index)):
        facts.append((str(c), fmt.text(r.get(c))))
    return facts
