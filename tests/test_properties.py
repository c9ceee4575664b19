"""Properties of the engine that hold for any data (hypothesis, deterministic).

- CAR is the sum of the ARs over its window, and SE(CAR) is ``sqrt(1'V1)`` with
  the full covariance ``V = sigma^2 (I + X*(X'X)^-1 X*')``;
- a price series built exactly so that returns follow the model has AR == 0;
- results do not depend on the order of events or of price rows;
- several events of one firm are kept apart: each has the numbers of a study
  with that event alone (the cross-sectional tests aside).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy import EventStudy
from eventstudy.data.base import PriceSet
from tests.reference import assert_tables_match, xnys_sessions

N_SESSIONS = 150
EST, EVT = (-60, -6), (-3, 3)
OPTIONS = {
    "estimation_window": EST,
    "event_window": EVT,
    "min_estimation": 30,
    "car_windows": ((0, 0), (-1, 1), (-3, 3)),
}
MODELS = ("market", "constant_mean", "market_adjusted")
FIRST_DAY0, LAST_DAY0 = 66, N_SESSIONS - 2  # late day 0s give pending events
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True)
TOL = 1e-12


def sessions() -> pd.DatetimeIndex:
    s = xnys_sessions()
    return s[s >= "2019-01-02"][:N_SESSIONS]


def market_prices(
    seed: int, n_firms: int, missing: int, exact: str | None = None
) -> tuple[pd.DataFrame, dict[str, tuple[float, float]]]:
    """Long prices for ``^GSPC`` and firms ``F0..``; ``missing`` rows dropped per firm.

    ``exact``: returns exactly ``alpha + beta R_m`` of that model (no noise).
    """
    rng = np.random.default_rng(seed)
    days = sessions()
    market = rng.normal(3e-4, 0.01, N_SESSIONS)
    frames = [
        pd.DataFrame({"date": days, "ticker": "^GSPC", "adj_close": 3000 * np.cumprod(1 + market)})
    ]
    params = {}
    for j in range(n_firms):
        alpha, beta = rng.uniform(-2e-3, 2e-3), rng.uniform(0.2, 1.8)
        if exact == "market_adjusted":
            alpha, beta = 0.0, 1.0
        elif exact == "constant_mean":
            beta = 0.0
        ret = alpha + beta * market
        if exact is None:
            ret = ret + 0.015 * rng.standard_t(4, N_SESSIONS)
        prices = rng.uniform(5, 500) * np.cumprod(1 + ret)
        keep = np.ones(N_SESSIONS, dtype=bool)
        keep[rng.choice(N_SESSIONS, size=missing, replace=False)] = False
        frames.append(
            pd.DataFrame({"date": days[keep], "ticker": f"F{j}", "adj_close": prices[keep]})
        )
        params[f"F{j}"] = (alpha, beta)
    return pd.concat(frames, ignore_index=True), params


def price_set(prices: pd.DataFrame) -> PriceSet:
    """The same prices as a ready :class:`PriceSet` (skips the DataFrame reader: faster)."""
    frames = {
        str(t): g.set_index(pd.DatetimeIndex(g["date"], name="date"))[["adj_close"]]
        for t, g in prices.groupby("ticker")
    }
    return PriceSet(frames=frames, source="hypothesis")


def events_frame(pairs: list[tuple[int, int]]) -> pd.DataFrame:
    days = sessions()
    return pd.DataFrame(
        {
            "event_id": [f"e{k}" for k in range(len(pairs))],
            "ticker": [f"F{firm}" for firm, _ in pairs],
            "date": [str(days[pos].date()) for _, pos in pairs],
            "benchmark": "^GSPC",
        }
    )


@st.composite
def studies(draw, max_firms: int = 3):
    seed = draw(st.integers(0, 2**32 - 1))
    n_firms = draw(st.integers(1, max_firms))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n_firms - 1), st.integers(FIRST_DAY0, LAST_DAY0)),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    missing = draw(st.integers(0, 4))
    model = draw(st.sampled_from(MODELS))
    return seed, n_firms, pairs, missing, model


car_windows = st.lists(
    st.tuples(st.integers(*EVT), st.integers(*EVT)).map(lambda w: (min(w), max(w))),
    min_size=1,
    max_size=3,
    unique=True,
)


def full_covariance(res, event_id: str, days: list[int]) -> np.ndarray:
    """``V`` over ``days`` from the engine's own estimation and AR tables."""
    sigma = float(res.events.set_index("event_id").loc[event_id, "sigma"])
    if res.settings.model == "market_adjusted":
        return sigma**2 * np.eye(len(days))
    est = res.estimation[res.estimation["event_id"] == event_id]
    ar = res.ar[res.ar["event_id"] == event_id].set_index("rel_day").loc[days]

    def design(bench: pd.Series) -> np.ndarray:
        ones = np.ones((len(bench), 1))
        if res.settings.model == "constant_mean":
            return ones
        return np.column_stack([ones, bench.to_numpy()])

    x, xs = design(est["benchmark_ret"]), design(ar["benchmark_ret"])
    return sigma**2 * (np.eye(len(days)) + xs @ np.linalg.inv(x.T @ x) @ xs.T)


