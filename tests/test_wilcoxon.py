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


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_exact_pmf_equals_enumeration_of_every_sign_pattern(n: int):
    from itertools import product

    from eventstudy.inference.rank import wilcoxon_pmf

    sums = [
        sum(r for r, s in zip(range(1, n + 1), signs, strict=True) if s)
        for signs in product([0, 1], repeat=n)
    ]
    counts = np.bincount(sums, minlength=n * (n + 1) // 2 + 1)
    assert np.array_equal(wilcoxon_pmf(n), counts / 2.0**n)
    assert wilcoxon_pmf(50).sum() == pytest.approx(1.0, abs=1e-15)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(2, 50),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["two-sided", "greater", "less"]),
    st.booleans(),
)
def test_small_samples_equal_scipy_exactly(n: int, seed: int, alternative: str, ties: bool):
    from eventstudy.inference.rank import wilcoxon_columns

    rng = np.random.default_rng(seed)
    x = rng.standard_t(3, n) + rng.normal(0, 0.5)
    if ties:  # zeros and ties: scipy's own permutation or approximate p
        x = np.round(x, 0)
    w, p, _ = wilcoxon_columns(x[:, None], np.ones((n, 1), bool), alternative)
    d = x[x != 0]
    if not len(d):
        assert np.isnan(p[0])
        return
    assert w[0] == stats.rankdata(np.abs(d))[d > 0].sum()
    assert p[0] == stats.wilcoxon(x, alternative=alternative).pvalue
