"""``duplicate_events`` against a plain dictionary of (ticker, day 0) pairs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.duplicates import duplicate_events


def _plain(events: pd.DataFrame) -> list[tuple[str, ...]]:
    groups: dict[tuple[str, object], list[tuple[int, str]]] = {}
    for r in events.itertuples():
        day = "NaT" if pd.isna(r.day0) else pd.Timestamp(r.day0)
        groups.setdefault((r.ticker, day), []).append((r.line, r.event_id))
    found = [sorted(g) for g in groups.values() if len(g) > 1]
    found.sort(key=lambda g: g[0][0])
    return [tuple(i for _, i in g) for g in found]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.one_of(st.none(), st.integers(0, 3))),
        min_size=0,
        max_size=25,
    ),
    st.randoms(use_true_random=False),
)
def test_groups_equal_a_plain_dictionary(rows, rnd):
    lines = list(range(2, 2 + len(rows)))
    rnd.shuffle(lines)  # file order differs from frame order
    days = [None if d is None else np.datetime64("2024-01-01") + d for _, d in rows]
    events = pd.DataFrame(
        {
            "event_id": [f"e{k}" for k in range(len(rows))],
            "ticker": [t for t, _ in rows],
            "day0": pd.to_datetime(pd.Series(days, dtype="object")),
            "line": lines,
        }
    )
    assert duplicate_events(events) == _plain(events)