@SETTINGS
@given(studies(), car_windows)
def test_car_is_sum_of_ar_and_se_uses_full_covariance(study, windows):
    seed, n_firms, pairs, missing, model = study
    prices, _ = market_prices(seed, n_firms, missing)
    res = EventStudy(events_frame(pairs), model=model, **(OPTIONS | {"car_windows": windows})).run(
        prices=price_set(prices)
    )
    ar = res.ar.set_index(["event_id", "rel_day"]).sort_index()
    numbered = res.events.loc[res.events["sigma"].notna(), "event_id"]
    for eid in numbered:
        a = ar.loc[eid, "ar"]
        cum = np.cumsum(a.to_numpy())  # NaN from a missing AR on
        np.testing.assert_allclose(ar.loc[eid, "car"].to_numpy(), cum, rtol=0, atol=TOL)
        for w in windows:
            days = list(range(w[0], w[1] + 1))
            row = res.car[
                (res.car["event_id"] == eid) & (res.car["start"] == w[0]) & (res.car["end"] == w[1])
            ]
            complete = all(d in a.index for d in days) and a.reindex(days).notna().all()
            assert len(row) == int(complete), (eid, w)  # a CAR exactly when fully observed
            if not complete:
                continue
            r = row.iloc[0]
            assert abs(r["car"] - a.loc[days].sum()) <= TOL
            v = full_covariance(res, eid, days)
            se = float(np.sqrt(np.ones(len(days)) @ v @ np.ones(len(days))))
            assert abs(r["se"] - se) <= 1e-10 * se
            np.testing.assert_allclose(
                ar.loc[eid].loc[days, "se"], np.sqrt(np.diag(v)), rtol=1e-10, atol=0
            )
            assert abs(r["t"] - r["car"] / se) <= 1e-9 * max(1, abs(r["t"]))
            assert r["scar"] == r["t"]


@SETTINGS
@given(studies(), st.sampled_from(MODELS))
def test_ar_is_zero_when_returns_follow_the_model_exactly(study, model):
    seed, n_firms, pairs, missing, _ = study
    prices, params = market_prices(seed, n_firms, missing, exact=model)
    res = EventStudy(events_frame(pairs), model=model, **OPTIONS).run(prices=price_set(prices))
    # An exact fit is degenerate (t would be rounding noise): every event that was
    # fitted fails with that reason instead of reporting t-statistics of noise.
    ev = res.events
    fitted = ev[ev["reason"].astype(str).str.startswith("degenerate fit")]
    others = ev[~ev.index.isin(fitted.index)]
    assert (fitted["status"] == "failed").all()
    assert not (others["status"] == "ok").any(), others[["status", "reason"]]
    assert res.ar["ar"].dropna().empty or (res.ar["ar"].dropna().abs() <= 1e-12).all()
    del params


def assert_same_study(a, b, tol: float = TOL) -> None:
    num = ["n_est", "sigma", *a.events.columns.intersection(["alpha", "beta", "mu"]), "r2"]
    assert_tables_match(
        a.events, b.events, ["event_id"], ["status", "reason", *num], tol=tol, label="events"
    )
    assert_tables_match(
        a.ar,
        b.ar,
        ["event_id", "rel_day"],
        ["ret", "benchmark_ret", "expected", "ar", "se", "car"],
        tol=tol,
        label="ar",
    )
    assert_tables_match(
        a.car,
        b.car,
        ["event_id", "start", "end"],
        ["car", "se", "t", "p_value", "scar"],
        tol=tol,
        label="car",
    )


@SETTINGS
@given(studies(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_event_or_price_row_order(study, rnd):
    seed, n_firms, pairs, missing, model = study
    prices, _ = market_prices(seed, n_firms, missing)
    events = events_frame(pairs)
    a = EventStudy(events, model=model, **OPTIONS).run(prices=prices)
    order = list(range(len(events)))
    rnd.shuffle(order)
    rows = np.random.default_rng(seed).permutation(len(prices))
    b = EventStudy(events.iloc[order].reset_index(drop=True), model=model, **OPTIONS).run(
        prices=prices.iloc[rows]
    )
    assert_same_study(a, b)
    assert_tables_match(
        a.tests,
        b.tests,
        ["start", "end", "statistic"],
        ["value", "p_value", "n", "caar"],
        tol=TOL,
        label="tests",
    )
    assert_tables_match(
        a.aar,
        b.aar,
        ["rel_day"],
        [c for c in a.aar.columns if c != "rel_day"],
        tol=TOL,
        label="aar",
    )
    kp_a, kp_b = pd.Series(a.meta["kp_r"]), pd.Series(b.meta["kp_r"])
    np.testing.assert_allclose(kp_a, kp_b.loc[kp_a.index], rtol=0, atol=TOL)  # NaN == NaN


@SETTINGS
@given(
    st.integers(0, 2**32 - 1),
    st.lists(st.integers(FIRST_DAY0, LAST_DAY0), min_size=2, max_size=4, unique=True),
    st.integers(0, 3),
    st.sampled_from(MODELS),
    st.data(),
)
def test_events_of_one_firm_are_kept_apart(seed, positions, missing, model, data):
    prices = price_set(market_prices(seed, 2, missing)[0])
    pairs = [(0, p) for p in positions] + [(1, positions[0])]  # plus another firm, same day
    events = events_frame(pairs)
    together = EventStudy(events, model=model, **OPTIONS).run(prices=prices)
    k = data.draw(st.integers(0, len(positions) - 1), label="event studied alone")
    alone = EventStudy(events.iloc[[k]], model=model, **OPTIONS).run(prices=prices)
    eid = events["event_id"].iloc[k]

    only = SimpleNamespace(
        **{  # the tables of `together` restricted to event `eid`
            name: getattr(together, name)[getattr(together, name)["event_id"] == eid]
            for name in ("events", "ar", "car")
        }
    )
    assert_same_study(only, alone)
