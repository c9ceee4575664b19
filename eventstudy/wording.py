"""Plain-words answers to the study's question, derived from the numbers only.

One sentence per event ("MSFT's abnormal return on 2025-09-12 was +1.80%
(t = 1.67, p = 0.095): not significant at 5%; a move this size happens about
one day in ten for MSFT.") and one for the study. How often "a move this
size" happens is read off the two-sided p-value of the event's own t-test:
under the model, ``|CAR|`` at least this large occurs with probability ``p``,
i.e. about once in ``1/p`` windows of that length.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

_SMALL = {
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    11: "eleven",
    12: "twelve",
}


def _float(x: Any) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _pct(x: float) -> str:
    return f"{100 * x:+.2f}%"


def _p(p: float, alternative: str = "two-sided") -> str:
    name = "p" if alternative == "two-sided" else f"one-sided p ({alternative})"
    return f"{name} < 0.001" if p < 0.0005 else f"{name} = {p:.3f}"


def significance(p: float) -> str:
    """``'significant at 1%'``, ``'... at 5%'`` or ``'not significant at 5%'``."""
    if not math.isfinite(p):
        return "no test"
    if p < 0.01:
        return "significant at 1%"
    if p < 0.05:
        return "significant at 5%"
    return "not significant at 5%"


def _round_count(n: float) -> str:
    """A "one in N" count read easily: 2..12 in words, then 15, 20, 25, 30, 40, 50, ..."""
    if n < 12.5:
        return _SMALL[max(2, round(n))]
    for step, limit in ((5, 30), (10, 100), (50, 300), (100, 1000)):
        if n < limit:
            return f"{int(step * round(n / step)):,}"
    return "a thousand"


def frequency(p: float, length: int, ticker: str, alternative: str = "two-sided") -> str:
    """How often a move at least this large happens for ``ticker``, from the two-sided p
    (one-sided: a rise (``greater``) or fall (``less``) at least this large)."""
    if not math.isfinite(p):
        return ""
    move = {"greater": "rise", "less": "fall"}.get(alternative, "move")
    size = "this size" if move == "move" else "this large"
    if length == 1:
        what, once, unit = f"a {move} {size}", "one day in", "day"
    else:
        what, once, unit = f"a {length}-day {move} {size}", "once in", f"{length}-day period"
    units = "days" if length == 1 else f"{unit}s"
    if p >= 2 / 3:
        return f"{what} is ordinary for {ticker} (more likely than not)"
    if p >= 0.4:
        return f"{what} happens about every other {unit} for {ticker}"
    if p < 0.001:
        count, about = "a thousand", "less than"
    else:
        count, about = _round_count(1 / p), "about"
    tail = "" if length == 1 else f" {units}"
    return f"{what} happens {about} {once} {count}{tail} for {ticker}"


def _window_phrase(start: int, end: int, first: str, last: str) -> str:
    if start == end:
        return (
            f"abnormal return on {first}"
            if start == 0
            else (f"abnormal return on day {start:+d} ({first})")
        )
    return f"cumulative abnormal return over days {start:+d} to {end:+d} ({first} to {last})"


@dataclass(frozen=True)
class EventNumbers:
    """What one event's sentence needs (``car`` etc. NaN when there is no CAR)."""

    ticker: str
    status: str
    reason: str
    start: int
    end: int
    first_date: str
    last_date: str
    car: float
    t: float
    p: float
    sq_p: float = math.nan
    alternative: str = "two-sided"


def event_sentence(e: EventNumbers) -> str:
    """The answer for one event over one CAR window."""
    if e.status in ("failed", "skipped"):
        return f"No abnormal return for {e.ticker}: the event is {e.status} ({e.reason})."
    if not math.isfinite(e.car):
        why = e.reason or "the window is not fully observed"
        return (
            f"{e.ticker}'s abnormal return over days {e.start:+d} to {e.end:+d} is not "
            f"known yet: {why}."
        )
    head = (
        f"{e.ticker}'s {_window_phrase(e.start, e.end, e.first_date, e.last_date)} was "
        f"{_pct(e.car)} (t = {e.t:.2f}, {_p(e.p, e.alternative)}): {significance(e.p)}"
    )
    often = frequency(e.p, e.end - e.start + 1, e.ticker, e.alternative)
    text = head + (f"; {often}." if often else ".")
    if math.isfinite(e.sq_p):
        text += (
            f" Against {e.ticker}'s own estimation-window moves (sample-quantile test, "
            f"no normality assumed): {_p(e.sq_p, e.alternative)}."
        )
    return text


