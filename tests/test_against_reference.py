"""The vectorised engine against the plain per-event reference (``tests/reference.py``).

Synthetic data (seeded ``numpy.random.default_rng``) with clustered events, a
second event of the same firm with overlapping windows, missing price rows
(stock and benchmark), a pending event at the data end, a skipped event and a
weekend date; and the real price files of ``../shared/data/prices``. Every
number must agree to ``1e-10 * max(1, |reference|)``, for the models
``market``, ``constant_mean`` and ``market_adjusted`` and for default and
non-default windows.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from eventstudy import EventStudy
from tests.reference import (
    PARAM_NAMES,
    assert_tables_match,
    read_price_folder,
    reference_study,
    resolve_day0,
    xnys_sessions,
)

PRICES = Path(__file__).resolve().parents[2] / "shared" / "data" / "prices"
MODELS = ("market", "constant_mean", "market_adjusted")
CUSTOM = {
    "estimation_window": (-120, -6),
    "event_window": (-5, 8),
    "car_windows": ((0, 0), (-5, 8), (1, 3), (-2, 2)),
    "min_estimation": 60,
}
needs_prices = pytest.mark.skipif(
    not all((PRICES / f).is_file() for f in ("MSFT.csv", "GSPC.csv", "SPY.csv")),
    reason=f"real price files MSFT.csv, GSPC.csv, SPY.csv not found in {PRICES}",
)


# --------------------------------------------------------------------------- data


def synthetic(seed: int = 20240611) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Prices (long form, rows absent where missing) and events for one synthetic study."""
    rng = np.random.default_rng(seed)
    all_sessions = xnys_sessions()
    sessions = all_sessions[(all_sessions >= "2017-01-03") & (all_sessions <= "2020-06-30")]
    n = len(sessions)
    market = rng.normal(3e-4, 0.01, n)
    industry = rng.normal(0.0, 0.008, n)
    frames = [
        pd.DataFrame(
            {"date": sessions, "ticker": "^GSPC", "adj_close": 2500 * np.cumprod(1 + market)}
        )
    ]
    tickers = [f"A{i}" for i in range(8)]
    for i, t in enumerate(tickers):
        eps = 0.012 * rng.standard_t(5, n)
        ret = rng.normal(2e-4, 5e-4) + rng.uniform(0.5, 1.6) * market + eps
        if i < 4:
            ret = ret + 0.8 * industry  # correlated residuals: KP r matters
        frames.append(
            pd.DataFrame({"date": sessions, "ticker": t, "adj_close": 40 * np.cumprod(1 + ret)})
        )
    prices = pd.concat(frames, ignore_index=True)

    d1, d2 = 400, 520  # session positions of the cluster and of a second group

    def day(p: int) -> str:
        return str(sessions[p].date())

    events = pd.DataFrame(
        [
            ("c0", "A0", day(d1), ""),
            ("c1", "A1", day(d1), "before_open"),
            ("c2", "A2", day(d1 - 1), "after_close"),
            ("c3", "A3", day(d1), "during_market"),
            ("c0b", "A0", day(d1 + 4), ""),  # same firm, windows overlap c0's
            ("g4", "A4", day(d2), ""),
            ("g5", "A5", day(d2 + 1), ""),
            ("g6", "A6", day(d2 + 30), ""),
            ("pend", "A6", day(n - 3), ""),  # event window runs past the data
            ("future", "A5", "2020-08-14", ""),  # even the estimation window does
            ("early", "A7", day(90), ""),  # skipped with the defaults, ok with CUSTOM
            ("wkend", "A7", "2019-06-15", ""),  # a Saturday -> Monday 2019-06-17
            ("a1", "A1", day(d2 + 60), "after_close"),
        ],
        columns=["event_id", "ticker", "date", "timing"],
    ).assign(benchmark="^GSPC")

    def drop(ticker: str, positions) -> None:
        nonlocal prices
        dates = sessions[list(positions)]
        prices = prices[~((prices["ticker"] == ticker) & prices["date"].isin(dates))]

    drop("A1", [d1 - 200, d1 - 150, d1 - 149, d1 - 60])  # estimation window of c1
    drop("A2", [d1 + 2])  # no AR on +2 and +3 of c2
    drop("A0", [d1 + 4 - 30])  # estimation window of c0b, inside c0's
    drop("^GSPC", [d2 - 4, d2 - 100])  # market-based models: no AR on -4, -3 of g4
    drop("A5", [d2 + 1 + 5])  # g5: +5 and +6 missing
    return prices.reset_index(drop=True), events


def with_day0(events: pd.DataFrame) -> pd.DataFrame:
    sessions = xnys_sessions()
    return events.assign(
        day0=[
            resolve_day0(d, t, sessions)
            for d, t in zip(events["date"], events["timing"], strict=True)
        ]
    )


