"""Data-quality flags per event: the price checks of :mod:`eventstudy.quality`,
vectorised over every ticker at once and applied to the dates each event uses.

A ticker is checked over the span the study needs (clipped to the dates its
data covers: sessions before the first or after the last price are not
"missing", they are outside the data, which ``n_est`` and ``pending``
already say). Each event then lists the flags of its stock and benchmark that
fall between its estimation-window start and event-window end, as text.

Every check reads the columnar table and the price store (no frame per
ticker); only events that have a flag get a text built.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping

import numpy as np
import pandas as pd

from eventstudy.data.table import PriceTable, day_array
from eventstudy.quality import MAX_LOG_RETURN, SPLIT_RATIOS, SPLIT_TOLERANCE, STALE_RUN
from eventstudy.store import PriceStore

KINDS = ("missing_sessions", "nonpositive_price", "stale_prices", "split_jump", "not_a_session")
LABELS = {
    "missing_sessions": "no price on",
    "nonpositive_price": "non-positive price on",
    "stale_prices": "unchanged price for a run of sessions from",
    "split_jump": "jump like an unadjusted split on",
    "not_a_session": "price dated on a non-session",
}
_PRICES = ("adj_close", "close", "open", "high", "low")
_MISSING, _NONPOS, _STALE, _SPLIT, _OFF = range(5)
#: One batch of flagged dates: (ticker code, check, instance, day number) arrays.
Part = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class Flags:
    """Every flagged date: ticker code, check, instance and date, sorted by (ticker, date).

    An *instance* is one flag of the old per-ticker checks (one per ticker for
    missing sessions, non-positive prices and non-sessions; one per stale run
    and per split-like jump): an event's text has one part per instance.
    """

    def __init__(self, tickers: np.ndarray, parts: list[Part]) -> None:
        self.tickers = tickers
        code, kind, inst, day = (
            np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, np.int64)
            for k in range(4)
        )
        order = np.lexsort((day, code))
        self.code, self.kind, self.inst = code[order], kind[order], inst[order]
        self.day = day[order].astype(np.int64)
        self.key = self.code * (1 << 32) + self.day

    def count(self, code: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """How many flagged dates ticker ``code`` has in ``[lo, hi]`` (day numbers)."""
        a = np.searchsorted(self.key, code * (1 << 32) + lo)
        b = np.searchsorted(self.key, code * (1 << 32) + hi, side="right")
        return np.where(code >= 0, b - a, 0)

    def rows(self, code: int, lo: int, hi: int) -> slice:
        a = int(np.searchsorted(self.key, code * (1 << 32) + lo))
        b = int(np.searchsorted(self.key, code * (1 << 32) + hi, side="right"))
        return slice(a, b)


def _days(values: np.ndarray) -> np.ndarray:
    days = values.astype("datetime64[D]", copy=False)
    return days.view(np.int64) if days.flags.c_contiguous else days.astype(np.int64)


def _table_flags(table: PriceTable, lo: np.ndarray, hi: np.ndarray) -> list[Part]:
    """Non-positive prices, stale runs and split-like jumps, on rows in ``[lo, hi]``."""
    codes = table.codes
    day = _days(table.dates)
    keep = (day >= lo[codes]) & (day <= hi[codes])
    rows: slice | np.ndarray = slice(None) if keep.all() else np.flatnonzero(keep)
    code, day = codes[rows], day[rows]
    parts: list[Part] = []
    bad = np.zeros(len(code), bool)
    for c in _PRICES:
        if c in table.values:
            with np.errstate(invalid="ignore"):
                bad |= table.values[c][rows] <= 0
    if bad.any():
        parts.append((code[bad], np.full(int(bad.sum()), _NONPOS), code[bad], day[bad]))
    price = table.values["adj_close"][rows]
    same_tk = np.r_[False, code[1:] == code[:-1]]
    # Stale runs: consecutive rows of one ticker with an identical adjusted close.
    new_run = ~same_tk | np.r_[True, price[1:] != price[:-1]]
    run_id = np.cumsum(new_run) - 1
    length = np.bincount(run_id)
    stale = np.repeat(length >= STALE_RUN, length)
    if stale.any():
        parts.append(
            (code[stale], np.full(int(stale.sum()), _STALE), run_id[stale] + (1 << 40), day[stale])
        )
    # Split-like jumps between consecutive positive rows of one ticker.
    pos = price > 0
    pr, cr, dr = (price, code, day) if pos.all() else (price[pos], code[pos], day[pos])
    if len(pr) > 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            gross = pr[1:] / pr[:-1]
            # Only moves beyond the nearest ratios can match one: test those exactly.
            ratios = np.asarray(SPLIT_RATIOS)
            edge_lo = ratios[ratios < 1].max() * (1 + SPLIT_TOLERANCE) * (1 + 1e-9)
            edge_hi = ratios[ratios > 1].min() * (1 - SPLIT_TOLERANCE) * (1 - 1e-9)
            cand = np.flatnonzero(((gross <= edge_lo) | (gross >= edge_hi)) & (cr[1:] == cr[:-1]))
            g = gross[cand]
            close = (np.abs(g[:, None] / ratios[None, :] - 1.0) <= SPLIT_TOLERANCE).any(axis=1)
            hit = close | (np.abs(np.log(g)) > MAX_LOG_RETURN)
        at = cand[hit] + 1
        if len(at):
            parts.append((cr[at], np.full(len(at), _SPLIT), at + (2 << 40), dr[at]))
    return parts


def _store_flags(
    store: PriceStore, index_of: Mapping[str, int], lo: np.ndarray, hi: np.ndarray
) -> list[Part]:
    """Sessions without a price (each series on its own calendar) and non-session dates."""
    parts: list[Part] = []
    for cal in store.calendars.values():
        # One pass over the flat prices; only the gaps are mapped back to their
        # series (offsets ascend: a gap belongs to the last series starting at or
        # before it; an empty series shares its start with the next).
        gone = np.flatnonzero(~np.isfinite(cal.prices))
        if not len(gone):
            continue
        codes_all = np.array([index_of.get(n, -1) for n in cal.names], dtype=np.int64)
        series = np.searchsorted(cal.offset, gone, side="right") - 1
        own = codes_all[series] >= 0  # own series (re-indexed ones are not tickers)
        gone, series = gone[own], series[own]
        code = codes_all[series]
        day = _days(cal.sessions[cal.first[series] + gone - cal.offset[series]])
        inside = (day >= lo[code]) & (day <= hi[code])
        parts.append(
            (code[inside], np.full(int(inside.sum()), _MISSING), code[inside], day[inside])
        )
    for off in store.off_calendar:
        c = index_of.get(off.ticker, -1)
        if c < 0:
            continue
        day = _days(off.dates)
        inside = (day >= lo[c]) & (day <= hi[c])
        n = int(inside.sum())
        if n:
            parts.append((np.full(n, c), np.full(n, _OFF), np.full(n, c + (3 << 40)), day[inside]))
    return parts


def price_flags(
    table: PriceTable,
    store: PriceStore,
    ranges: Mapping[str, tuple[dt.date, dt.date]],
    table_parts: list[Part] | None = None,
) -> Flags:
    """Every check on every ticker over its needed range, clipped to its data
    (``table_parts``: :func:`table_flags`, when already computed)."""
    lo, hi = _needed_days(table, ranges)
    tickers = table.tickers.astype(str)
    index_of = {t: k for k, t in enumerate(tickers)}
    if table_parts is None:
        table_parts = _table_flags(table, lo, hi)
    return Flags(tickers, table_parts + _store_flags(store, index_of, lo, hi))


def table_flags(table: PriceTable, ranges: Mapping[str, tuple[dt.date, dt.date]]) -> list[Part]:
    """The checks that read only the price rows (:func:`price_flags` adds the others)."""
    return _table_flags(table, *_needed_days(table, ranges))


def _needed_days(
    table: PriceTable, ranges: Mapping[str, tuple[dt.date, dt.date]]
) -> tuple[np.ndarray, np.ndarray]:
    """Each ticker's needed day numbers ``[lo, hi]``, clipped to its data (empty if unneeded)."""
    tickers = table.tickers.astype(str)
    first, last = table.first_last()
    never, forever = np.iinfo(np.int64).max // 4, -np.iinfo(np.int64).max // 4
    lo = np.full(len(tickers), never, np.int64)
    hi = np.full(len(tickers), forever, np.int64)
    held = set(tickers.tolist())
    names = [t for t in ranges if t in held]
    if names:
        at = pd.Index(tickers).get_indexer(pd.Index(names))
        a = day_array([ranges[t][0] for t in names]).astype(np.int64)
        b = day_array([ranges[t][1] for t in names]).astype(np.int64)
        lo[at] = np.maximum(a, first[at].astype(np.int64))
        hi[at] = np.minimum(b, last[at].astype(np.int64))
    return lo, hi


