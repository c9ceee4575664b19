"""Other events of the same firm inside an event's windows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.confounders import NAMED, confounding_events
from tests.conftest import ROOT, SAMPLE_PRICES


@pytest.mark.parametrize("before", [360, 25])
def test_equals_a_pair_loop_on_random_events(before: int):
    # Long windows: every event has more than NAMED others; short: 0 to a few.
    rng = np.random.default_rng(2)
    n = 300
    days = pd.bdate_range("2020-01-01", periods=700)
    day0 = days[rng.integers(300, 650, n)]
    ev = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(n)],
            "ticker": rng.choice(list("ABCDE"), n),
            "day0": day0,
        }
    )
    lo = (day0 - pd.Timedelta(days=before)).to_numpy()
    hi = (day0 + pd.Timedelta(days=14)).to_numpy()
    got = confounding_events(ev, lo, hi)
    tick, d0 = ev["ticker"].to_numpy(dtype=object), day0.to_numpy()
    for i in range(n):
        others = [j for j in range(n) if j != i and tick[j] == tick[i] and lo[i] <= d0[j] <= hi[i]]
        names = got[i].split("; ") if got[i] else []
        if len(others) > NAMED:
            assert names[-1] == f"and {len(others) - NAMED} more" and len(names) == NAMED + 1
            names = names[:-1]
            earliest = sorted(others, key=lambda j: (day0[j], j))[:NAMED]  # by day 0, then order
            assert names == [f"e{j}" for j in earliest]
        else:
            assert sorted(names) == sorted(f"e{j}" for j in others)


def test_sample_study_names_the_november_2023_pair():
    res = es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)
    c = res.events.set_index("event_id")["confounding_events"]
    assert "msft-hires-altman-2023" in c["msft-openai-ceo-ousted-2023"]
    assert "msft-openai-ceo-ousted-2023" in c["msft-hires-altman-2023"]
    assert c["msft-openai-mou-2025"] == "" and c["aapl-peer-2025"] == ""
