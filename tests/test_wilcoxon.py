"""The vectorised Wilcoxon signed-rank test of more than 50 events (``W+`` from two
sorts) against scipy, with zeros and ties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from eventstudy.inference.rank import _signed_rank_sum, wilcoxon_asymptotic


@pytest.mark.parametrize("n", [51, 200, 5_000])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_matches_scipy_with_zeros_and_ties(n: int, alternative: str):
    rng = np.random.default_rng(n)
    x = np.round(rng.normal(0.1, 1.0, n), 1)  # many ties, some zeros
    x[:3] = 0.0
    w_plus, p = wilcoxon_asymptotic(x, alternative)
    d = x[x != 0]
    assert w_plus == stats.rankdata(np.abs(d))[d > 0].sum()
    ref = stats.wilcoxon(x, alternative=alternative, method="approx")
    assert p == pytest.approx(ref.pvalue, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-6, 6), min_size=1, max_size=80))
def test_signed_rank_sum_equals_rankdata(values: list[int]):
    d = np.array([v for v in values if v], dtype=float) / 4.0
    if not len(d):
        return
    w_plus, sizes = _signed_rank_sum(d)
    assert w_plus == stats.rankdata(np.abs(d))[d > 0].sum()
    assert sorted(sizes.tolist()) == sorted(np.unique(np.abs(d), return_counts=True)[1].tolist())
