"""The tests of issue 10 (eventstudy.inference.extra) against plain per-event loops.

The engine's per-event inputs (CARs, SCARs, estimation residuals, sigma, the
KP ``r``) are checked elsewhere against tests/reference.py; here every new
statistic is recomputed from them with loops, numpy and scipy only, on
synthetic data and on one real-data study of ../shared/data/prices_yahoo.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from eventstudy.inference import extra
from eventstudy.inference.battery import CLASSIC_NAMES, DISTRIBUTIONS, EXTRA_NAMES, TEST_NAMES
from eventstudy.inference.extra import SKEW_REPS, binom_two_sided
from tests.real_data import NO_YAHOO, YAHOO, yahoo_long
from tests.test_scale import _compute, _study

TOL = 1e-9


# ---------------------------------------------------------------- plain versions
def _rank_avg(values: list[float]) -> list[float]:
    """Average 1-based ranks, by a double loop."""
    out = []
    for v in values:
        below = sum(1 for u in values if u < v)
        same = sum(1 for u in values if u == v)
        out.append(below + (same + 1) / 2.0)
    return out


def plain_skew_boot_p(car: list[float], t_sa: float, reps: int, seed: tuple[int, ...]) -> float:
    """Lyon-Barber-Tsai bootstrap p of Hall's t, one resample at a time."""
    n = len(car)
    xs = np.sort(car)
    dev = (xs - xs.mean()).tolist()
    rng = np.random.default_rng(seed)
    le = ge = far = valid = 0
    for _ in range(reps):
        xb = [dev[i] for i in rng.integers(0, n, size=n).tolist()]
        mb = sum(xb) / n
        var = sum((x - mb) ** 2 for x in xb) / (n - 1)
        if min(xb) == max(xb):
            continue
        valid += 1
        sd = math.sqrt(var)
        s = mb / sd  # centred on the sample: the deviations have mean 0
        gamma = sum((x - mb) ** 3 for x in xb) / (n * sd**3)
        tb = math.sqrt(n) * (s + gamma * s * s / 3 + gamma / (6 * n))
        le += tb <= t_sa
        ge += tb >= t_sa
        far += abs(tb) >= abs(t_sa)
    return (far + 1) / (valid + 1)


def plain_tests(
    members: list[dict],
    length: int,
    r: float,
    est_days: list[int],
    boot: tuple[int, tuple[int, ...]] | None = None,
) -> dict:
    """Every extra statistic of one window from per-event dicts with ``car``,
    ``scar``, ``resid`` (rel_day -> residual) and ``sigma``; ``boot``: resamples
    and seed of skew_t's bootstrap p (without it, skew_t is not checked)."""
    n = len(members)
    car = [m["car"] for m in members]
    caar = sum(car) / n
    sd = math.sqrt(sum((c - caar) ** 2 for c in car) / (n - 1))
    out: dict[str, tuple[float, float]] = {}
    # Brown & Warner (1985) crude dependence adjustment.
    aar = []
    for t in est_days:
        vals = [m["resid"][t] for m in members if t in m["resid"]]
        if vals:
            aar.append(sum(vals) / len(vals))
    s_bw = float(np.std(aar, ddof=1))
    t_bw = caar / (math.sqrt(length) * s_bw)
    out["bw_crude"] = (t_bw, 2 * stats.t.sf(abs(t_bw), len(aar) - 1))
    # Kolari & Pynnonen (2011) GRANK.
    scar = [m["scar"] for m in members]
    s_scar = float(np.std(scar, ddof=1))
    u_day: dict[object, list[float]] = {}
    for m in members:
        days = sorted(m["resid"])
        values = [m["resid"][t] / m["sigma"] for t in days] + [m["scar"] / s_scar]
        ranks = _rank_avg(values)
        big_t = len(values)
        for t, rk in zip([*days, "car"], ranks, strict=True):
            u_day.setdefault(t, []).append(rk / (big_t + 1) - 0.5)
    ubar = {t: sum(u) / len(u) for t, u in u_day.items()}
    big_t = len(u_day)
    s2 = sum(len(u_day[t]) / n * ubar[t] ** 2 for t in u_day) / big_t
    z = ubar["car"] / math.sqrt(s2)
    t_g = z * math.sqrt((big_t - 2) / (big_t - 1 - z * z))
    out["grank"] = (t_g, 2 * stats.t.sf(abs(t_g), big_t - 2))
    # Patell with the KP adjustment.
    d = [m["dof"] for m in members]
    patell = sum(scar) / math.sqrt(sum(x / (x - 2) for x in d))
    adj = patell * math.sqrt((1 - r) / (1 + (n - 1) * r))
    out["adj_patell"] = (adj, 2 * stats.norm.sf(abs(adj)))
    # Hall (1992) skewness-adjusted t (Lyon, Barber & Tsai 1999).
    s = caar / sd
    gamma = sum((c - caar) ** 3 for c in car) / (n * sd**3)
    t_sa = math.sqrt(n) * (s + gamma * s * s / 3 + gamma / (6 * n))
    if boot is not None:
        out["skew_t"] = (t_sa, plain_skew_boot_p(car, t_sa, *boot))
    # Exact binomial sign tests.
    w = sum(1 for c in car if c > 0)
    p_hat = sum(m["pos_share"] for m in members) / n
    out["sign_exact"] = (w, stats.binomtest(w, n, 0.5).pvalue)
    out["gen_sign_exact"] = (w, stats.binomtest(w, n, p_hat).pvalue)
    return out