def real_events() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("msft_openai", "MSFT", "2025-09-11", "after_close"),
            ("spy_same_day", "SPY", "2025-09-11", "after_close"),  # clustered with msft_openai
            ("msft_overlap", "MSFT", "2025-09-16", "before_open"),  # same firm, overlapping
            ("msft_q4_25", "MSFT", "2025-07-30", "after_close"),
            ("msft_q3_25", "MSFT", "2025-04-30", "after_close"),
            ("msft_q2_25", "MSFT", "2025-01-29", "after_close"),
            ("msft_q1_25", "MSFT", "2024-10-30", "after_close"),
            ("spy_q1_25", "SPY", "2024-10-30", "after_close"),
            ("msft_linkedin", "MSFT", "2016-06-13", "before_open"),
            ("msft_2015", "MSFT", "2015-06-01", ""),  # ~100 returns of ^GSPC: skipped
            ("msft_dec", "MSFT", "2025-12-19", ""),  # ^GSPC ends 2025-12-31: pending
        ],
        columns=["event_id", "ticker", "date", "timing"],
    ).assign(benchmark="^GSPC")


# --------------------------------------------------------------------------- comparison


def assert_same_dates(
    actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], col: str
) -> None:
    a = pd.to_datetime(actual.set_index(keys)[col]).sort_index()
    e = pd.to_datetime(expected.set_index(keys)[col]).sort_index()
    assert list(a.index) == list(e.index) and list(a) == list(e), col


def assert_study_matches(eng, ref, model: str) -> None:
    ev_cols = ["status", "reason", "n_est", "sigma", *PARAM_NAMES[model], "r2"]
    assert_tables_match(eng.events, ref.events, ["event_id"], ev_cols, label="events")
    assert_same_dates(eng.events, ref.events, ["event_id"], "day0")
    keys = ["event_id", "rel_day"]
    assert_tables_match(
        eng.ar, ref.ar, keys, ["ret", "benchmark_ret", "expected", "ar", "car"], label="ar"
    )
    assert_same_dates(eng.ar, ref.ar, keys, "date")
    assert_tables_match(eng.ar, ref.ar, keys, ["se"], label="ar se", rows=ref.ar["ar"].notna())
    assert_tables_match(
        eng.car,
        ref.car,
        ["event_id", "start", "end"],
        ["car", "se", "t", "p_value", "scar"],
        label="car",
    )
    classic = set(ref.tests["statistic"])  # the reference has the section-5 tests only
    assert classic <= set(eng.tests["statistic"])
    assert_tables_match(
        eng.tests[eng.tests["statistic"].isin(classic)],
        ref.tests,
        ["start", "end", "statistic"],
        ["value", "p_value", "n", "caar"],
        label="tests",
    )
    assert_tables_match(
        eng.aar, ref.aar, ["rel_day"], [c for c in ref.aar.columns if c != "rel_day"], label="aar"
    )
    assert set(eng.meta["kp_r"]) == set(ref.meta["kp_r"])
    for w, r in ref.meta["kp_r"].items():
        e = eng.meta["kp_r"][w]
        assert (math.isnan(r) and math.isnan(e)) or abs(e - r) <= 1e-10, (w, e, r)


CONFIGS = [(m, "default") for m in MODELS] + [(m, "custom") for m in MODELS]


def _options(model: str, windows: str) -> dict:
    return {"model": model, **(CUSTOM if windows == "custom" else {})}


@functools.cache
def synthetic_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    return synthetic()


@functools.cache
def synthetic_run(model: str, windows: str):
    """Engine and reference on the synthetic study (each configuration computed once)."""
    prices, events = synthetic_data()
    opts = _options(model, windows)
    eng = EventStudy(events, **opts).run(prices=prices)
    ref = reference_study(prices, with_day0(events), xnys_sessions(), **opts)
    return eng, ref


@pytest.fixture(params=CONFIGS, ids=[f"{m}-{w}" for m, w in CONFIGS])
def synthetic_pair(request):
    return (request.param, *synthetic_run(*request.param))


def test_synthetic_engine_matches_reference(synthetic_pair):
    (model, _), eng, ref = synthetic_pair
    assert_study_matches(eng, ref, model)


def test_synthetic_covers_the_awkward_cases(synthetic_pair):
    (_, windows), eng, ref = synthetic_pair
    ev = eng.events.set_index("event_id")
    assert ev.loc["pend", "status"] == "pending" and ev.loc["pend", "n_est"] > 0
    assert ev.loc["future", "status"] == "pending" and pd.isna(ev.loc["future", "sigma"])
    assert ev.loc["early", "status"] == ("skipped" if windows == "default" else "ok")
    assert pd.Timestamp(ev.loc["wkend", "day0"]) == pd.Timestamp("2019-06-17")
    if windows == "default":  # rows absent from the estimation windows
        assert (ev.loc["c0", "n_est"], ev.loc["c1", "n_est"], ev.loc["c3", "n_est"]) == (
            238,
            233,
            240,
        )
    assert (ev.loc[["c0", "c1", "c2", "c3"], "day0"].nunique()) == 1
    ar = eng.ar.set_index(["event_id", "rel_day"])["ar"]
    assert ar.loc[("c2", 2)] != ar.loc[("c2", 2)] and ar.loc[("c2", 3)] != ar.loc[("c2", 3)]
    assert np.isfinite(ar.loc[("c2", 1)]) and np.isfinite(ar.loc[("c2", 4)])
    # the clustered, industry-correlated events give a positive KP r
    assert eng.meta["kp_r"]["0,0"] > 0
    assert ref.tests["n"].min() >= 2


