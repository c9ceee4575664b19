"""Abnormal volatility against an independent computation from the estimation residuals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import eventstudy as es
from tests.conftest import ROOT, SAMPLE_PRICES


@pytest.fixture(scope="module")
def res() -> es.StudyResult:
    return es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)


def test_variance_ratio_from_the_estimation_residuals(res):
    est = res.estimation
    for row in res.volatility.itertuples(index=False):
        e = est[est["event_id"] == row.event_id]["resid"].dropna().to_numpy()
        d = len(e) - 2  # market model
        sigma2 = (e**2).sum() / d
        a = res.ar[
            (res.ar["event_id"] == row.event_id) & res.ar["rel_day"].between(row.start, row.end)
        ]
        vr = (a["ar"].to_numpy() ** 2).mean() / sigma2
        assert row.var_ratio == pytest.approx(vr, rel=1e-12)
        assert (row.df_num, row.df_den) == (len(a), d)
        assert row.p_value == pytest.approx(stats.f.sf(vr, len(a), d), rel=1e-9, abs=1e-300)


def test_the_oracle_jump_is_abnormally_volatile(res):
    v = res.volatility.set_index(["event_id", "start", "end"])
    assert v.loc[("orcl-peer-2025", -10, 10), "p_value"] < 1e-10
    assert np.isfinite(v["p_value"]).all()
