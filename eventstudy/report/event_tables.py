"""The text results of one event page as HTML fragments, straight from the arrays.

The CAR table, the day-by-day table, the facts and the regression tables are
written here as HTML strings (``markupsafe.Markup``) rather than through
template loops: an event page has ~300 cells, and 10,000 pages must each
take about a millisecond. Numbers are formatted by :mod:`eventstudy.report.fmt`
(the precisions the tests compare with the CSVs); every piece of user text
(ids, tickers, reasons, descriptions, extra columns) goes through :func:`h`,
the same escaping as the templates'.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from markupsafe import Markup

from eventstudy.report import fmt
from eventstudy.report.tables import win_key

if TYPE_CHECKING:
    from eventstudy.report.book import ReportBook
    from eventstudy.report.regression import RegressionSummary

CAR_COLUMNS = (
    ("window", "Window"),
    ("car", "CAR"),
    ("se", "SE"),
    ("t", "t"),
    ("p_value", "p"),
    ("scar", "SCAR"),
    ("sq_p", "SQ p"),
)
AR_COLUMNS = (
    ("rel_day", "Day"),
    ("date", "Date"),
    ("ret", "Return"),
    ("benchmark_ret", "Benchmark"),
    ("expected", "Expected"),
    ("ar", "AR"),
    ("se", "SE(AR)"),
    ("t", "t"),
    ("car", "CAR"),
    ("car_se", "SE(CAR)"),
)


def h(x: Any) -> str:
    """Text escaped for HTML exactly as Jinja's autoescape does (``&<>"'``)."""
    s = x if type(x) is str else fmt.text(x)
    if "&" in s or "<" in s or ">" in s or '"' in s or "'" in s:
        return (
            s.replace("&", "&amp;")
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            .replace('"', "&#34;")
            .replace("'", "&#39;")
        )
    return s


@functools.lru_cache(maxsize=1024)
def _h_const(x: str) -> str:
    return h(x)


def _head(table_id: str, columns: tuple[tuple[str, str], ...]) -> str:
    heads = "".join(f'<th data-col="{k}" scope="col">{label}</th>' for k, label in columns)
    return f'<table id="{table_id}" class="">\n<thead><tr>{heads}</tr></thead>\n<tbody>\n'


def _ok(v: float) -> bool:
    return v == v and abs(v) != math.inf


def _pct(v: float, sign: bool = True) -> str:
    return (f"{100 * v:+.2f}%" if sign else f"{100 * v:.2f}%") if _ok(v) else ""


def _num(v: float) -> str:
    return f"{v:.2f}" if _ok(v) else ""


def _p(v: float) -> str:
    if not _ok(v):
        return ""
    return "&lt;0.001" if v < 0.0005 else f"{v:.3f}"


def _key(v: float) -> str:
    return repr(v) if _ok(v) else ""


def car_table(book: ReportBook, i: int) -> Markup:
    """CAR, SE, t, p and SCAR of one event for every CAR window.

    A window without a CAR says why: not fully observed (ok and pending
    events) or the event's status (failed, skipped).
    """
    r, c = book.rows[i], book.car
    status = fmt.text(r.get("status"))
    if status in ("ok", "pending") and book.window.present[i].any():
        missing = (
            '<td class="na" title="this window is not fully observed, so the event has '
            'no CAR for it">not observed</td>'
        )
    else:
        reason = h(r.get("reason"))
        title = f' title="{reason}"' if reason else ""
        missing = f'<td class="na"{title}>none ({h(status)})</td>'
    out = [_head("car-table", CAR_COLUMNS)]
    car, se, t, p, scar, sq = (a[i].tolist() for a in (c.car, c.se, c.t, c.p_value, c.scar, c.sq_p))
    for j, w in enumerate(c.windows):
        if c.present[i, j]:
            cls = fmt.p_class(p[j])
            cells = (
                f'<td class="{cls}" data-v="{_key(car[j])}">{_pct(car[j])}</td>'
                f'<td class="num" data-v="{_key(se[j])}">{_pct(se[j], False)}</td>'
                f'<td class="num" data-v="{_key(t[j])}">{_num(t[j])}</td>'
                f'<td class="{cls}" data-v="{_key(p[j])}">{_p(p[j])}</td>'
                f'<td class="num" data-v="{_key(scar[j])}">{_num(scar[j])}</td>'
                f'<td class="{fmt.p_class(sq[j])}" data-v="{_key(sq[j])}">{_p(sq[j])}</td>'
            )
        else:
            cells = missing + '<td class="na"></td>' * 5
        out.append(f'<tr data-key="{win_key(w)}"><td>{fmt.window(*w)}</td>{cells}</tr>\n')
    out.append("</tbody>\n</table>")
    return Markup("".join(out))


def cards(book: ReportBook, i: int) -> Markup:
    """One card per CAR window: the CAR with its t and p ("n/a" where there is none)."""
    c = book.car
    if not c.present[i].any():
        return Markup("")
    out = ['<section class="cards" aria-label="CARs of this event">\n']
    car, t, p = c.car[i].tolist(), c.t[i].tolist(), c.p_value[i].tolist()
    for j, w in enumerate(c.windows):
        have = bool(c.present[i, j])
        sub = f"t = {_num(t[j])} · p = {_p(p[j])}" if have and _num(t[j]) else "not observed"
        out.append(
            f'<div class="card"><div class="w">CAR {fmt.window(*w)}</div>'
            f'<div class="big">{(_pct(car[j]) if have else "") or "n/a"}</div>'
            f'<div class="sub">{sub}</div></div>\n'
        )
    out.append("</section>")
    return Markup("".join(out))


def ar_table(book: ReportBook, i: int) -> Markup | None:
    """The event window day by day, with the SE of the cumulative CAR (``None``: no rows)."""
    w = book.window
    have = w.present[i]
    if not have.any():
        return None
    n = int(have.sum())
    days = w.days[have].tolist()
    dates = book.window_text[i, have].tolist()
    with np.errstate(invalid="ignore", divide="ignore"):
        t = w.ar[i, have] / w.se[i, have]
    block = np.column_stack(
        [a[i, have] * 100 for a in (w.ret, w.benchmark_ret, w.expected, w.ar, w.se)]
        + [t, w.car[i, have] * 100, book.car_se[0][i, have] * 100]
    )
    shown = [_DAY_TEXT.get(d) or f"{d:+d}".replace("+0", "0") for d in days]
    out = [_head("ar-table", AR_COLUMNS)]
    if np.isfinite(block).all():  # one formatting call for the whole table
        args: list[Any] = []
        for day, text, date, values in zip(days, shown, dates, block.tolist(), strict=True):
            args += (day, day, text, date, *values)
        out.append((_AR_ROW * n) % tuple(args))
    else:
        for day, text, date, values in zip(days, shown, dates, block.tolist(), strict=True):
            cells = "".join(f'<td class="num">{_cell(v, k)}</td>' for k, v in enumerate(values))
            out.append(
                f'<tr data-key="{day}"><td data-v="{day}">{text}</td><td>{date}</td>{cells}</tr>\n'
            )
    out.append("</tbody>\n</table>")
    return Markup("".join(out))


_DAY_TEXT = {d: f"{d:+d}".replace("+0", "0") for d in range(-300, 301)}
#: One row of the day-by-day table, every value finite (percent values pre-multiplied).
_AR_ROW = (
    '<tr data-key="%d"><td data-v="%d">%s</td><td>%s</td>'
    + '<td class="num">%+.2f%%</td>' * 4
    + '<td class="num">%.2f%%</td>'
    + '<td class="num">%.2f</td><td class="num">%+.2f%%</td>'
    + '<td class="num">%.2f%%</td></tr>\n'
)
_SIGNED = (True, True, True, True, False, None, True, False)  # None: t, not a percent


def _cell(v: float, k: int) -> str:
    if not _ok(v):
        return ""
    kind = _SIGNED[k]
    return f"{v:.2f}" if kind is None else f"{v:+.2f}%" if kind else f"{v:.2f}%"


def day0_text(book: ReportBook, i: int) -> str:
    """``YYYY-MM-DD`` of day 0 (as :func:`fmt.date`, from the book's vectorised texts)."""
    text = book.mark_text["day0"][i]
    return text if text is not None else fmt.date(book.rows[i].get("day0"))


def volume_text(row: dict[str, Any]) -> str:
    """``+0.45 log points (1.57x the estimation-window level), t = 2.10`` or the note."""
    note = fmt.text(row.get("note"))
    av = fmt.as_float(row.get("abnormal_log_volume"))
    if note or not math.isfinite(av):
        return note or "no volume on day 0"
    t = fmt.as_float(row.get("t"))
    t_txt = f", t = {t:.2f}" if math.isfinite(t) else ""
    shares = fmt.as_float(row.get("volume"))
    traded = f"; {shares:,.0f} shares traded" if math.isfinite(shares) else ""
    return (
        f"{av:+.2f} log points, about {math.exp(av):.2f}x the usual volume "
        f"(Campbell-Wasley mean-adjusted log volume){t_txt}{traded}"
    )


def facts(book: ReportBook, i: int) -> Markup:
    """The facts list (``<dl>`` items): timing, day 0, model estimates, the user's columns."""
    from eventstudy.models import PARAM_NAMES

    r, model = book.rows[i], book.model
    time_txt = fmt.text(r.get("time")) or "no time given"
    items = [
        ("Ticker", f"{fmt.text(r.get('ticker'))} ({fmt.text(r.get('exchange'))})"),
        ("Benchmark", f"{fmt.text(r.get('benchmark'))} ({fmt.text(r.get('benchmark_source'))})"),
        (
            "Announced",
            f"{fmt.text(r.get('date'))}, {time_txt}; timing "
            f"{fmt.text(r.get('timing')) or 'unknown'}",
        ),
        ("Day 0", day0_text(book, i)),
        ("Timing rule", fmt.text(r.get("day0_rule"))),
        ("Status", fmt.text(r.get("status"))),
    ]
    if fmt.text(r.get("reason")):
        items.append(("Reason", fmt.text(r.get("reason"))))
    if fmt.finite(r.get("n_est")):
        items.append(("Estimation returns (L1)", str(int(fmt.as_float(r.get("n_est"))))))
    for col in PARAM_NAMES.get(model, ()):
        if col in r and fmt.finite(r.get(col)):
            v = r.get(col)
            label = {"alpha": "alpha (daily)", "mu": "mu (daily mean)"}.get(col, col)
            items.append((label, fmt.pct(v, 3) if col in ("alpha", "mu") else fmt.num(v, 3)))
    if model != "constant_mean" and fmt.finite(r.get("r2")):
        items.append(("R²", fmt.num(r.get("r2"), 3)))
    if fmt.finite(r.get("sigma")):
        items.append(("sigma (daily)", fmt.pct(r.get("sigma"), sign=False)))
    vol = book.volume.get(book.ids[i])
    if vol is not None:
        items.append(("Abnormal volume, day 0", volume_text(vol)))
    if fmt.text(r.get("data_flags")):
        items.append(("Data flags", fmt.text(r.get("data_flags"))))
    if fmt.text(r.get("confounding_events")):
        items.append(("Same-firm events in its windows", fmt.text(r.get("confounding_events"))))
    if fmt.text(r.get("corporate_actions")):
        items.append(("Dividends and splits in its windows", fmt.text(r.get("corporate_actions"))))
    for c in book.extras:
        items.append((str(c), fmt.text(r.get(c))))
    return Markup("".join(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in items))


def ols_tables(summary: RegressionSummary) -> Markup:
    """statsmodels' three summary tables (stub cells as row headers)."""
    out = []
    for n, t in enumerate(summary.tables, start=1):
        caption = f"<caption>{_h_const(t.title)}</caption>" if t.title else ""
        out.append(f'<table id="ols-{n}">{caption}\n')
        for row in t.rows:
            cells = "".join(
                f'<th scope="row">{_h_const(text)}</th>'
                if kind == "stub"
                else f'<th scope="col" class="num">{_h_const(text)}</th>'
                if kind == "header"
                else f"<td>{h(text)}</td>"
                for text, kind in row
            )
            out.append(f"<tr>{cells}</tr>\n")
        out.append("</table>\n")
    return Markup("".join(out))
