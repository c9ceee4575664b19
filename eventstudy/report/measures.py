"""The study page's further measures: BHAR, the CAAR bootstrap, abnormal volume,
the cross-sectional regression and the groups, as HTML tables.

Each builder returns a :class:`~eventstudy.report.tables.Table` (or ``None``
when the result has nothing to show) from the result's own tables, so the
page shows exactly what ``bhar_tests.csv``, ``bootstrap.csv``,
``volume_tests.csv``, ``regression.csv`` and ``groups_*.csv`` hold. The
regression and the groups appear when they were computed on the result
(``run --regress`` / ``--group``, or ``res.regress(...)`` / ``res.by_group(...)``
before ``res.to_html``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from eventstudy.report import fmt
from eventstudy.report.placebo_matrix import PlaceboMatrix, label, placebo_matrix
from eventstudy.report.tables import (
    Cell,
    Record,
    Table,
    num_cell,
    p_cell,
    pct_cell,
    records,
    text_cell,
)

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

#: Largest study whose report computes abnormal volume unasked (``run --volume``: any size).
VOLUME_MAX_EVENTS = 1000


def _window(a: Any, b: Any) -> Cell:
    return Cell(fmt.window(int(a), int(b)), f"{int(a):+06d}{int(b):+06d}")


def _int(x: Any) -> Cell:
    v = fmt.as_float(x)
    return Cell(str(int(v)) if math.isfinite(v) else "", fmt.sort_key(x), "num")


def bhar_table(res: StudyResult) -> Table | None:
    """``bhar_tests``: mean BHAR per window and measure with its t and skew-adjusted t."""
    t = res.bhar_tests
    if t.empty:
        return None
    cols = [
        ("window", "Window"),
        ("measure", "Against"),
        ("n", "N"),
        ("mean", "Mean BHAR"),
        ("t", "t"),
        ("p_value", "p"),
        ("skew_t", "Skew-adj. t"),
        ("skew_p", "p"),
    ]
    against = {"bhar": "model", "bhar_benchmark": "benchmark (buy-and-hold)"}
    rows = [
        [
            _window(r["start"], r["end"]),
            text_cell(against.get(str(r["measure"]), r["measure"])),
            _int(r["n"]),
            pct_cell(r["mean"], r["p_value"]),
            num_cell(r["t"]),
            p_cell(r["p_value"]),
            num_cell(r["skew_t"]),
            p_cell(r["skew_p"]),
        ]
        for r in records(t)
    ]
    return Table(cols, rows, [f"{r['start']}:{r['end']}:{r['measure']}" for r in records(t)])


def bootstrap_table(res: StudyResult) -> Table | None:
    """``bootstrap``: the CAAR's percentile interval and the two bootstrap p-values."""
    t = res.bootstrap
    if t.empty:
        return None
    level = f"{100 * res.settings.conf_level:g}%"
    cols = [
        ("window", "Window"),
        ("n", "N"),
        ("caar", "CAAR"),
        ("pct_low", f"{level} low"),
        ("pct_high", f"{level} high"),
        ("p_percentile", "p (percentile)"),
        ("p_boot_t", "p (bootstrap-t)"),
        ("reps", "Resamples"),
    ]
    rows = [
        [
            _window(r["start"], r["end"]),
            _int(r["n"]),
            pct_cell(r["caar"], r["p_percentile"]),
            pct_cell(r["pct_low"]),
            pct_cell(r["pct_high"]),
            p_cell(r["p_percentile"]),
            p_cell(r["p_boot_t"]),
            _int(r["reps"]),
        ]
        for r in records(t)
    ]
    return Table(cols, rows, [f"{r['start']}:{r['end']}" for r in records(t)])