def study_sentence(
    n: int,
    start: int,
    end: int,
    caar: float,
    t_cs: float,
    p_cs: float,
    p_bmp: float,
    rejecting: int,
    tests: int,
    alternative: str = "two-sided",
) -> str:
    """The answer for the cross-section over one CAR window (``n >= 2`` events)."""
    what = (
        "average abnormal return on day 0"
        if (start, end) == (0, 0)
        else f"average cumulative abnormal return over days {start:+d} to {end:+d}"
    )
    if n < 2 or not math.isfinite(caar):
        return f"Too few events with a CAR over days {start:+d} to {end:+d} (N = {n}) for a test."
    tail = f"; BMP {_p(p_bmp)}" if math.isfinite(p_bmp) else ""
    against = {"greater": " in favour of a positive one", "less": " in favour of a negative one"}
    return (
        f"Across {n} events, the {what} was {_pct(caar)} (cross-sectional t = {t_cs:.2f}, "
        f"{_p(p_cs, alternative)}{tail}): {significance(p_cs)}; {rejecting} of {tests} tests "
        f"reject a zero CAAR{against.get(alternative, '')} at 5%."
    )


# --------------------------------------------------------------------------- from a result


def headline_window(windows: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The window the sentences speak of: day 0 when it is a CAR window, else the first."""
    return (0, 0) if (0, 0) in windows else tuple(windows[0])  # type: ignore[return-value]


def event_numbers(
    row: Any,
    car: Any,
    ar: Any,
    windows: Sequence[tuple[int, int]],
    alternative: str = "two-sided",
) -> EventNumbers:
    """The numbers of :func:`event_sentence` over the headline window.

    ``row`` is the event's row of ``res.events``; ``car`` and ``ar`` are its
    rows of ``res.car`` and ``res.ar`` (possibly empty).
    """
    start, end = headline_window(windows)
    hit = car[(car["start"] == start) & (car["end"] == end)] if len(car) else car
    days = ar[(ar["rel_day"] >= start) & (ar["rel_day"] <= end)] if len(ar) else ar
    first = f"{days['date'].min():%Y-%m-%d}" if len(days) else ""
    last = f"{days['date'].max():%Y-%m-%d}" if len(days) else ""
    values = hit.iloc[0] if len(hit) else None
    return EventNumbers(
        ticker=str(row["ticker"]),
        status=str(row["status"]),
        reason=str(row["reason"] or ""),
        start=start,
        end=end,
        first_date=first,
        last_date=last,
        car=_float(values["car"]) if values is not None else math.nan,
        t=_float(values["t"]) if values is not None else math.nan,
        p=_float(values["p_value"]) if values is not None else math.nan,
        sq_p=_float(values["sq_p"]) if values is not None and "sq_p" in values else math.nan,
        alternative=alternative,
    )


def result_event_sentence(res: StudyResult, event_id: str) -> str:
    """:func:`event_sentence` of one event of a result."""
    eid = str(event_id)

    def rows(df: Any) -> Any:
        return df[df["event_id"].astype(str) == eid] if len(df) else df

    row = rows(res.events).iloc[0]
    s = res.settings
    return event_sentence(
        event_numbers(row, rows(res.car), rows(res.ar), s.car_windows, s.alternative)
    )


def result_study_sentence(res: StudyResult) -> str:
    """The study's answer: the event's sentence when one event has a CAR, else the cross-section."""
    start, end = headline_window(res.settings.car_windows)
    tests = res.tests
    rows = tests[(tests["start"] == start) & (tests["end"] == end)] if not tests.empty else tests
    n = int(rows["n"].iloc[0]) if len(rows) else 0
    if n < 2:
        with_car = res.car[(res.car["start"] == start) & (res.car["end"] == end)]
        if len(with_car) == 1:
            return result_event_sentence(res, str(with_car["event_id"].iloc[0]))
        return study_sentence(n, start, end, math.nan, math.nan, math.nan, math.nan, 0, 0)
    by = rows.set_index("statistic")

    def get(name: str, col: str) -> float:
        return _float(by.loc[name, col]) if name in by.index else math.nan

    p = rows["p_value"].to_numpy(dtype=float)
    rejecting = int((p < 0.05).sum())
    tested = int(sum(math.isfinite(v) for v in p))
    return study_sentence(
        n,
        start,
        end,
        get("t_cs", "caar"),
        get("t_cs", "value"),
        get("t_cs", "p_value"),
        get("bmp", "p_value"),
        rejecting,
        tested,
        res.settings.alternative,
    )
