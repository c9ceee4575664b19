"""Events that share a ticker and a day 0: one market reaction counted more than once.

Such rows are kept (they may be intended, e.g. two announcements studied in
different groups); every output warns about them by name. With many of them
(a large panel of random dates) the warning is one summary sentence and the
full list is in ``run.json``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Groups named one by one in warnings; beyond this, one summary sentence.
NAMED = 10


def duplicate_events(events: pd.DataFrame) -> list[tuple[str, ...]]:
    """Groups of event ids that share a ticker and a day 0 (each group in file order)."""
    if events.empty:
        return []
    # one int64 key per (ticker, day 0) pair (a missing day 0 is a value of its own),
    # far cheaper than factorizing a MultiIndex of the pairs
    t_codes, _ = pd.factorize(events["ticker"].astype(str).to_numpy())
    d_codes, _ = pd.factorize(events["day0"].to_numpy())
    key = t_codes.astype(np.int64) * (int(d_codes.max()) + 2) + (d_codes + 1)
    codes, _ = pd.factorize(key)
    counts = np.bincount(codes)
    rows = np.flatnonzero(counts[codes] > 1)
    if not len(rows):
        return []
    line = events["line"].to_numpy()[rows] if "line" in events else rows
    order = rows[np.lexsort((line, codes[rows]))]
    ids = events["event_id"].astype(str).to_numpy()[order]
    group = codes[order]
    cuts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    groups = np.split(ids, cuts[1:])
    first_line = (events["line"].to_numpy() if "line" in events else np.arange(len(events)))[
        order[cuts]
    ]
    return [
        tuple(g.tolist())
        for _, g in sorted(zip(first_line.tolist(), groups, strict=True), key=lambda t: t[0])
    ]


def describe_duplicates(events: pd.DataFrame, groups: Sequence[Sequence[str]]) -> list[str]:
    """One sentence per group (the first :data:`NAMED`), then one for the rest."""
    if not groups:
        return []
    pos = pd.Index(events["event_id"].astype(str)).get_indexer(
        pd.Index([g[0] for g in groups[:NAMED]])
    )
    tickers = events["ticker"].astype(str).to_numpy()
    day0 = pd.DatetimeIndex(events["day0"]).strftime("%Y-%m-%d").to_numpy()
    out = []
    for ids, k in zip(groups[:NAMED], pos.tolist(), strict=True):
        names = ", ".join(f"'{i}'" for i in ids)
        out.append(
            f"{tickers[k]} day 0 {day0[k]}: events {names} share a ticker and day 0, so "
            f"that reaction counts {len(ids)} times in the cross-section; delete all but "
            "one row unless that is intended"
        )
    if len(groups) > NAMED:
        rest = len(groups) - NAMED
        events_in = sum(len(g) for g in groups[NAMED:])
        out.append(
            f"... and {rest} more groups of events ({events_in} events) that share a "
            "ticker and day 0 (run.json lists them all under duplicate_events)"
        )
    return out