def _text(flags: Flags, code: int, lo: int, hi: int) -> tuple[list[str], set[str]]:
    sl = flags.rows(code, lo, hi)
    if sl.start == sl.stop:
        return [], set()
    kind, inst, day = flags.kind[sl], flags.inst[sl], flags.day[sl]
    order = np.lexsort((day, inst, kind))
    kind, inst, day = kind[order], inst[order], day[order]
    cuts = np.flatnonzero(np.r_[True, (inst[1:] != inst[:-1]) | (kind[1:] != kind[:-1])])
    ticker = str(flags.tickers[code])
    notes, kinds = [], set()
    for a, b in zip(cuts, np.r_[cuts[1:], len(day)], strict=True):
        name = KINDS[int(kind[a])]
        dates = [str(np.datetime64(int(d), "D")) for d in day[a:b]]
        shown = ", ".join(dates[:5]) + (f" (+{len(dates) - 5} more)" if len(dates) > 5 else "")
        notes.append(f"{ticker}: {LABELS[name]} {shown}")
        kinds.add(name)
    return notes, kinds


def event_flags(
    flags: Flags, tickers: np.ndarray, benches: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[list[str], Counter[str]]:
    """One ``"; "``-joined text per event and the count of events per flag kind.

    ``lo``/``hi`` (N,) are each event's first and last date (``datetime64``),
    NaT where unknown.
    """
    n = len(tickers)
    lookup = pd.Index(flags.tickers)
    sc = lookup.get_indexer(pd.Index(tickers.astype(str)))
    bc = lookup.get_indexer(pd.Index(benches.astype(str)))
    ok = ~(np.isnat(lo) | np.isnat(hi))
    lo_d = np.where(ok, _days(np.where(ok, lo, np.datetime64(0, "ns"))), 0)
    hi_d = np.where(ok, _days(np.where(ok, hi, np.datetime64(0, "ns"))), -1)
    flagged = np.flatnonzero(
        ok & ((flags.count(sc, lo_d, hi_d) > 0) | (flags.count(bc, lo_d, hi_d) > 0))
    )
    texts = [""] * n
    counts: Counter[str] = Counter()
    for e in flagged:
        notes: list[str] = []
        kinds: set[str] = set()
        for code in dict.fromkeys((int(sc[e]), int(bc[e]))):
            if code >= 0:
                part, k = _text(flags, code, int(lo_d[e]), int(hi_d[e]))
                notes += part
                kinds |= k
        texts[e] = "; ".join(notes)
        counts.update(kinds)
    return texts, counts
