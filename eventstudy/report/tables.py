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

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

#: Display names of the tests (METHODS.md section 5, then the methodology's
#: further tests), in the order shown; the code is shown beneath each name.
TEST_LABELS: dict[str, str] = {
    "t_cs": "Cross-sectional t",
    "patell": "Patell Z",
    "bmp": "BMP t",
    "kp": "Kolari-Pynnönen t",
    "corrado": "Corrado rank",
    "gen_sign": "Generalised sign",
    "sign": "Sign",
    "wilcoxon": "Wilcoxon W+",
    "bw_crude": "Brown-Warner crude dependence t",
    "grank": "Generalised rank (GRANK) t",
    "adj_patell": "Adjusted Patell Z (Kolari-Pynnönen)",
    "skew_t": "Skewness-adjusted t (bootstrap p)",
    "sign_exact": "Sign, exact binomial p",
    "gen_sign_exact": "Generalised sign, exact binomial p",
}
#: Columns of ``res.events`` that the tool writes (model parameters are added below).
BASE_EVENT_COLUMNS = frozenset(
    {
        "event_id",
        "ticker",
        "benchmark",
        "announced",
        "timing",
        "day0",
        "day0_rule",
        "status",
        "reason",
        "model",
        "n_est",
        "sigma",
        "r2",
        "exchange",
        "date",
        "time",
        "description",
        "benchmark_source",
        "line",
        "data_flags",
        "confounding_events",
        "corporate_actions",
    }
)


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
    return Cell(
        fmt.pct(x, sign=sign), fmt.sort_key(x), fmt.p_class(p) if p is not None else "num", title
    )


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

    windows: list[tuple[str, str]]  # (key, label)
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
    first = records_by(
        t.groupby(["start", "end"], sort=False)[["n", "caar"]].first().reset_index(),
        ["start", "end"],
    )
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
            cells.append(
                TestCell(
                    fmt.statistic(name, r["value"]),
                    fmt.pval(r["p_value"]),
                    fmt.p_class(r["p_value"]),
                    fmt.sort_key(r["value"]),
                    fmt.sort_key(r["p_value"]),
                    int(r["n"]),
                    fmt.text(r.get("note", "")),
                )
            )
        rows.append((name, TEST_LABELS.get(name, name), cells))
    return TestMatrix(labels, n_row, caar_row, rows, agree)


EVENTS_PER_PAGE = 50
P_CLASSES = ("p01", "p05", "p10", "ns", "na")


@dataclass(frozen=True)
class EventsTable:
    """The study page's events table: compact rows for ``report.js`` and the first page.

    ``columns`` are ``(key, label, kind)``; kind ``link`` (the event id, a
    string or ``[id, stem]`` when the page's file name differs), ``text``,
    ``status``, ``reason``, ``desc`` or ``car``. A ``car`` cell is ``None``
    (no CAR) or ``[text, class, rank, t, p]``: the shown CAR, the index of its
    p-value class in ``classes``, its rank among the column's CARs (exact
    sort order), and the t and p shown in its tooltip. ``first`` is the first
    page as HTML cells, for readers without JavaScript.
    """

    columns: list[tuple[str, str, str]]
    rows: list[list[Any]]
    first: Table
    per_page: int = EVENTS_PER_PAGE

    def data(self) -> dict[str, Any]:
        """The JSON object ``report.js`` renders the table from."""
        return {
            "columns": [list(c) for c in self.columns],
            "classes": list(P_CLASSES),
            "per": self.per_page,
            "rows": self.rows,
        }


def _ranks(values: np.ndarray, present: np.ndarray) -> list[int | None]:
    order = np.argsort(np.where(present, values, np.inf), kind="stable")
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return [int(r) if p else None for r, p in zip(rank.tolist(), present.tolist(), strict=True)]