def test_synthetic_se_where_the_stock_return_is_missing(synthetic_pair):
    _, eng, ref = synthetic_pair
    rows = ref.ar["ar"].isna() & ref.ar["ret"].isna()
    assert rows.sum() >= 3
    assert_tables_match(eng.ar, ref.ar, ["event_id", "rel_day"], ["se"], label="ar se", rows=rows)


def test_event_and_price_row_order_do_not_matter():
    prices, events = synthetic_data()
    _, ref = synthetic_run("market", "custom")
    shuffled = prices.sample(frac=1.0, random_state=np.random.default_rng(3))
    eng = EventStudy(events.iloc[::-1].reset_index(drop=True), **CUSTOM).run(prices=shuffled)
    assert_study_matches(eng, ref, "market")


# --------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def real_prices():
    return read_price_folder(PRICES, ["MSFT", "SPY", "^GSPC"])


@needs_prices
@pytest.mark.parametrize("model,windows", [(m, "default") for m in MODELS] + [("market", "custom")])
def test_real_data_engine_matches_reference(model, windows, real_prices):
    opts = _options(model, windows)
    events = real_events()
    eng = EventStudy(events, **opts).run(prices=str(PRICES))
    ref = reference_study(real_prices, with_day0(events), xnys_sessions(), **opts)
    assert_study_matches(eng, ref, model)
    status = eng.events.set_index("event_id")["status"]
    # msft_2015 has ~100 returns of ^GSPC (constant_mean does not need the index)
    short = windows == "default" and model != "constant_mean"
    assert status["msft_2015"] == ("skipped" if short else "ok")
    assert status["msft_dec"] == ("ok" if model == "constant_mean" else "pending")
    assert status["msft_openai"] == "ok"


@needs_prices
def test_founding_example_msft_openai():
    """MSFT, 2025-09-11 after the close, ^GSPC: day 0 is Friday 2025-09-12.

    Day-0 AR, SE, t and p re-derived here by one statsmodels OLS on the raw files.
    """
    events = pd.DataFrame(
        {
            "event_id": ["msft_openai"],
            "ticker": ["MSFT"],
            "date": ["2025-09-11"],
            "timing": ["after_close"],
            "benchmark": ["^GSPC"],
        }
    )
    res = EventStudy(events).run(prices=str(PRICES))
    ev = res.events.iloc[0]
    assert ev["status"] == "ok"
    assert pd.Timestamp(ev["day0"]) == pd.Timestamp("2025-09-12")

    sessions = xnys_sessions()
    close = {
        t: pd.read_csv(PRICES / f"{t}.csv", index_col="Date", parse_dates=True)["Close"]
        for t in ("MSFT", "GSPC")
    }
    p0 = sessions.get_loc(pd.Timestamp("2025-09-12"))
    est = sessions[p0 - 250 : p0 - 10]  # relative days -250 .. -11
    prev = sessions[p0 - 251 : p0 - 11]
    y = close["MSFT"].reindex(est).to_numpy() / close["MSFT"].reindex(prev).to_numpy() - 1
    x = close["GSPC"].reindex(est).to_numpy() / close["GSPC"].reindex(prev).to_numpy() - 1
    ok = np.isfinite(y) & np.isfinite(x)
    assert ok.sum() == 240
    fit = sm.OLS(y[ok], sm.add_constant(x[ok])).fit()
    r0 = 509.90 / 501.01 - 1  # SOURCES.md key closes, 2025-09-11 -> 2025-09-12
    m0 = 6584.29 / 6587.47 - 1
    pred = fit.get_prediction(np.array([[1.0, m0]]))
    ar0 = r0 - float(pred.predicted_mean[0])
    se0 = float(pred.se_obs[0])
    t0 = ar0 / se0
    p_0 = float(2 * stats.t.sf(abs(t0), 240 - 2))

    day0 = res.ar.set_index("rel_day").loc[0]
    assert day0["ret"] == pytest.approx(r0, abs=1e-12)
    assert day0["benchmark_ret"] == pytest.approx(m0, abs=1e-12)
    assert day0["ar"] == pytest.approx(ar0, abs=1e-10)
    assert day0["se"] == pytest.approx(se0, abs=1e-10)
    car = res.car.set_index(["start", "end"]).loc[(0, 0)]
    assert car["car"] == pytest.approx(ar0, abs=1e-10)
    assert car["se"] == pytest.approx(se0, abs=1e-10)
    assert car["t"] == pytest.approx(t0, abs=1e-10 * max(1, abs(t0)))
    assert car["p_value"] == pytest.approx(p_0, abs=1e-10)
    assert ev["alpha"] == pytest.approx(fit.params[0], abs=1e-10)
    assert ev["beta"] == pytest.approx(fit.params[1], abs=1e-10)
    assert ev["sigma"] == pytest.approx(math.sqrt(fit.scale), abs=1e-10)
    assert ev["r2"] == pytest.approx(fit.rsquared, abs=1e-10)