def volume_table(res: StudyResult) -> Table | None:
    """``volume_tests`` (mean abnormal log volume per day, Campbell-Wasley tests), for
    studies up to :data:`VOLUME_MAX_EVENTS` events or when already computed."""
    if "_volume_pair" not in res.__dict__ and len(res.events) > VOLUME_MAX_EVENTS:
        return None
    try:
        t = res.volume_tests
    except (AttributeError, TypeError):
        return None
    if t.empty or not t["n"].astype(float).gt(0).any():
        return None
    cols = [
        ("rel_day", "Day"),
        ("n", "N"),
        ("mean_abnormal_log_volume", "Mean abnormal log volume"),
        ("t_cs", "t (cs)"),
        ("p_cs", "p"),
        ("t_cw", "t (CW)"),
        ("p_cw", "p"),
    ]
    rows = [
        [
            Cell(f"{int(r['rel_day']):+d}".replace("+0", "0"), str(r["rel_day"])),
            _int(r["n"]),
            num_cell(r["mean_abnormal_log_volume"]),
            num_cell(r["t_cs"]),
            p_cell(r["p_cs"]),
            num_cell(r["t_cw"]),
            p_cell(r["p_cw"]),
        ]
        for r in records(t)
    ]
    return Table(cols, rows, [str(r["rel_day"]) for r in records(t)])


@dataclass(frozen=True)
class RegressionView:
    """The regression's coefficient table, its heading and statsmodels' summary text."""

    heading: str
    table: Table
    summary: str


def regression_view(res: StudyResult) -> RegressionView | None:
    """The last cross-sectional regression computed on ``res`` (``None``: none)."""
    got = res.attachments.get("regression")
    if got is None:
        return None
    coef: pd.DataFrame = got["table"]
    first = records(coef.head(1))[0] if len(coef) else {}
    heading = (
        f"{first.get('formula', '')} over {fmt.window(int(first['start']), int(first['end']))}: "
        f"N = {first.get('n', '')}, R² = {fmt.num(first.get('r2'), 3)}, "
        f"covariance {first.get('cov_type', '')}"
        if first
        else ""
    )
    level = f"{100 * res.settings.conf_level:g}%"
    cols = [
        ("term", "Term"),
        ("coef", "Coefficient"),
        ("se", "SE"),
        ("t", "t"),
        ("p_value", "p"),
        ("ci_low", f"{level} low"),
        ("ci_high", f"{level} high"),
    ]
    rows = [
        [
            text_cell(r["term"]),
            num_cell(r["coef"], 5),
            num_cell(r["se"], 5),
            num_cell(r["t"]),
            p_cell(r["p_value"]),
            num_cell(r["ci_low"], 5),
            num_cell(r["ci_high"], 5),
        ]
        for r in records(coef)
    ]
    return RegressionView(
        heading, Table(cols, rows, [str(r["term"]) for r in records(coef)]), str(got["summary"])
    )


@dataclass(frozen=True)
class GroupsView:
    """Each test's statistic and p per group side by side, and the group differences."""

    column: str
    tests: Table
    diff: Table


def groups_view(res: StudyResult) -> GroupsView | None:
    """The last ``by_group`` computed on ``res`` (``None``: none)."""
    got = res.attachments.get("groups")
    if got is None:
        return None
    tests: pd.DataFrame = got["tests"]
    diff: pd.DataFrame = got["diff"]
    groups = [str(g) for g in pd.unique(tests["group"].astype(str))]
    cols = [("window", "Window"), ("statistic", "Test")]
    for g in groups:
        cols += [(f"{g}:n", f"{g} N"), (f"{g}:caar", f"{g} CAAR"), (f"{g}:p", f"{g} p")]
    by = {
        (str(r["group"]), int(r["start"]), int(r["end"]), str(r["statistic"])): r
        for r in records(tests)
    }
    keys = list(
        dict.fromkeys((int(r["start"]), int(r["end"]), str(r["statistic"])) for r in records(tests))
    )
    rows = []
    for a, b, stat in keys:
        row = [_window(a, b), text_cell(stat)]
        for g in groups:
            r = by.get((g, a, b, stat), {})
            row += [
                _int(r.get("n")),
                pct_cell(r.get("caar"), r.get("p_value")),
                p_cell(r.get("p_value")),
            ]
        rows.append(row)
    d_cols = [
        ("window", "Window"),
        ("pair", "Groups"),
        ("n", "N"),
        ("diff", "CAAR difference"),
        ("welch_t", "Welch t"),
        ("welch_p", "p"),
        ("mannwhitney_u", "Mann-Whitney U"),
        ("mannwhitney_p", "p"),
    ]
    d_rows = [
        [
            _window(r["start"], r["end"]),
            text_cell(f"{r['group_a']} - {r['group_b']}"),
            Cell(f"{int(r['n_a'])} / {int(r['n_b'])}"),
            pct_cell(r["diff"], r["welch_p"]),
            num_cell(r["welch_t"]),
            p_cell(r["welch_p"]),
            num_cell(r["mannwhitney_u"], 1),
            p_cell(r["mannwhitney_p"]),
        ]
        for r in records(diff)
    ]
    return GroupsView(
        str(got["column"]),
        Table(cols, rows, [f"{a}:{b}:{s}" for a, b, s in keys]),
        Table(d_cols, d_rows, [str(k) for k in range(len(d_rows))]),
    )


