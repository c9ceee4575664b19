"""Confidence intervals of CAR and CAAR against statsmodels and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import eventstudy as es
from tests.conftest import ROOT, SAMPLE_PRICES


@pytest.fixture(scope="module")
def res() -> es.StudyResult:
    return es.EventStudy.from_csv(ROOT / "events.csv", conf_level=0.9).run(prices=SAMPLE_PRICES)


def test_car_interval_is_the_t_interval_of_the_event(res):
    car = res.car
    q = stats.t.ppf(0.95, car["df"].to_numpy())
    np.testing.assert_allclose(car["ci_low"], car["car"] - q * car["se"], rtol=0, atol=1e-15)
    np.testing.assert_allclose(car["ci_high"], car["car"] + q * car["se"], rtol=0, atol=1e-15)
    # market model: d = L1 - 2
    ev = res.events.set_index("event_id")
    assert (
        car["df"].to_numpy() == ev.loc[car["event_id"].astype(str), "n_est"].to_numpy() - 2
    ).all()
    assert res.meta["settings"]["conf_level"] == 0.9


def test_caar_interval_equals_statsmodels_mean_interval(res):
    t = res.tests[res.tests["statistic"] == "t_cs"]
    for row in t.itertuples(index=False):
        x = res.car[(res.car["start"] == row.start) & (res.car["end"] == row.end)]["car"]
        lo, hi = sm.stats.DescrStatsW(x.to_numpy()).tconfint_mean(alpha=0.1)
        assert row.caar_ci_low == pytest.approx(lo, abs=1e-14)
        assert row.caar_ci_high == pytest.approx(hi, abs=1e-14)


def test_conf_int_any_level(res):
    ci = res.conf_int(0.99)
    assert set(ci["level"]) == {0.99}
    one = ci[(ci["event_id"] == "msft-openai-mou-2025") & (ci["start"] == 0) & (ci["end"] == 0)]
    row = res.car[(res.car["event_id"] == "msft-openai-mou-2025") & (res.car["start"] == 0)].iloc[0]
    q = stats.t.ppf(0.995, row["df"])
    assert one["ci_low"].iloc[0] == pytest.approx(row["car"] - q * row["se"], abs=1e-15)
    caar = ci[(ci["event_id"] == "CAAR") & (ci["start"] == -1) & (ci["end"] == 1)].iloc[0]
    x = res.car[(res.car["start"] == -1) & (res.car["end"] == 1)]["car"].to_numpy()
    lo, hi = sm.stats.DescrStatsW(x).tconfint_mean(alpha=0.01)
    assert (caar["ci_low"], caar["ci_high"]) == pytest.approx((lo, hi), abs=1e-14)
    default = res.conf_int()
    pd.testing.assert_series_equal(
        default[default["event_id"] != "CAAR"]["ci_low"].reset_index(drop=True),
        res.car["ci_low"].reset_index(drop=True),
        check_names=False,
    )
    with pytest.raises(ValueError, match="between 0 and 1"):
        res.conf_int(1.5)


def test_bad_conf_level_is_a_settings_error():
    from eventstudy.errors import SettingsError

    with pytest.raises(SettingsError, match="conf_level"):
        es.EventStudy.from_csv(ROOT / "events.csv", conf_level=95)
