"""Events with too few estimation returns end ``skipped`` with the count, never a crash.

Found on real data: three MSFT events in 2014 against a ``^GSPC`` file that starts
in 2015 crashed the batched fit whenever the number of such events was neither 1
nor k. Here the benchmark (or, for ``constant_mean``, the stock) starts late, so
the first events of the study have only a few estimation returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from eventstudy import EventStudy
from eventstudy.settings import FACTOR_MODELS
from tests.reference import xnys_sessions

MODELS = ("market", "constant_mean", "market_adjusted", "ff3", "carhart", "ff5")
OPTIONS = {
    "estimation_window": (-60, -6),
    "event_window": (-3, 3),
    "min_estimation": 30,
    "car_windows": ((0, 0), (-1, 1)),
}
LATE_START = 80  # the late series begins at this session


def _data(seed: int = 3) -> tuple[pd.DatetimeIndex, pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    days = xnys_sessions()
    days = days[days >= "2019-01-02"][:300]
    market = rng.normal(3e-4, 0.01, len(days))
    stock = 1e-4 + 1.1 * market + rng.normal(0, 0.015, len(days))
    late = days[LATE_START:]
    prices = pd.concat(
        [
            pd.DataFrame(
                {
                    "date": late,
                    "ticker": "^GSPC",
                    "adj_close": 3000 * np.cumprod(1 + market[LATE_START:]),
                }
            ),
            pd.DataFrame({"date": days, "ticker": "FULL", "adj_close": 50 * np.cumprod(1 + stock)}),
            pd.DataFrame(
                {
                    "date": late,
                    "ticker": "LATE",
                    "adj_close": 20 * np.cumprod(1 + stock[LATE_START:]),
                }
            ),
        ],
        ignore_index=True,
    )
    names = sorted({f for fs in FACTOR_MODELS.values() for f in fs})
    factors = pd.DataFrame(rng.normal(0, 0.005, (len(days), len(names))), index=days, columns=names)
    factors.loc[days[:LATE_START], :] = np.nan  # factors start late as well
    factors = factors.dropna()
    factors["RF"] = 1e-4
    return days, prices, factors


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("n_short", [0, 1, 2, 3, "k", "k+1"])
def test_short_estimation_windows_are_skipped(model: str, n_short: int | str):
    k = {"market": 2, "constant_mean": 1, "market_adjusted": 0}.get(
        model, 1 + len(FACTOR_MODELS.get(model, ()))
    )
    count = {"k": k, "k+1": k + 1}.get(str(n_short), n_short)
    assert isinstance(count, int)
    days, prices, factors = _data()
    # A short event: day 0 just after the late start, so its estimation window
    # [-60, -6] ends before (0 returns) or just after (1 or 2 returns) the late
    # series begins: at most k rows, the case that broke the batched fit.
    ticker = "LATE" if model == "constant_mean" else "FULL"
    short_day0 = [days[LATE_START + 5 + i] for i in range(count)]
    ok_day0 = [days[200], days[220], days[240]]
    rows = [
        {
            "event_id": f"short{i}",
            "ticker": ticker,
            "date": d.date().isoformat(),
            "timing": "before_open",
            "benchmark": "^GSPC",
        }
        for i, d in enumerate(short_day0)
    ]
    rows += [
        {
            "event_id": f"ok{i}",
            "ticker": ticker,
            "date": d.date().isoformat(),
            "timing": "before_open",
            "benchmark": "^GSPC",
        }
        for i, d in enumerate(ok_day0)
    ]
    study = EventStudy(
        pd.DataFrame(rows),
        model=model,
        factors=factors if model in FACTOR_MODELS else None,
        **OPTIONS,
    )
    res = study.run(prices=prices)
    ev = res.events.set_index("event_id")
    assert len(ev) == count + 3  # nothing dropped
    for i in range(count):
        row = ev.loc[f"short{i}"]
        assert row["status"] == "skipped", row["reason"]
        assert row["reason"].startswith("only ") and "estimation returns" in row["reason"]
        n = int(row["reason"].split()[1])
        assert 0 <= n < OPTIONS["min_estimation"]
    for i in range(3):
        assert ev.loc[f"ok{i}", "status"] == "ok", ev.loc[f"ok{i}", "reason"]
    assert set(res.car["event_id"]) == {"ok0", "ok1", "ok2"}
    assert np.isfinite(res.car["car"]).all()