def _members(res, start: int, end: int) -> list[dict]:
    ev = res.events.set_index("event_id")
    est = res.estimation
    resid = {
        str(k): dict(zip(g["rel_day"].tolist(), g["resid"].tolist(), strict=True))
        for k, g in est.groupby("event_id", observed=True)
    }
    if start == end:
        ar = res.ar[res.ar["rel_day"] == start]
        rows = [
            (str(e), a, a / s) for e, a, s in zip(ar["event_id"], ar["ar"], ar["se"], strict=True)
        ]
    else:
        c = res.car[(res.car["start"] == start) & (res.car["end"] == end)]
        rows = [(str(e), a, s) for e, a, s in zip(c["event_id"], c["car"], c["scar"], strict=True)]
    out = []
    for e, car, scar in rows:
        if not (np.isfinite(car) and e in resid):
            continue
        r = resid[e]
        out.append(
            {
                "car": car,
                "scar": scar,
                "resid": r,
                "sigma": float(ev.loc[e, "sigma"]),
                "dof": int(ev.loc[e, "n_est"]) - _k(res),
                "pos_share": sum(1 for v in r.values() if v > 0) / len(r),
            }
        )
    return out


def _k(res) -> int:
    return {"market": 2, "constant_mean": 1, "market_adjusted": 1}[str(res.events["model"].iloc[0])]


def _check(res, windows, kp_r: dict[str, float], est_days: list[int]) -> int:
    """Compare every window's and day's extra tests; return the columns checked.

    The default settings (``windows`` are their CAR windows, in order): skew_t's
    bootstrap stream of column ``k`` is ``(seed, k)``, windows first, then days."""
    from eventstudy.settings import StudySettings

    cfg = StudySettings()
    assert list(cfg.car_windows) == windows
    checked = 0
    tests = res.tests.set_index(["start", "end", "statistic"])
    for a, b in windows:
        members = _members(res, a, b)
        if len(members) < 2:
            continue
        boot = (SKEW_REPS, (cfg.seed, windows.index((a, b))))
        want = plain_tests(members, b - a + 1, kp_r[f"{a},{b}"], est_days, boot)
        for name, (v, p) in want.items():
            row = tests.loc[(a, b, name)]
            assert row["value"] == pytest.approx(v, rel=TOL, abs=TOL), (a, b, name)
            assert row["p_value"] == pytest.approx(p, rel=1e-7, abs=1e-12), (a, b, name)
            assert int(row["n"]) == len(members)
        checked += 1
    for _, row in res.aar.iterrows():
        t = int(row["rel_day"])
        members = _members(res, t, t)
        if len(members) < 2:
            continue
        boot = (SKEW_REPS, (cfg.seed, len(windows) + t - cfg.event_window[0]))
        want = plain_tests(members, 1, float("nan"), est_days, boot)  # per-day r: not output
        for name, (v, p) in want.items():
            if name == "adj_patell":
                continue  # checked below through the KP factor kp / bmp
            assert row[name] == pytest.approx(v, rel=TOL, abs=TOL), (t, name)
            assert row[f"{name}_p"] == pytest.approx(p, rel=1e-7, abs=1e-12), (t, name)
        # adj_patell / patell is the KP factor, the same as kp / bmp.
        if np.isfinite(row["kp"]) and row["bmp"] != 0:
            f = row["kp"] / row["bmp"]
            assert row["adj_patell"] == pytest.approx(row["patell"] * f, rel=1e-9, abs=1e-12)
        checked += 1
    return checked


