"""One-sided alternatives (``--alternative greater|less``) for every test.

Each one-sided p-value is checked against scipy's own one-sided test on the
same numbers (``ttest_1samp``, ``binomtest``, ``wilcoxon``, ``t.sf``), against
a counting loop for the sample-quantile and bootstrap tests, and against the
identities ``p_greater + p_less = 1`` (continuous symmetric nulls) and
``min(1, 2 min(p_greater, p_less)) = p_two_sided`` for every test.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import eventstudy as es
from eventstudy.cli import main
from eventstudy.errors import SettingsError
from eventstudy.inference.alternative import binom_p, from_two_sided, tail_share
from eventstudy.inference.battery import DISTRIBUTIONS
from eventstudy.inference.car import two_sided_normal, two_sided_t
from tests.test_scale import _study

WINDOWS = [(0, 0), (-1, 1), (-3, 3)]
#: Tests whose null is continuous and symmetric about zero.
SYMMETRIC = [n for n, d in DISTRIBUTIONS.items() if d in ("t", "normal")]


def _run(events: pd.DataFrame, long: pd.DataFrame, alternative: str) -> es.StudyResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = es.EventStudy(events, car_windows=WINDOWS, alternative=alternative)
        return study.run(prices=long)


@pytest.fixture(scope="module")
def runs() -> dict[str, es.StudyResult]:
    events, long = _study(40, seed=11)
    # A positive day-0 effect on half the events so that both tails are exercised.
    return {alt: _run(events, long, alt) for alt in ("two-sided", "greater", "less")}


def _tests(res: es.StudyResult) -> pd.DataFrame:
    return res.tests.set_index(["start", "end", "statistic"]).sort_index()


def test_statistics_do_not_depend_on_the_alternative(runs):
    two, gt = _tests(runs["two-sided"]), _tests(runs["greater"])
    np.testing.assert_array_equal(two["value"].to_numpy(), gt["value"].to_numpy())
    np.testing.assert_array_equal(runs["two-sided"].car["car"], runs["less"].car["car"])


def test_symmetric_tests_split_the_two_sided_p(runs):
    two, gt, lt = (_tests(runs[a]) for a in ("two-sided", "greater", "less"))
    for name in [*SYMMETRIC, "wilcoxon"]:
        sel = two.index.get_level_values("statistic") == name
        p2, pg, pl = (t.loc[sel, "p_value"].to_numpy(float) for t in (two, gt, lt))
        ok = np.isfinite(p2)
        assert ok.any(), name
        if name != "wilcoxon":  # Wilcoxon's exact null is discrete: pg + pl > 1 is possible
            np.testing.assert_allclose(pg[ok] + pl[ok], 1.0, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(
            np.minimum(1.0, 2 * np.minimum(pg[ok], pl[ok])), p2[ok], atol=1e-12, err_msg=name
        )
        v = two.loc[sel, "value"].to_numpy(float)[ok]
        if name != "wilcoxon":
            assert ((pg[ok] < 0.5) == (v > 0)).all(), name


def test_t_cs_sign_and_wilcoxon_match_scipy_one_sided(runs):
    for alt in ("greater", "less"):
        res = runs[alt]
        tests = _tests(res)
        for a, b in WINDOWS:
            car = res.car[(res.car["start"] == a) & (res.car["end"] == b)]["car"].to_numpy(float)
            car = car[np.isfinite(car)]
            want = stats.ttest_1samp(car, 0.0, alternative=alt).pvalue
            assert tests.loc[(a, b, "t_cs"), "p_value"] == pytest.approx(want, rel=1e-10)
            w = int((car > 0).sum())
            want = stats.binomtest(w, len(car), 0.5, alternative=alt).pvalue
            assert tests.loc[(a, b, "sign_exact"), "p_value"] == pytest.approx(want, rel=1e-10)
            want = stats.wilcoxon(car, alternative=alt).pvalue
            assert tests.loc[(a, b, "wilcoxon"), "p_value"] == pytest.approx(want, rel=1e-10)
            ci = stats.ttest_1samp(car, 0.0, alternative=alt).confidence_interval(0.95)
            row = tests.loc[(a, b, "t_cs")]
            assert row["caar_ci_low"] == pytest.approx(ci.low, rel=1e-10)
            assert row["caar_ci_high"] == pytest.approx(ci.high, rel=1e-10)


def test_generalised_sign_exact_matches_binomtest(runs):
    res = runs["greater"]
    tests = _tests(res)
    est = res.estimation
    pos = (
        est.dropna(subset=["resid"])
        .assign(pos=lambda d: d["resid"] > 0)
        .groupby("event_id")["pos"]
        .mean()
    )
    for a, b in WINDOWS:
        car = res.car[(res.car["start"] == a) & (res.car["end"] == b)].dropna(subset=["car"])
        p_hat = float(pos.reindex(car["event_id"].astype(str)).mean())
        w = int((car["car"] > 0).sum())
        want = stats.binomtest(w, len(car), p_hat, alternative="greater").pvalue
        got = tests.loc[(a, b, "gen_sign_exact"), "p_value"]
        assert got == pytest.approx(want, rel=1e-9)


def test_event_t_and_sq_are_one_sided(runs):
    two, gt, lt = (runs[a].car for a in ("two-sided", "greater", "less"))
    t, df = gt["t"].to_numpy(float), gt["df"].to_numpy(float)
    ok = np.isfinite(t)
    np.testing.assert_allclose(gt["p_value"][ok], stats.t.sf(t[ok], df[ok]), rtol=1e-10)
    np.testing.assert_allclose(lt["p_value"][ok], stats.t.cdf(t[ok], df[ok]), rtol=1e-10)
    sq2, sqg, sql = (x["sq_p"].to_numpy(float) for x in (two, gt, lt))
    fin = np.isfinite(sq2)
    assert fin.any()
    np.testing.assert_allclose(np.minimum(1, 2 * np.minimum(sqg, sql))[fin], sq2[fin], atol=1e-12)
    assert (sqg[fin] + sql[fin] >= 1.0 - 1e-12).all()  # ties at the CAR count in both


def test_sq_one_sided_by_counting():
    rng = np.random.default_rng(3)
    resid = rng.normal(0, 0.01, (1, 60))
    car = np.array([[0.012]])
    from eventstudy.inference.sq import sq_test

    sums = np.array([resid[0, j : j + 3].sum() for j in range(58)])
    for alt, want in (("greater", np.mean(sums >= 0.012)), ("less", np.mean(sums <= 0.012))):
        p, m = sq_test(resid, car, np.array([3]), alt)
        assert m[0, 0] == 58
        assert p[0, 0] == pytest.approx(want, abs=1e-15)


def test_bootstrap_one_sided(runs):
    two, gt, lt = (runs[a].bootstrap for a in ("two-sided", "greater", "less"))
    np.testing.assert_allclose(
        np.minimum(1, 2 * np.minimum(gt["p_percentile"], lt["p_percentile"])),
        two["p_percentile"],
        atol=1e-12,
    )
    assert np.isinf(gt["pct_high"]).all() and np.isinf(lt["pct_low"]).all()
    assert (gt["pct_low"] > two["pct_low"]).all()  # a one-sided bound is tighter
    res = runs["greater"]
    a, b = WINDOWS[0]
    x = res.car[(res.car["start"] == a) & (res.car["end"] == b)]["car"].to_numpy(float)
    x = x[np.isfinite(x)]
    rng = np.random.default_rng(res.settings.seed)
    sample = x[rng.integers(0, len(x), size=(res.settings.bootstrap_reps, len(x)))]
    means, sds = sample.mean(axis=1), sample.std(axis=1, ddof=1)
    t_obs = x.mean() / (x.std(ddof=1) / np.sqrt(len(x)))
    t_star = (means - x.mean()) / (sds / np.sqrt(len(x)))
    assert gt["p_percentile"].iloc[0] == pytest.approx(np.mean(means <= 0), abs=1e-15)
    assert gt["p_boot_t"].iloc[0] == pytest.approx(np.mean(t_star >= t_obs), abs=1e-15)


def test_conf_int_is_one_sided(runs):
    ci = runs["greater"].conf_int()
    assert np.isinf(ci["ci_high"].dropna()).all()
    ci2 = runs["two-sided"].conf_int(level=0.90)
    ci1 = runs["greater"].conf_int(level=0.95)
    # The one-sided 95% lower bound is the two-sided 90% lower bound.
    np.testing.assert_allclose(ci1["ci_low"], ci2["ci_low"], rtol=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-8, 8, allow_nan=False),
    st.floats(1, 400),
    st.sampled_from(["greater", "less"]),
)
def test_from_two_sided_is_the_one_sided_tail(t, df, alt):
    want_t = stats.t.sf(t, df) if alt == "greater" else stats.t.cdf(t, df)
    got_t = from_two_sided(two_sided_t(t, df), t, alt)
    assert float(got_t) == pytest.approx(want_t, rel=1e-9, abs=1e-8)  # scipy: 0.5 at t~1e-9
    want_z = stats.norm.sf(t) if alt == "greater" else stats.norm.cdf(t)
    got_z = from_two_sided(two_sided_normal(t), t, alt)
    assert float(got_z) == pytest.approx(want_z, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.floats(0.05, 0.95), st.data())
def test_binom_p_matches_binomtest(n, p0, data):
    w = data.draw(st.integers(0, n))
    for alt in ("greater", "less"):
        got = binom_p(np.array([w]), np.array([n]), np.array([p0]), alt, np.array([np.nan]))
        assert float(got[0]) == pytest.approx(stats.binomtest(w, n, p0, alt).pvalue, rel=1e-9)


def test_tail_share_counts():
    below, above, count = np.array([3.0]), np.array([18.0]), np.array([20.0])
    assert tail_share(below, above, count, "greater")[0] == 0.9
    assert tail_share(below, above, count, "less")[0] == 0.15
    assert tail_share(below, above, count, "two-sided")[0] == pytest.approx(0.3)


def test_bad_alternative_is_a_settings_error():
    with pytest.raises(SettingsError, match="two-sided, greater, less"):
        es.EventStudy(pd.DataFrame({"ticker": ["MSFT"], "date": ["2025-09-12"]}), alternative="up")


def test_cli_records_the_alternative_and_says_one_sided(tmp_path: Path):
    events, long = _study(12, seed=5)
    ev_file, price_file = tmp_path / "ev.csv", tmp_path / "prices.csv"
    events.to_csv(ev_file, index=False)
    long.to_csv(price_file, index=False)
    out = tmp_path / "out"
    args = ["run", str(ev_file), "--prices", str(price_file), "--out", str(out)]
    r = CliRunner().invoke(main, [*args, "--format", "csv", "--alternative", "greater"])
    assert r.exit_code == 0, r.output
    meta = json.loads((out / "run.json").read_text())
    assert meta["settings"]["alternative"] == "greater"
    assert "one-sided p (greater)" in r.output
    assert "in favour of a positive one" in r.output
    assert "statistic (one-sided, greater p)" in r.output
    assert "two-sided p" not in r.output
    html_out = tmp_path / "html"
    r = CliRunner().invoke(
        main, [*args[:-1], str(html_out), "--alternative", "less", "--format", "html"]
    )
    assert r.exit_code == 0, r.output
    page = (html_out / "index.html").read_text(encoding="utf-8")
    assert "its one-sided p-value (less: H1 abnormal return &lt; 0)" in page
    assert "two-sided p-value" not in page
    tests = pd.read_csv(out / "tests.csv")
    assert np.isinf(tests["caar_ci_high"]).all()
    bad = CliRunner().invoke(main, [*args, "--alternative", "up"])
    assert bad.exit_code == 2
    assert "two-sided" in bad.output


@pytest.mark.parametrize("t", [3e-9, 1e-4, 0.3, 2.0, 40.0, -1e-6])
def test_two_sided_t_is_exact_near_one(t):
    # Cauchy (df = 1): 2 P(T > |t|) = 1 - 2 arctan(|t|) / pi, accurate to rounding
    # also where p is close to 1 (the one-sided p is then close to 1/2).
    assert float(two_sided_t(t, 1.0)) == pytest.approx(
        1 - 2 * np.arctan(abs(t)) / np.pi, rel=1e-13, abs=1e-16
    )