def events_table(
    res: StudyResult,
    stems: dict[str, str],
    link_prefix: str = "events/",
    per_page: int = EVENTS_PER_PAGE,
) -> EventsTable:
    """One row per event, linking to its page; CARs per window shaded by p-value."""
    from eventstudy.report.book import book_of

    book = book_of(res)
    ev, cv = res.events, book.car
    wins = cv.windows
    extras = book.extras
    cols = [
        ("event_id", "Event", "link"),
        ("ticker", "Ticker", "text"),
        ("announced", "Announced", "text"),
        ("day0", "Day 0", "text"),
        ("status", "Status", "status"),
        ("reason", "Reason", "reason"),
    ]
    cols += [(f"car_{win_key(w)}", f"CAR {fmt.window(*w)}", "car") for w in wins]
    flag_text = [fmt.text(v) for v in ev["data_flags"]] if "data_flags" in ev else []
    flags = any(flag_text)
    cols += [("description", "Description", "desc")]
    cols += [("data_flags", "Data flags", "reason")] * flags
    cols += [(f"x_{c}", str(c), "text") for c in extras]
    n = len(book.ids)
    texts = {
        c: [fmt.text(v) for v in ev[c]] if c in ev else [""] * n
        for c in ("ticker", "announced", "status", "reason", "description", *extras)
    }
    day0 = [fmt.date(v) for v in ev["day0"]] if "day0" in ev else [""] * n
    car_cells = []
    for j in range(len(wins)):
        present = cv.present[:, j]
        ranks = _ranks(cv.car[:, j], present)
        car, t, p = cv.car[:, j].tolist(), cv.t[:, j].tolist(), cv.p_value[:, j].tolist()
        car_cells.append(
            [
                [
                    fmt.pct(car[k]),
                    P_CLASSES.index(fmt.p_class(p[k])),
                    ranks[k],
                    fmt.num(t[k]),
                    fmt.pval(p[k]),
                ]
                if present[k]
                else None
                for k in range(n)
            ]
        )
    rows = []
    for k, eid in enumerate(book.ids):
        stem = stems[eid]
        row: list[Any] = [
            eid if stem == eid else [eid, stem],
            texts["ticker"][k],
            texts["announced"][k],
            day0[k],
            texts["status"][k],
            texts["reason"][k],
        ]
        row += [cells[k] for cells in car_cells]
        row.append(texts["description"][k])
        if flags:
            row.append(flag_text[k])
        row += [texts[c][k] for c in extras]
        rows.append(row)
    first = Table(
        [(k, label) for k, label, _ in cols],
        [_html_cells(cols, r, link_prefix) for r in rows[:per_page]],
        book.ids[:per_page],
    )
    return EventsTable(cols, rows, first, per_page)


def _html_cells(cols: list[tuple[str, str, str]], row: list[Any], prefix: str) -> list[Cell]:
    """HTML cells of one compact row (what ``report.js`` draws from the same data)."""
    out = []
    for (_, _, kind), v in zip(cols, row, strict=True):
        if kind == "link":
            eid, stem = (v, v) if isinstance(v, str) else v
            out.append(Cell(eid, href=f"{prefix}{stem}.html"))
        elif kind == "status":
            out.append(Cell(v, cls=f"status status-{v}"))
        elif kind == "reason":
            out.append(Cell(v, cls="reason"))
        elif kind == "desc":
            out.append(Cell(v, cls="desc", title=v))
        elif kind == "car":
            out.append(
                Cell("", cls="na")
                if v is None
                else Cell(v[0], cls=P_CLASSES[v[1]], title=f"t = {v[3]}, p = {v[4]}")
            )
        else:
            out.append(Cell(v))
    return out


def aar_table(res: StudyResult) -> Table:
    """AAR and CAAR per relative day with the cross-sectional t and BMP tests."""
    cols = [
        ("rel_day", "Day"),
        ("n", "N"),
        ("aar", "AAR"),
        ("caar", "CAAR"),
        ("t_cs", "t (cs)"),
        ("t_cs_p", "p"),
        ("bmp", "BMP t"),
        ("bmp_p", "p"),
    ]
    rows = []
    for r in records(res.aar):
        rows.append(
            [
                Cell(f"{int(r['rel_day']):+d}".replace("+0", "0"), str(r["rel_day"])),
                Cell(str(int(r["n"])), str(r["n"])),
                pct_cell(r["aar"]),
                pct_cell(r["caar"]),
                num_cell(r.get("t_cs")),
                p_cell(r.get("t_cs_p")),
                num_cell(r.get("bmp")),
                p_cell(r.get("bmp_p")),
            ]
        )
    return Table(cols, rows, [str(r) for r in res.aar["rel_day"]] if not res.aar.empty else [])