# ---------------------------------------------------------------------- tests
def test_names_and_distributions():
    assert TEST_NAMES[: len(CLASSIC_NAMES)] == CLASSIC_NAMES
    assert set(EXTRA_NAMES) <= set(DISTRIBUTIONS)
    assert DISTRIBUTIONS["bw_crude"] == "t" and DISTRIBUTIONS["grank"] == "t"


@pytest.mark.parametrize("seed,cluster", [(5, False), (6, True)])
def test_synthetic_study_matches_plain_loops(seed: int, cluster: bool):
    events, long = _study(60, seed=seed, cluster=cluster, missing=0.002)
    res = _compute(events, long)
    assert set(TEST_NAMES) == set(res.tests["statistic"])
    for name in TEST_NAMES:
        assert name in res.aar.columns and f"{name}_p" in res.aar.columns
    windows = [(0, 0), (0, 1), (-1, 1), (-5, 5), (-10, 10)]
    assert _check(res, windows, res.kp_r, list(range(-250, -10))) == len(windows) + 21


def test_df_and_few_events():
    events, long = _study(60, seed=7)
    res = _compute(events, long)
    t = res.tests.set_index(["start", "end", "statistic"])
    assert t.loc[(0, 0, "grank"), "df"] == 240 + 1 - 2
    assert t.loc[(0, 0, "bw_crude"), "df"] == 240 - 1
    assert t.loc[(0, 0, "sign_exact"), "distribution"] == "binomial"
    one = _compute(events.head(1), long)
    rows = one.tests[one.tests["statistic"].isin(EXTRA_NAMES)]
    assert rows["value"].isna().all() and rows["p_value"].isna().all()


def test_binomial_p_equals_binomtest():
    rng = np.random.default_rng(0)
    cases = [(w, n, 0.5) for n in range(1, 41) for w in range(n + 1)]
    cases += [
        (int(rng.integers(0, n + 1)), n, float(rng.uniform(0.05, 0.95)))
        for n in rng.integers(1, 400, 300)
    ]
    cases += [(w, n, p) for n in (10, 11, 57) for p in (0.3, 0.4871, 0.62) for w in range(n + 1)]
    # edges and large N (where the p is found by bisection over 10,001 outcomes)
    cases += [(0, 5, 0.0), (1, 5, 0.0), (5, 5, 1.0), (3, 5, 1.0), (0, 1, 0.5)]
    cases += [(w, 10_000, 0.5) for w in (0, 4_990, 5_000, 5_210, 10_000)]
    cases += [(2, 10_000, 0.001), (31, 10_000, 0.001), (6_000, 10_000, 0.613)]
    w, n, p = (np.array(v, dtype=float) for v in zip(*cases, strict=True))
    got = binom_two_sided(w, n, p)  # N up to 10,000: the pmf from scipy at each step
    want = np.array([stats.binomtest(int(a), int(b), c).pvalue for a, b, c in cases])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-14)
    small = n <= 400  # alone: the pmf from a table of every outcome, the same numbers
    assert n[small].max() <= extra.PMF_TABLE_MAX_N < n.max()
    np.testing.assert_array_equal(binom_two_sided(w[small], n[small], p[small]), got[small])


@pytest.mark.skipif(not YAHOO.is_dir(), reason=NO_YAHOO)
def test_real_data_study_matches_plain_loops():
    from eventstudy.data.frame import FramePriceProvider  # noqa: F401

    long = yahoo_long({"MSFT": "MSFT", "AAPL": "AAPL", "NVDA": "NVDA", "SPY": "^GSPC"})
    dates = ["2019-04-24", "2020-03-16", "2021-01-26", "2022-10-25", "2023-01-24", "2016-07-19"]
    events = pd.DataFrame(
        {
            "event_id": [f"r{i}" for i in range(18)],
            "ticker": [t for t in ("MSFT", "AAPL", "NVDA") for _ in dates],
            "date": dates * 3,
            "timing": "during_market",
        }
    )
    res = _compute(events, long, benchmark="^GSPC")
    windows = [(0, 0), (0, 1), (-1, 1), (-5, 5), (-10, 10)]
    assert _check(res, windows, res.kp_r, list(range(-250, -10))) == len(windows) + 21


