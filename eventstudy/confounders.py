"""Other events of the same firm inside an event's windows (confounding events).

For event ``i`` with windows spanning the dates ``[lo_i, hi_i]`` (estimation
start to event-window end), every other event ``j`` of the same ticker with
``lo_i <= day0_j <= hi_i`` is a possible confounder: its reaction lands in
``i``'s estimation window (biasing the model) or in its event window (mixing
two news). Found with one sort and two ``searchsorted`` calls over
``(ticker, day 0)`` keys; named in ``events.csv`` (``confounding_events``)
and on the event page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["NAMED", "confounding_events"]

#: Ids named per event; more are counted.
NAMED = 5


def confounding_events(events: pd.DataFrame, lo: np.ndarray, hi: np.ndarray) -> list[str]:
    """Per event, the ids of the other same-ticker events whose day 0 is in ``[lo, hi]``
    (``"; "``-joined, at most :data:`NAMED`, then "and N more"; ``""`` for none)."""
    n = len(events)
    out = [""] * n
    if n < 2:
        return out
    codes, _ = pd.factorize(events["ticker"].astype(str).to_numpy())
    day0 = pd.DatetimeIndex(events["day0"]).to_numpy(dtype="datetime64[D]").astype(np.int64)
    known = ~np.isnat(pd.DatetimeIndex(events["day0"]).to_numpy())
    lo_d = np.asarray(lo, dtype="datetime64[D]")
    hi_d = np.asarray(hi, dtype="datetime64[D]")
    ok = known & ~np.isnat(lo_d) & ~np.isnat(hi_d)
    span = 1 << 32  # day numbers are far below 2^31
    key = codes.astype(np.int64) * span + (day0 + (span >> 1))
    key = np.where(known, key, -1)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    base = codes.astype(np.int64) * span + (span >> 1)
    a = np.searchsorted(sorted_key, base + lo_d.astype(np.int64), side="left")
    b = np.searchsorted(sorted_key, base + hi_d.astype(np.int64), side="right")
    count = np.where(ok, b - a, 0) - ok.astype(np.int64)  # less the event itself
    ids = events["event_id"].astype(str).to_numpy(dtype=object)
    hit = np.flatnonzero(count > 0)
    if not len(hit):
        return out
    texts = _named(ids, order, a[hit], b[hit], hit, count[hit])
    for i, text in zip(hit.tolist(), texts.tolist(), strict=True):
        out[i] = text
    return out


def _named(
    ids: np.ndarray,
    order: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    me: np.ndarray,
    count: np.ndarray,
) -> np.ndarray:
    """The texts of events ``me``: their runs ``order[a:b]`` of same-ticker events
    (themselves among them), the first :data:`NAMED` others named, column-wise."""
    # Only the first NAMED + 1 of each run are read (one of them may be the event).
    slot = a[:, None] + np.arange(NAMED + 1)
    who = order[np.minimum(slot, len(order) - 1)]
    keep = (slot < b[:, None]) & (who != me[:, None])
    keep &= np.cumsum(keep, axis=1) <= NAMED
    # Kept slots first, in run order (a stable sort of each row on "not kept").
    pick = np.argsort(~keep, axis=1, kind="stable")
    who = np.take_along_axis(who, pick, axis=1)
    shown = keep.sum(axis=1)
    string = np.dtypes.StringDType()
    text = ids[who[:, 0]].astype(string)
    for k in range(1, NAMED):
        more = shown > k
        text[more] = np.strings.add(
            np.strings.add(text[more], "; "), ids[who[more, k]].astype(string)
        )
    over = count > NAMED
    if over.any():
        tail = (count[over] - NAMED).astype(string)
        text[over] = np.strings.add(
            np.strings.add(np.strings.add(text[over], "; and "), tail), " more"
        )
    return text
