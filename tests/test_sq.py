"""The sample-quantile test of one event (Gelbach, Helland & Klick 2013)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.inference.sq import MIN_SUMS, sq_test


def _reference(resid: np.ndarray, car: float, length: int) -> tuple[float, int]:
    """Direct loop: every run of ``length`` present residuals, summed one by one."""
    sums = []
    for j in range(len(resid) - length + 1):
        block = resid[j : j + length]
        if np.isfinite(block).all():
            sums.append(float(np.sum(block)))
    m = len(sums)
    if not np.isfinite(car) or m < MIN_SUMS:
        return float("nan"), m
    below = sum(s <= car for s in sums)
    above = sum(s >= car for s in sums)
    return min(1.0, 2.0 * min(below, above) / m), m


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(5, 120),
    st.floats(0.0, 0.3),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_sq_equals_a_direct_loop(n, t, missing, on_grid, seed):
    """Also on a coarse grid (whole numbers), where CARs tie with many sums."""
    rng = np.random.default_rng(seed)
    resid = rng.standard_t(4, (n, t)) * 0.01
    lengths = np.array([1, 2, 3, 11, 21])
    car = rng.normal(0, 0.03, (n, len(lengths)))
    if on_grid:
        resid, car = np.round(resid * 300.0), np.round(car * 100.0)
    resid[rng.random((n, t)) < missing] = np.nan
    car[rng.random(car.shape) < 0.1] = np.nan
    p, m = sq_test(resid, car, lengths)
    for i in range(n):
        for c, length in enumerate(lengths.tolist()):
            want_p, want_m = _reference(resid[i], car[i, c], length)
            if length <= t:
                assert m[i, c] == want_m
            np.testing.assert_equal(p[i, c], want_p)


def test_sq_rejects_in_the_tails_only():
    resid = np.linspace(-0.05, 0.05, 201)[None, :]  # one-day sums: the residuals
    lengths = np.array([1])
    p_mid, _ = sq_test(resid, np.array([[0.0]]), lengths)
    p_far, _ = sq_test(resid, np.array([[0.2]]), lengths)
    p_edge, _ = sq_test(resid, np.array([[0.0452]]), lengths)
    assert p_mid[0, 0] == 1.0
    assert p_far[0, 0] == 0.0
    assert p_edge[0, 0] == 2.0 * 10 / 201  # 10 of 201 sums are >= 0.0452


def test_sq_in_car_table_equals_the_estimation_residuals_on_the_sample_study():
    """Real prices (bundled sample): car.csv's sq_p from each event's own residuals."""
    import eventstudy as es
    from tests.conftest import ROOT, SAMPLE_PRICES

    res = es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)
    est = res.estimation
    assert res.car["sq_p"].notna().all()
    for row in res.car.itertuples(index=False):
        e = est[est["event_id"] == row.event_id].sort_values("rel_day")
        full = np.full(240, np.nan)  # estimation window [-250, -11]
        full[e["rel_day"].to_numpy() + 250] = e["resid"].to_numpy()
        want, m = _reference(full, row.car, row.end - row.start + 1)
        assert m >= MIN_SUMS
        assert row.sq_p == want, (row.event_id, row.start, row.end)
    founding = res.car[(res.car["event_id"] == "msft-openai-mou-2025") & (res.car["start"] == 0)]
    assert founding["sq_p"].iloc[0] == 2.0 * 8 / 240  # 8 of 240 one-day residuals >= +1.80%