def test_grank_with_ties_and_missing_days():
    """GRANK on hand-made inputs with ties (between residuals, and between a CAR
    and a residual) and missing estimation days, against the plain loop."""
    from eventstudy.inference.extra import ExtraCollector, grank

    rng = np.random.default_rng(3)
    m, le = 7, 30
    resid = np.round(rng.normal(size=(m, le)), 1)  # many ties
    resid[rng.random((m, le)) < 0.1] = np.nan
    scar = np.round(rng.normal(size=(m, 2)), 1)
    included = np.ones((m, 2), bool)
    included[6, 1] = False
    sd = [float(np.std(scar[included[:, k], k], ddof=1)) for k in range(2)]
    resid[0, 3] = scar[0, 0] / sd[0]  # a CAR tied with an estimation residual
    resid[1, 5] = scar[1, 1] / sd[1]
    col = ExtraCollector(m, le)
    col.add(np.arange(m), resid, np.ones(m), np.ones(m, bool))
    t, df = grank(col, scar, included)
    for k in range(2):
        members = [
            {
                "car": scar[i, k],
                "scar": scar[i, k],
                "resid": {d: resid[i, d] for d in range(le) if np.isfinite(resid[i, d])},
                "sigma": 1.0,
                "dof": 10,
                "pos_share": 0.5,
            }
            for i in range(m)
            if included[i, k]
        ]
        want = plain_tests(members, 1, 0.0, list(range(le)))["grank"][0]
        assert t[k] == pytest.approx(want, rel=1e-12, abs=1e-12)
        assert df[k] == le + 1 - 2
    # The same in runs of 2-row blocks (as two threads take them), parts of whole blocks.
    from eventstudy.inference import extra

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(extra, "_BLOCK", 16 * le * 2)
        g_in = extra.GrankInput(col, scar, included)
        for n_parts in (1, 2, 3, 4, 9):
            parts = g_in.parts(n_parts)
            assert len(parts) == min(n_parts, 4)  # 7 rows: 4 blocks of 2
            assert np.concatenate(parts).tolist() == g_in.rows.tolist()
            assert all(len(p) % 2 == 0 for p in parts[:-1])
            t_p, df_p = grank(col, scar, included, n_parts=n_parts)
            np.testing.assert_allclose(t_p, t, rtol=1e-13)
            assert (df_p == df).all()
            # bw_crude's sums, taken in the same pass, equal its own pass over the rows.
            sums = extra.add_sums([extra.grank_sums(g_in, rows) for rows in parts])
            caar, lengths = scar.mean(axis=0), np.array([1.0, 3.0])
            got = extra.bw_finish(sums[3], sums[4], caar, lengths)
            want_bw = extra.bw_crude(col, caar, lengths, included)
            np.testing.assert_allclose(got[0], want_bw[0], rtol=1e-13)
            assert (got[1] == want_bw[1]).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 12), st.integers(12, 40))
def test_mirrored_returns_mirror_the_statistics(seed, m, le):
    """Negating every residual and CAR negates bw_crude, grank and skew_t and
    turns the exact sign test's w into N - w with the same p-value (p = 1/2)."""
    from eventstudy.inference.extra import ExtraCollector, bw_crude, grank, skew_t

    rng = np.random.default_rng(seed)
    resid = rng.standard_t(4, size=(m, le))
    resid[rng.random((m, le)) < 0.05] = np.nan
    car = rng.standard_t(3, size=(m, 3))
    included = rng.random((m, 3)) < 0.9
    included[:2] = True
    n = included.sum(axis=0).astype(float)
    lengths = np.array([1.0, 3.0, 11.0])
    out = []
    for sign in (1.0, -1.0):
        col = ExtraCollector(m, le)
        col.add(np.arange(m), sign * resid, np.full(m, 2.0), np.ones(m, bool))
        caar = np.where(included, sign * car, 0.0).sum(axis=0) / n
        out.append(
            (
                bw_crude(col, caar, lengths, included)[0],
                grank(col, sign * car, included)[0],
                skew_t(sign * car, included, n),
            )
        )
    for a, b in zip(out[0], out[1], strict=True):
        np.testing.assert_allclose(a, -b, rtol=1e-9, atol=1e-12)
    w = np.array([0, 1, 3, 7, 12], dtype=float)
    nn = np.full(5, 12.0)
    half = np.full(5, 0.5)
    np.testing.assert_allclose(binom_two_sided(w, nn, half), binom_two_sided(nn - w, nn, half))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 40), st.floats(1e-3, 1e3))
