"""Buy-and-hold abnormal returns against hand computation and the skewness-adjusted t."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import eventstudy as es
from eventstudy.bhar import skewness_adjusted_t
from eventstudy.inference.extra import SKEW_REPS
from tests.conftest import ROOT, SAMPLE_PRICES
from tests.test_extra_tests import plain_skew_boot_p


@pytest.fixture(scope="module")
def res() -> es.StudyResult:
    return es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)


def test_bhar_equals_products_of_the_ar_table(res):
    for row in res.bhar.itertuples(index=False):
        a = res.ar[
            (res.ar["event_id"] == row.event_id) & res.ar["rel_day"].between(row.start, row.end)
        ]
        bh = np.prod(1 + a["ret"].to_numpy()) - 1
        ex = np.prod(1 + a["expected"].to_numpy()) - 1
        bm = np.prod(1 + a["benchmark_ret"].to_numpy()) - 1
        assert row.bhar == pytest.approx(bh - ex, abs=1e-15)
        assert row.bhar_benchmark == pytest.approx(bh - bm, abs=1e-15)
    assert len(res.bhar) == len(res.car)  # every event and window with a CAR


def test_bhar_tests_by_hand(res):
    t = res.bhar_tests.set_index(["start", "end", "measure"])
    x = res.bhar[(res.bhar["start"] == -5) & (res.bhar["end"] == 5)]["bhar"].to_numpy()
    row = t.loc[(-5, 5, "bhar")]
    ref = stats.ttest_1samp(x, 0.0)
    assert row["t"] == pytest.approx(ref.statistic, abs=1e-12)
    assert row["p_value"] == pytest.approx(ref.pvalue, abs=1e-12)
    n, m, sd = len(x), x.mean(), x.std(ddof=1)
    g = ((x - m) ** 3).sum() / (n * sd**3)
    s = m / sd
    assert row["skew_t"] == pytest.approx(np.sqrt(n) * (s + g * s * s / 3 + g / (6 * n)), abs=1e-12)
    assert row["skew_p_normal"] == pytest.approx(2 * stats.norm.sf(abs(row["skew_t"])), abs=1e-12)
    j = list(t.index).index((-5, 5, "bhar"))  # the bootstrap stream of this window and measure
    cfg = res.settings
    want = plain_skew_boot_p(list(x), row["skew_t"], SKEW_REPS, (cfg.seed, 2, j))
    assert row["skew_p"] == pytest.approx(want, abs=1e-15)


def test_skewness_adjusted_t_reduces_to_t_for_symmetric_data():
    x = np.array([-2.0, -1.0, 0.5, 1.0, 2.0, -0.5])  # third central moment 0
    t = x.mean() / (x.std(ddof=1) / np.sqrt(len(x)))
    assert skewness_adjusted_t(x) == pytest.approx(t, abs=1e-15)
