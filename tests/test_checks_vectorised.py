"""The vectorised data checks give exactly the texts of the per-ticker reference
(``tests/reference_checks.py``, the implementation they replaced)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.data import table as price_rows
from eventstudy.data.base import PriceSet
from eventstudy.event_time import sessions as exchange_sessions
from eventstudy.study import _safe_benchmark_mic
from tests import reference_checks as ref


def _frames(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = exchange_sessions("XNYS")
    days = days[(days >= "2022-01-03") & (days <= "2024-06-28")]
    out = {}
    market = 4000 * np.cumprod(1 + rng.normal(3e-4, 0.01, len(days)))
    out["^GSPC"] = pd.DataFrame({"adj_close": market}, index=pd.DatetimeIndex(days, name="date"))
    for k in range(6):
        adj = 50 * np.cumprod(1 + rng.normal(2e-4, 0.02, len(days)))
        f = pd.DataFrame(
            {"adj_close": adj, "close": adj * 1.01, "open": adj, "splits": 0.0},
            index=pd.DatetimeIndex(days, name="date"),
        )
        drop = rng.choice(len(f), 6, replace=False)  # missing sessions
        f.iloc[drop[:3], :] = np.nan
        f = f.dropna(subset=["adj_close"])
        if k % 2 == 0:  # a stale run of 7
            f.iloc[300:307, 0] = f.iloc[300, 0]
        if k % 3 == 0:  # an unadjusted 2:1 split and a large move
            f.iloc[400:, 0] = f.iloc[400:, 0] / 2.0
            f.iloc[450, 0] = f.iloc[450, 0] * 2.5
        if k == 4 and seed == 3:  # non-positive adjusted closes (the jump pairs skip them)
            f.iloc[500, 0] = 0.0
            f.iloc[520:523, 0] = -1.0
            f.iloc[524, 0] = f.iloc[525, 0] / 2.0
        if k == 1:  # a zero open, a price on a Saturday
            f.iloc[200, 2] = 0.0
            sat = pd.DataFrame(
                {"adj_close": [f.iloc[100, 0]], "close": [1.0], "open": [1.0], "splits": [0.0]},
                index=pd.DatetimeIndex(["2022-06-04"], name="date"),
            )
            f = pd.concat([f, sat]).sort_index()
        out[f"T{k}"] = f
    return out


@pytest.mark.parametrize(
    ("seed", "block"), [(1, None), (2, None), (1, 97), (2, 613), (3, 1)], ids=str
)
def test_vectorised_flags_equal_the_per_ticker_reference(
    seed: int, block: int | None, monkeypatch: pytest.MonkeyPatch
):
    # Small row blocks put stale runs, jumps and ticker edges across block edges.
    if block is not None:
        monkeypatch.setattr(price_rows, "ROW_BLOCK", block)
    frames = _frames(seed)
    rng = np.random.default_rng(seed + 10)
    days = exchange_sessions("XNYS")
    days = days[(days >= "2023-02-01") & (days <= "2024-05-30")]
    tickers = [t for t in frames if t != "^GSPC"]
    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(40)],
            "ticker": [tickers[i % len(tickers)] for i in range(40)],
            "date": [d.date().isoformat() for d in days[rng.integers(0, len(days), 40)]],
            "timing": "during_market",
        }
    )
    study = es.EventStudy(events)
    res = study.run(prices=PriceSet(frames=frames, source="synthetic"))
    ranges = study.date_ranges()
    prices = PriceSet(frames=frames)
    flags = ref.ticker_flags(
        prices, ranges, lambda t: exchange_sessions(_safe_benchmark_mic(t, "XNYS"))
    )
    want, counts = ref.event_flags(res.events, study.event_spans(), flags)
    got = res.events["data_flags"].tolist()
    assert got == want
    assert sum(bool(t) for t in got) > 10  # the data really has flags
    assert res.meta["data_quality"]["by_kind"] == dict(counts)
    kinds = set(counts)
    assert {
        "missing_sessions",
        "stale_prices",
        "split_jump",
        "nonpositive_price",
        "not_a_session",
    } <= kinds