def test_skew_bootstrap_p_ignores_event_order_and_scale(seed, n, scale):
    """The bootstrap p of skew_t is a function of the CARs, not of their order or
    unit; the one-sided tails beyond +-|t| make up the two-sided (symmetric) one."""
    from eventstudy.inference.extra import skew_t, skew_t_bootstrap_p

    rng = np.random.default_rng(seed)
    car = rng.standard_t(3, size=(n, 2)) * 0.01 + 0.002
    inc = np.ones((n, 2), bool)
    nf = np.full(2, float(n))
    t = skew_t(car, inc, nf)
    p2 = skew_t_bootstrap_p(car, inc, t, "two-sided", 199, (seed, 1))
    perm = car[rng.permutation(n)]
    np.testing.assert_array_equal(p2, skew_t_bootstrap_p(perm, inc, t, "two-sided", 199, (seed, 1)))
    t_scaled = skew_t(car * scale, inc, nf)
    np.testing.assert_allclose(t_scaled, t, rtol=1e-9, atol=1e-12)
    g = skew_t_bootstrap_p(car, inc, t, "greater", 199, (seed, 1))
    le = skew_t_bootstrap_p(car, inc, t, "less", 199, (seed, 1))
    ok = np.isfinite(p2)
    assert ((p2[ok] >= 1 / 200) & (p2[ok] <= 1)).all()
    assert ((g[ok] + le[ok]) >= 1).all()  # ties count on both sides
    # symmetric two-sided p: the resamples beyond |t| on either side, counted once,
    # so p2 = P(t_b >= |t|) + P(t_b <= -|t|) less the one "+1" counted twice
    g_abs = skew_t_bootstrap_p(car, inc, np.abs(t), "greater", 199, (seed, 1))
    le_neg = skew_t_bootstrap_p(car, inc, -np.abs(t), "less", 199, (seed, 1))
    ok &= np.abs(t) > 0
    valid_plus_1 = 1 / (g_abs + le_neg - p2)[ok]
    np.testing.assert_allclose(valid_plus_1, np.round(valid_plus_1), rtol=1e-9)
    assert ((valid_plus_1 > 1.5) & (valid_plus_1 < 200.5)).all()
    assert (p2[ok] >= np.minimum(g, le)[ok] - 1e-15).all()


def test_skew_bootstrap_p_near_the_normal_one_for_many_normal_cars():
    """With many roughly normal CARs, Hall's t is close to N(0, 1) and the bootstrap
    p close to the normal p (the bootstrap matters for few, skewed, fat-tailed CARs)."""
    from eventstudy.inference.extra import skew_t, skew_t_bootstrap_p

    rng = np.random.default_rng(11)
    car = rng.normal(0.0005, 0.02, size=(2000, 4))
    inc = np.ones(car.shape, bool)
    t = skew_t(car, inc, np.full(4, 2000.0))
    p = skew_t_bootstrap_p(car, inc, t, "two-sided", 4999, (0,))
    np.testing.assert_allclose(p, 2 * stats.norm.sf(np.abs(t)), atol=0.03)


def test_skew_t_bootstrap_needs_four_events():
    # 2 events: every valid resample has t_b = 0, so the bootstrap p always rejected;
    # 3 events: 10 distinct resamples, 11% rejected at 5% on normal data
    rng = np.random.default_rng(3)
    for n in (2, 3, 4, 9):
        x = rng.standard_normal((n, 1))
        inc = np.ones((n, 1), bool)
        stat = extra.skew_t(x, inc, np.array([float(n)]))
        p = extra.skew_t_bootstrap_p(x, inc, stat, "two-sided", SKEW_REPS, (0,))
        assert np.isnan(p[0]) == (n < extra.SKEW_BOOT_MIN_N)
    size = []
    for i in range(300):  # from 4 events the bootstrap p holds its size on normal data
        x = rng.standard_normal((4, 1))
        inc = np.ones((4, 1), bool)
        stat = extra.skew_t(x, inc, np.array([4.0]))
        size.append(extra.skew_t_bootstrap_p(x, inc, stat, "two-sided", 499, (i,))[0] < 0.05)
    assert np.mean(size) < 0.1


def test_skew_t_of_three_events_has_no_p_and_says_why():
    import warnings

    import eventstudy as es

    events, long = _study(3, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = es.EventStudy(events).run(prices=long)
    skew = res.tests[res.tests["statistic"] == "skew_t"]
    assert skew["p_value"].isna().all() and (skew["n"] == 3).all()
    assert skew["note"].str.contains("fewer than 4 events").all()
    assert res.tests[res.tests["statistic"] == "t_cs"]["p_value"].notna().all()
