"""Row-wise average ranks (Corrado) against scipy."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 12),
    st.integers(1, 80),
    st.sampled_from(["normal", "integers", "ulp", "specials"]),
    st.floats(0.0, 0.5),
    st.integers(0, 2**32 - 1),
)
def test_row_ranks_equal_scipy_rankdata(n, t, kind, missing, seed):
    """The sort-based row ranks equal scipy's average ranks exactly (ties, -0.0, ulps, NaN)."""
    from scipy import stats

    from eventstudy.inference.rowranks import row_ranks

    rng = np.random.default_rng(seed)
    if kind == "normal":
        x = rng.standard_normal((n, t))
    elif kind == "integers":
        x = rng.integers(-3, 4, (n, t)).astype(float)
    elif kind == "ulp":  # values a few units in the last place apart: near-tie groups
        base = rng.standard_normal((n, 1))
        x = base + rng.integers(0, 5, (n, t)) * np.spacing(base)
    else:
        x = rng.choice([0.0, -0.0, np.inf, -np.inf, 1e-300, -1e-300, 5e-324, 1.0], (n, t))
    x[rng.random((n, t)) < missing] = np.nan
    expected = stats.rankdata(x, axis=1, nan_policy="omit")
    assert np.array_equal(row_ranks(x), expected, equal_nan=True)
