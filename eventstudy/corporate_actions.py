"""Dividends and splits inside an event's windows, and the days a study may leave out.

The price providers return, per ticker and session, the cash dividend going
ex that day (``dividends``) and the split ratio (``splits``, e.g. 4 for 4:1;
0 or 1 = none). For event ``i`` with windows spanning ``[lo_i, hi_i]``
(estimation start to event-window end), every ex-dividend or split date of
its ticker inside that span is named in ``events.csv``
(``corporate_actions``) and on the event page: a dividend moves the price on
its ex-date (adjusted closes remove most of that, not an unusual dividend's
signal) and a split is a news event of its own.

With ``exclude_confounded_days`` (``run --exclude-confounded-days``) the
estimation window of every event leaves out, for its ticker, each such date
and the day 0 of every other event of the same ticker (the reaction to other
news); the estimation returns on those sessions are treated as missing, so
``n_est`` counts only the days kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from eventstudy.data.table import PriceTable
    from eventstudy.panel import EventIndex
    from eventstudy.store import PriceStore

__all__ = ["Actions", "actions_of", "describe", "excluded_keys"]

#: Actions named per event; more are counted.
NAMED = 5


@dataclass(frozen=True)
class Actions:
    """Every dividend and split of a price table: ``tickers`` (A,) symbols, ``days``
    (A,) ``datetime64[D]``, ``kind`` (A,) ``"dividend"`` / ``"split"``, ``amount`` (A,)."""

    tickers: np.ndarray
    days: np.ndarray
    kind: np.ndarray
    amount: np.ndarray

    def __len__(self) -> int:
        return len(self.days)


def actions_of(table: PriceTable) -> Actions:
    """The rows of ``table`` with a dividend (> 0) or a split (ratio not 0 or 1)."""
    n = len(table.dates)
    codes = np.repeat(np.arange(len(table.tickers)), np.diff(table.starts))
    parts = []
    for name, col in (("dividend", "dividends"), ("split", "splits")):
        v = table.values.get(col)
        if v is None or not n:
            continue
        with np.errstate(invalid="ignore"):
            hit = (v > 0) & (v != 1.0) if name == "split" else v > 0
        rows = np.flatnonzero(hit)
        parts.append((rows, np.full(len(rows), name, dtype=object), v[rows]))
    if not parts:
        empty = np.array([], dtype=object)
        return Actions(empty, np.array([], dtype="datetime64[D]"), empty, np.array([]))
    rows = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([p[1] for p in parts])
    amount = np.concatenate([p[2] for p in parts])
    order = np.lexsort((rows,))
    rows, kind, amount = rows[order], kind[order], amount[order]
    return Actions(
        table.tickers[codes[rows]].astype(object), table.dates[rows], kind, amount.astype(float)
    )


def _text(kind: str, day: np.datetime64, amount: float) -> str:
    when = str(np.asarray(day).astype("datetime64[D]"))
    if kind == "split":
        ratio = f"{amount:g}:1" if amount >= 1 else f"1:{1 / amount:g}"
        return f"split {ratio} on {when}"
    return f"dividend {amount:g} ex {when}"


def describe(tickers: np.ndarray, lo: np.ndarray, hi: np.ndarray, actions: Actions) -> list[str]:
    """Per event, its ticker's dividends and splits dated in ``[lo, hi]``
    (``"; "``-joined, at most :data:`NAMED`, then "and N more"; ``""`` for none)."""
    n = len(tickers)
    out = [""] * n
    if not len(actions) or not n:
        return out
    lo_d = np.asarray(lo, dtype="datetime64[D]")
    hi_d = np.asarray(hi, dtype="datetime64[D]")
    symbols = pd.Index(pd.unique(np.concatenate([actions.tickers, np.asarray(tickers, object)])))
    a_code = symbols.get_indexer(pd.Index(actions.tickers)).astype(np.int64)
    e_code = symbols.get_indexer(pd.Index(np.asarray(tickers, object))).astype(np.int64)
    span = np.int64(1 << 32)
    half = span >> 1
    key = a_code * span + (actions.days.astype(np.int64) + half)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    ok = ~np.isnat(lo_d) & ~np.isnat(hi_d)
    base = e_code * span + half
    lo_n = np.where(ok, lo_d.astype(np.int64), 0)
    hi_n = np.where(ok, hi_d.astype(np.int64), 0)
    a = np.searchsorted(sorted_key, base + lo_n, side="left")
    b = np.searchsorted(sorted_key, base + hi_n, side="right")
    for i in np.flatnonzero(ok & (b > a)).tolist():
        hits = order[a[i] : b[i]]
        texts = [_text(actions.kind[j], actions.days[j], actions.amount[j]) for j in hits]
        text = "; ".join(texts[:NAMED])
        if len(texts) > NAMED:
            text += f"; and {len(texts) - NAMED} more"
        out[i] = text
    return out


def excluded_keys(store: PriceStore, index: EventIndex, actions: Actions) -> dict[str, np.ndarray]:
    """Per calendar, the sorted keys ``column * S + session`` of the days to leave out of
    estimation windows: every event's day 0 and every dividend or split date."""
    out: dict[str, np.ndarray] = {}
    for k, mic in enumerate(index.mics):
        cal = store.calendars.get(mic)
        if cal is None:
            continue
        s = np.int64(len(cal.sessions))
        on = index.calendar == k
        keys = [index.stock[on].astype(np.int64) * s + index.p0[on].astype(np.int64)]
        if len(actions):
            cols = cal.columns(actions.tickers.tolist())
            days = actions.days.astype("datetime64[ns]")
            pos = np.searchsorted(cal.sessions, days)
            safe = np.minimum(pos, len(cal.sessions) - 1)
            hit = (cols >= 0) & (pos < len(cal.sessions)) & (cal.sessions[safe] == days)
            keys.append(cols[hit].astype(np.int64) * s + pos[hit].astype(np.int64))
        out[mic] = np.unique(np.concatenate(keys))
    return out


def excluded_mask(
    keys: np.ndarray, n_sessions: int, stock: np.ndarray, pos: np.ndarray
) -> np.ndarray:
    """``(n, L)`` True where series ``stock[i]`` at session ``pos[i, t]`` is in ``keys``."""
    if not len(keys):
        return np.zeros(pos.shape, bool)
    want = stock.astype(np.int64)[:, None] * np.int64(n_sessions) + pos.astype(np.int64)
    at = np.searchsorted(keys, want)
    return keys[np.minimum(at, len(keys) - 1)] == want
