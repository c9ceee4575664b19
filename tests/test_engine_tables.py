"""Consistency of the engine's tables with each other (cumulative CAR SE, statuses)."""

from __future__ import annotations

import numpy as np
import pytest

import eventstudy as es


@pytest.mark.parametrize("model", ["market", "constant_mean", "market_adjusted"])
def test_cumulative_car_se_matches_the_full_window_se(golden, model):
    res = es.EventStudy(golden / "events.csv", model=model).run(prices=golden / "prices.csv")
    ar = res.ar.set_index(["event_id", "rel_day"])
    first = ar.xs(-10, level="rel_day")
    np.testing.assert_allclose(first["car_se"], first["se"], rtol=1e-12)
    full = res.car.query("start == -10 and end == 10").set_index("event_id")
    last = ar.xs(10, level="rel_day").loc[full.index]
    np.testing.assert_allclose(last["car_se"], full["se"], rtol=1e-12)
    np.testing.assert_allclose(last["car"], full["car"], rtol=1e-12, atol=1e-15)
    # after a missing AR the cumulative CAR (and its SE) are not defined
    assert ar["car_se"].isna().equals(ar["car"].isna())
