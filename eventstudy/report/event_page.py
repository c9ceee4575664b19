"""One event page: its context from the report's compact data, rendered by one template.

Per page the work is cheap by construction: values by index from the
:class:`~eventstudy.report.book.ReportBook`, number formatting, the HTML
fragments of :mod:`eventstudy.report.event_tables`, the event's own parts of
the four charts (their shared bases are serialised once per report, see
:mod:`eventstudy.report.event_figures`) and one precompiled Jinja template.
Everything heavier (the regression diagnostics, the window dates, the SE of
the CAR) was computed for all events at once when the book was built.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from markupsafe import Markup

from eventstudy.report import event_figures, event_tables, fmt, intraday_view
from eventstudy.report.event_tables import h
from eventstudy.report.regression import summary, x_names
from eventstudy.wording import EventNumbers, event_sentence, headline_window

if TYPE_CHECKING:
    from jinja2 import Template

    from eventstudy.report.book import ReportBook

EXACT_SE_NOTE = (
    "SE(AR) and SE(CAR) use the full prediction-error covariance; SE(CAR) is for the "
    "CAR cumulated from day {start:+d}."
)
APPROX_SE_NOTE = (
    "SE(CAR) here is approximate: sqrt(sum of SE(AR)²), which ignores the covariance "
    "of the ARs (the regressors of this model are not in the result); car.csv has "
    "the exact SE for each CAR window."
)
PRICE_CAPTION = (
    "Close price: estimation window shaded grey, event window orange; dashed line: "
    "announcement date, red line: day 0."
)
AR_CAPTION = "Abnormal return each day with ±1.96 SE(AR) whiskers."
SCATTER_CAPTION = (
    "Estimation window: each dot is one session; the line is the fitted expected return."
)


def sentence(book: ReportBook, i: int) -> str:
    """The plain-words answer of event ``i`` over the headline window."""
    r, c, w = book.rows[i], book.car, book.window
    start, end = headline_window(book.windows)
    inside = np.flatnonzero(w.present[i] & (w.days >= start) & (w.days <= end))
    first = book.window_text[i, inside[0]] or "" if len(inside) else ""
    last = book.window_text[i, inside[-1]] or "" if len(inside) else ""
    j = book.windows.index((start, end)) if (start, end) in book.windows else -1
    have = j >= 0 and bool(c.present[i, j])
    car, t, p, sq = (
        (float(c.car[i, j]), float(c.t[i, j]), float(c.p_value[i, j]), float(c.sq_p[i, j]))
        if have
        else (math.nan, math.nan, math.nan, math.nan)
    )
    text = event_sentence(
        EventNumbers(
            ticker=str(r["ticker"]),
            status=str(r["status"]),
            reason=str(r["reason"] or ""),
            start=start,
            end=end,
            first_date=first,
            last_date=last,
            car=car,
            t=t,
            p=p,
            sq_p=sq,
            alternative=book.settings.alternative,
        )
    )
    got = book.intraday.get(book.ids[i])
    tail = intraday_view.sentence(got, str(r["ticker"])) if got is not None else ""
    return text + split_sentence(book, i) + tail


def split_sentence(book: ReportBook, i: int) -> str:
    """How much of day 0's abnormal return came overnight (" ..." or "")."""
    split = book.day0_split.get(book.ids[i])
    if split is None or not math.isfinite(split["ar_overnight"]):
        return ""
    on, ses = split["ar_overnight"], split["ar_intraday"]
    return (
        f" Day 0 split: {100 * on:+.2f}% abnormal overnight (previous close to the open), "
        f"{100 * ses:+.2f}% during the session (open to close)."
    )


def _regressors(book: ReportBook) -> str:
    return {
        "market": "a constant and the benchmark return",
        "constant_mean": "a constant",
        "scholes_williams": "a constant and the benchmark return (Scholes-Williams beta)",
        "dimson": "a constant and the benchmark return (Dimson beta)",
        "garch": "a constant and the benchmark return, GARCH(1,1) errors",
    }.get(
        book.model,
        f"a constant and the factors {', '.join(book.settings.factor_names)} (excess returns)",
    )


