"""Reference for the data checks (tests only): the per-ticker implementation that
the vectorised :mod:`eventstudy.checks` replaced, on per-ticker frames.

A ticker is checked once over the span the study needs (clipped to the dates
its data covers: sessions before the first or after the last price are not
"missing", they are outside the data, which ``n_est`` and ``pending`` already
say). Each event then lists the flags of its stock and benchmark that fall
between its estimation-window start and event-window end.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from eventstudy.data.base import PriceSet
from eventstudy.quality import QualityFlag, check_prices

LABELS = {
    "missing_sessions": "no price on",
    "nonpositive_price": "non-positive price on",
    "stale_prices": "unchanged price for a run of sessions from",
    "split_jump": "jump like an unadjusted split on",
    "not_a_session": "price dated on a non-session",
}


def ticker_flags(
    prices: PriceSet,
    ranges: Mapping[str, tuple[dt.date, dt.date]],
    sessions_of: Callable[[str], pd.DatetimeIndex],
) -> dict[str, list[QualityFlag]]:
    """Run every check on each ticker over its needed range (clipped to its data)."""
    out: dict[str, list[QualityFlag]] = {}
    for ticker, frame in prices.frames.items():
        if ticker not in ranges or frame.empty:
            continue
        a, b = ranges[ticker]
        first, last = frame.index.min().date(), frame.index.max().date()
        lo, hi = max(a, first), min(b, last)
        if lo > hi:
            continue
        try:
            sessions = sessions_of(ticker)
        except Exception:  # unknown calendar: nothing to check against
            continue
        a_pos = int(sessions.searchsorted(pd.Timestamp(lo)))
        b_pos = int(sessions.searchsorted(pd.Timestamp(hi), side="right"))
        out[ticker] = check_prices(frame, sessions[a_pos:b_pos], lo, hi, ticker)
    return out


def _describe(flag: QualityFlag, lo: np.datetime64, hi: np.datetime64) -> str | None:
    dates = [d for d in flag.dates if lo <= np.datetime64(d, "D") <= hi] if flag.dates else []
    if flag.dates and not dates:
        return None
    if not flag.dates:
        first = np.datetime64(flag.first_date, "D")
        last = np.datetime64(flag.last_date, "D")
        if last < lo or first > hi:
            return None
        dates = [flag.first_date]
    shown = ", ".join(str(d) for d in dates[:5]) + (
        f" (+{len(dates) - 5} more)" if len(dates) > 5 else ""
    )
    return f"{flag.ticker}: {LABELS.get(flag.kind, flag.kind)} {shown}"


def event_flags(
    events: pd.DataFrame,
    spans: Mapping[str, tuple[pd.Timestamp, pd.Timestamp]],
    flags: Mapping[str, list[QualityFlag]],
) -> tuple[list[str], Counter[str]]:
    """One ``"; "``-joined text per event and the count of events per flag kind."""
    texts: list[str] = []
    counts: Counter[str] = Counter()
    for eid, ticker, bench in zip(
        events["event_id"], events["ticker"], events["benchmark"], strict=True
    ):
        span = spans.get(str(eid))
        notes: list[str] = []
        if span is not None:
            lo, hi = np.datetime64(span[0].date(), "D"), np.datetime64(span[1].date(), "D")
            kinds = set()
            for sym in dict.fromkeys((str(ticker), str(bench))):
                for flag in flags.get(sym, []):
                    text = _describe(flag, lo, hi)
                    if text:
                        notes.append(text)
                        kinds.add(flag.kind)
            counts.update(kinds)
        texts.append("; ".join(notes))
    return texts, counts