@dataclass(frozen=True)
class PlaceboView:
    """The rejection rates of a placebo run on the study (``res.placebo``)."""

    heading: str
    table: Table
    warnings: list[str]
    matrix: PlaceboMatrix
    note: str


def placebo_view(res: StudyResult) -> PlaceboView | None:
    """The last :meth:`StudyResult.placebo` of ``res`` (``None``: none): per CAR
    window and test the rates at 1%, 5%, 10% and the exact 95% interval of the 5% one."""
    got = res.attachments.get("placebo")
    if got is None:
        return None
    m = got.meta
    what = (
        f"power against {100 * m['inject']:+.2f}% added to day 0"
        if m["inject"]
        else "size: nothing was added, so a test of the right size rejects at about its level"
    )
    heading = (
        f"{m['trials']} trials of {m['events_per_trial_mean']:.1f} pseudo-events on average "
        f"(these tickers and settings, random sessions, seed {m['seed']}"
        f"{', all on one day per trial' if m['cluster'] else ''}); {what}. "
        f"{m['seconds']:.1f} s."
    )
    notes = [str(w) for w in m.get("warnings", [])]
    t = got.table
    rates: dict[tuple[int, int, str], dict[float, Record]] = {}
    for r in records(t):
        rates.setdefault((int(r["start"]), int(r["end"]), str(r["statistic"])), {})[
            float(r["level"])
        ] = r
    cols = [
        ("window", "Window"),
        ("test", "Test"),
        ("n", "Trials"),
        ("r1", "1%"),
        ("r5", "5%"),
        ("r10", "10%"),
        ("ci", "95% CI of the 5% rate"),
    ]
    rows, keys = [], []
    for (a, b, stat), by in rates.items():
        five = by.get(0.05, {})
        ci = (
            f"{fmt.pct(five.get('ci_low'), 1, sign=False)} to "
            f"{fmt.pct(five.get('ci_high'), 1, sign=False)}"
        )
        cells = [text_cell(fmt.window(a, b)), text_cell(stat), num_cell(five.get("trials"), 0)]
        cells += [pct_cell(by.get(lv, {}).get("rate"), sign=False) for lv in (0.01, 0.05, 0.1)]
        rows.append([*cells, text_cell(ci)])
        keys.append(f"{a}_{b}_{stat}")
    matrix = placebo_matrix(t, m)
    return PlaceboView(heading, Table(cols, rows, keys), notes, matrix, placebo_note(matrix))


def placebo_note(matrix: PlaceboMatrix) -> str:
    """How to read the matrix: what the flags compare against."""
    if not matrix.flagged:
        return (
            "Each cell: the share of trials in which the test rejected at 5% (its power "
            "against the injected return) and the exact 95% interval of that share."
        )
    text = (
        "Each cell: the share of trials in which the test rejected at 5% and the exact "
        "95% interval of that share. A test of the right size rejects in about 5% of "
        "trials; cells are shaded where the interval lies above (over-rejects) or below "
        "(under-rejects) it."
    )
    if matrix.references:
        sizes = "; ".join(f"{label(s)} ({s}) {100 * v:.2f}%" for s, v in matrix.references.items())
        text += (
            " The sign tests are discrete, so their reference is their exact size when "
            f"P(CAR > 0) = 1/2: {sizes}."
        )
    return text