def event_context(book: ReportBook, i: int, figure_json: Any) -> dict[str, Any]:
    """Context of event ``i``'s page; ``figure_json(spec)`` serialises each chart."""
    s, r = book.settings, book.rows[i]
    eid = book.ids[i]
    exact = bool(book.car_se[1][i])
    status = fmt.text(r.get("status"))
    reason = fmt.text(r.get("reason"))
    has_ar = bool(book.window.present[i].any())
    n_est = int(book.est.n[i])
    names = x_names(book.model)
    ols = summary(book.diagnostics, i, names) if names else None
    if s.model == "market_adjusted":
        no_ols = "The market-adjusted model fits nothing (AR = R − R_m)."
    elif s.model in ("scholes_williams", "dimson"):
        no_ols = (
            "The thin-trading beta combines regressions on the previous, same and next "
            "day's benchmark return, so there is no single OLS table; alpha, beta and "
            "sigma are above."
        )
    elif s.model == "garch":
        no_ols = (
            "The GARCH(1,1) market model is fitted by maximum likelihood (arch), so there "
            "is no OLS table; alpha, beta and the variance parameters are above."
        )
    elif n_est:
        no_ols = (
            "The estimation regression cannot be shown: the result does not carry this "
            "model's regressors."
        )
    else:
        no_ols = f"No estimation regression: {reason or 'not estimated'}."
    why = reason or "not estimated"
    ticker = fmt.text(r.get("ticker"))
    car_caption = "CAR cumulated from the event-window start; shaded: ±1.96 SE(CAR) " + (
        "from the GARCH conditional-variance forecasts (sum of h_t)."
        if s.model == "garch"
        else "with the full prediction-error covariance."
        if exact
        else "approximated by sqrt(sum SE(AR)²), covariance ignored."
    )
    charts = [
        ("price", PRICE_CAPTION, True, book.prices.has(ticker), f"No prices for {ticker}."),
        ("car", car_caption, True, has_ar, f"No abnormal returns: {why}."),
        ("ar", AR_CAPTION, False, has_ar, f"No abnormal returns: {why}."),
        ("scatter", SCATTER_CAPTION, False, n_est > 0, f"No estimation window: {why}."),
    ]
    build = {
        "price": event_figures.price_parts,
        "scatter": event_figures.scatter_parts,
        "car": lambda b, k: event_figures.car_parts(b, k, with_id=False),
        "ar": lambda b, k: event_figures.ar_parts(b, k, with_id=False),
    }
    figures = [
        (name, figure_json(build[name](book, i).page())) for name, _, _, ok, _ in charts if ok
    ]
    intraday = book.intraday.get(eid)
    if intraday is not None and intraday.labels:
        charts.append(("intraday", intraday_view.CAPTION, True, True, ""))
        figures.append(("intraday", figure_json(intraday_view.figure(intraday, ticker))))
    n_est_row = fmt.as_float(r.get("n_est"))
    return {
        "title": f"{eid} · event study",
        "event_id": eid,
        "study_heading": "Study overview",
        "lede": (
            f"{ticker} · announced {fmt.text(r.get('announced'))} · "
            f"day 0 {event_tables.day0_text(book, i)}"
        ),
        "status": status,
        "sentence": sentence(book, i),
        "notices": book.notices.get(eid, []),
        "reason": reason,
        "description": fmt.text(r.get("description")),
        "cards": event_tables.cards(book, i),
        "car": event_tables.car_table(book, i),
        "ar": event_tables.ar_table(book, i),
        "se_note": EXACT_SE_NOTE.format(start=s.event_window[0]) if exact else APPROX_SE_NOTE,
        "facts": event_tables.facts(book, i),
        "ols": event_tables.ols_tables(ols) if ols else None,
        "ols_notes": ols.notes if ols else [],
        "no_ols": no_ols,
        "regressors": _regressors(book),
        "n_est": int(n_est_row) if n_est_row == n_est_row else "",
        "charts": charts_html(charts, bool(figures)),
        "figures": figures,
        "intraday": Markup(intraday_view.table(intraday)) if intraday is not None else None,
    }


def charts_html(charts: list[tuple[str, str, bool, bool, str]], drawn_any: bool) -> Markup:
    """The chart slots of the page (``report.js`` draws into them) or why there are none."""
    if not drawn_any:
        return Markup(f'<p class="muted">{h(charts[0][4])} No charts.</p>')
    out = ['<div class="charts two">\n']
    for name, caption, tall, drawn, why in charts:
        if drawn:
            out.append(
                f'<figure>\n<div class="chart{" tall" if tall else ""}" id="{name}" '
                f'data-figure="{name}-data" role="img" aria-label="{h(caption)}"></div>\n'
                f"<figcaption>{h(caption)}</figcaption>\n</figure>\n"
            )
        else:
            out.append(f'<figure><div class="chart-missing" id="{name}">{h(why)}</div></figure>\n')
    out.append("</div>")
    return Markup("".join(out))


class EventPages:
    """Renders event pages of one book with one compiled template and fixed shared context."""

    def __init__(
        self, book: ReportBook, template: Template, common: dict[str, Any], figure_json: Any
    ) -> None:
        self.book, self.template = book, template
        self.figure_json = figure_json
        bases = figure_json(event_figures.chart_bases(book))
        self.common = {**common, "chart_bases": bases}

    def render(self, i: int) -> str:
        ctx = event_context(self.book, i, self.figure_json)
        return self.template.render({**self.common, **ctx})
