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

from eventstudy.data import table as price_rows
from eventstudy.data.table import PriceTable, day_array, first_at_least
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
    """Non-positive prices, stale runs and split-like jumps, on rows in ``[lo, hi]``.

    Row by row in blocks of :data:`~eventstudy.data.table.ROW_BLOCK`; only flagged
    rows and candidate pairs leave a block. A stale run is ``STALE_RUN`` or more consecutive rows
    of one ticker with the same adjusted close; a split-like jump is a gross
    return ``P_t / P_{t-1}`` between consecutive positive rows of one ticker
    within ``SPLIT_TOLERANCE`` of a split ratio, or with ``|log| > MAX_LOG_RETURN``.
    """
    day = _days(table.dates)
    starts, values = table.starts, table.values
    # Each ticker's rows in [lo, hi] are one run [a, b) (dates ascend).
    first = first_at_least(day, starts, lo)
    stop = np.maximum(first, first_at_least(day, starts, hi + 1))
    if not (bool((first == starts[:-1]).all()) and bool((stop == starts[1:]).all())):
        starts = np.concatenate([[0], np.cumsum(stop - first)]).astype(np.int64)
        names = [c for c in _PRICES if c in values]
        day, kept = price_rows.gather_runs([day, *(values[c] for c in names)], first, starts)
        values = dict(zip(names, kept, strict=True))
    price = values["adj_close"]
    n = len(price)
    bad, same, jumps, not_pos = [], [], [], 0
    block = price_rows.ROW_BLOCK
    for s in range(0, n, block):
        e = min(s + block, n)
        nonpos = np.zeros(e - s, bool)
        for c in _PRICES:
            if c in values:
                with np.errstate(invalid="ignore"):
                    nonpos |= values[c][s:e] <= 0
        bad.append(np.flatnonzero(nonpos) + s)
        with np.errstate(invalid="ignore"):
            not_pos += int(np.count_nonzero(~(price[s:e] > 0)))
        # Pairs (i, i + 1) for i in [s, e), both rows of one ticker.
        pe = min(e, n - 1)
        if pe <= s:
            continue
        one_ticker = np.ones(pe - s, bool)
        cut = starts[np.searchsorted(starts, s + 1) : np.searchsorted(starts, pe, side="right")]
        one_ticker[cut - 1 - s] = False
        now, before = price[s + 1 : pe + 1], price[s:pe]
        same.append(np.flatnonzero(one_ticker & (now == before)) + s)
        with np.errstate(invalid="ignore", divide="ignore"):
            gross = now / before
        jumps.append(np.flatnonzero(_jump_candidates(gross) & one_ticker) + s)
    parts: list[Part] = []

    def code_of(r: np.ndarray) -> np.ndarray:
        return np.searchsorted(starts, r, side="right") - 1

    nonpos_rows = np.concatenate(bad) if bad else np.zeros(0, np.int64)
    if len(nonpos_rows):
        owner = code_of(nonpos_rows)
        parts.append((owner, np.full(len(owner), _NONPOS), owner, day[nonpos_rows]))
    pairs = np.concatenate(same) if same else np.zeros(0, np.int64)
    if len(pairs):
        # Consecutive equal pairs i, i+1, ... form a run of rows from its first i.
        head = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1] + 1])
        start, length = pairs[head], np.diff(np.r_[head, len(pairs)]) + 1
        keep = length >= STALE_RUN
        start, length = start[keep], length[keep]
        if len(start):
            offs = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
            r = np.repeat(start, length) + offs
            inst = np.repeat(start, length) + (1 << 40)
            parts.append((code_of(r), np.full(len(r), _STALE), inst, day[r]))
    if not_pos:
        # Some rows are not positive: pairs skip them (the rare path, on all rows).
        pos = np.flatnonzero(price > 0)
        pr = price[pos]
        with np.errstate(invalid="ignore", divide="ignore"):
            gross = pr[1:] / pr[:-1]
        cp = code_of(pos)
        cand = np.flatnonzero(_jump_candidates(gross) & (cp[1:] == cp[:-1]))
        earlier, later = pos[cand], pos[cand + 1]
    else:
        earlier = np.concatenate(jumps) if jumps else np.zeros(0, np.int64)
        later = earlier + 1
    if len(later):
        with np.errstate(invalid="ignore", divide="ignore"):
            at = later[_split_like(price[later] / price[earlier])]
        if len(at):
            parts.append((code_of(at), np.full(len(at), _SPLIT), at + (2 << 40), day[at]))
    return parts


_RATIOS = np.asarray(SPLIT_RATIOS)
# Only moves beyond the nearest ratios can match one: those are tested exactly.
_EDGE_LO = _RATIOS[_RATIOS < 1].max() * (1 + SPLIT_TOLERANCE) * (1 + 1e-9)
_EDGE_HI = _RATIOS[_RATIOS > 1].min() * (1 - SPLIT_TOLERANCE) * (1 - 1e-9)


def _jump_candidates(gross: np.ndarray) -> np.ndarray:
    """Gross returns far enough from 1 to be a split-like jump (a superset)."""
    with np.errstate(invalid="ignore"):
        return (gross <= _EDGE_LO) | (gross >= _EDGE_HI)


def _split_like(g: np.ndarray) -> np.ndarray:
    """``|g / ratio - 1| <= SPLIT_TOLERANCE`` for a split ratio, or ``|log g| > MAX_LOG_RETURN``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        close = (np.abs(g[:, None] / _RATIOS[None, :] - 1.0) <= SPLIT_TOLERANCE).any(axis=1)
        return close | (np.abs(np.log(g)) > MAX_LOG_RETURN)


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
