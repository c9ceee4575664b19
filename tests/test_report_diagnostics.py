"""The vectorised OLS diagnostics against statsmodels, event by event, to 1e-10.

The reference refits each event with ``statsmodels.OLS`` on rows taken from
``res.estimation`` directly (not through the report's adapter), in percent as
the page shows them, and reads every number of its summary; the report's
summary tables must equal statsmodels' own cell by cell.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.report.book import ReportBook
from eventstudy.report.diagnostics import SCALAR_FIELDS, ols_diagnostics
from eventstudy.report.regression import statsmodels_tables, summary, x_names
from eventstudy.report.views import EstimationView
from eventstudy.settings import FACTOR_MODELS
from tests.conftest import DATA, ROOT, SAMPLE_PRICES

RTOL = 1e-10
FACTORS = ("MKT_RF", "SMB", "HML", "RMW", "CMA", "MOM")


def synthetic(model: str, n_events: int = 12, seed: int = 3) -> es.StudyResult:
    """A small seeded study of ``model`` on synthetic prices (and synthetic factors)."""
    from eventstudy.event_time import sessions

    rng = np.random.default_rng(seed)
    cal = sessions("XNYS")
    days = cal[(cal >= "2017-01-01") & (cal <= "2020-12-31")]
    rf = np.full(len(days), 0.00008)
    f = rng.normal(0, 0.006, (len(days), len(FACTORS))) + 0.0002
    rm = rf + f[:, 0]
    index = 100 * np.cumprod(1 + rm)
    frames = [pd.DataFrame({"date": days, "ticker": "^GSPC", "adj_close": index})]
    tickers = [f"T{i}" for i in range(4)]
    for t in tickers:
        load = rng.uniform(-1, 1.5, len(FACTORS))
        r = rf + f @ load + rng.standard_t(5, len(days)) * 0.012
        frames.append(
            pd.DataFrame({"date": days, "ticker": t, "adj_close": 40 * np.cumprod(1 + r)})
        )
    pos = rng.integers(300, len(days) - 20, n_events)
    events = pd.DataFrame(
        {
            "event_id": [f"ev{i}" for i in range(n_events)],
            "ticker": [tickers[i % len(tickers)] for i in range(n_events)],
            "date": [d.strftime("%Y-%m-%d") for d in days[pos]],
            "timing": "during_market",
        }
    )
    factors = pd.DataFrame(f, index=days, columns=list(FACTORS)).assign(RF=rf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = es.EventStudy(
            events, model=model, factors=factors if model in FACTOR_MODELS else None
        )
        return study.run(prices=pd.concat(frames, ignore_index=True))


def reference(res: es.StudyResult, event_id: str) -> dict[str, np.ndarray] | None:
    """statsmodels' summary numbers of one event, from ``res.estimation`` itself."""
    import statsmodels.api as sm
    from statsmodels.stats.stattools import durbin_watson, jarque_bera, omni_normtest

    est = res.estimation
    rows = est[est["event_id"].astype(str) == event_id].sort_values("rel_day")
    model = res.settings.model
    if rows.empty or model == "market_adjusted":
        return None
    cols = {"market": ["benchmark_ret"], "constant_mean": []}.get(
        model, list(FACTOR_MODELS.get(model, ()))
    )
    y = 100 * rows["ret"].to_numpy(float)
    if model in FACTOR_MODELS:
        y = y - 100 * rows["RF"].to_numpy(float)
    x = np.column_stack([np.ones(len(rows)), *(100 * rows[c].to_numpy(float) for c in cols)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.OLS(y, x).fit()
        jb, jbp, skew, kurt = jarque_bera(fit.wresid)
        omni, omnip = omni_normtest(fit.wresid)
        conf = np.asarray(fit.conf_int(0.05))
        return {
            "nobs": fit.nobs,
            "df_model": fit.df_model,
            "df_resid": fit.df_resid,
            "params": fit.params,
            "bse": fit.bse,
            "tvalues": fit.tvalues,
            "pvalues": fit.pvalues,
            "conf_low": conf[:, 0],
            "conf_high": conf[:, 1],
            "rsquared": fit.rsquared,
            "rsquared_adj": fit.rsquared_adj,
            "fvalue": fit.fvalue,
            "f_pvalue": fit.f_pvalue,
            "llf": fit.llf,
            "aic": fit.aic,
            "bic": fit.bic,
            "omnibus": omni,
            "omnibus_p": omnip,
            "skew": skew,
            "kurtosis": kurt,
            "durbin_watson": durbin_watson(fit.wresid),
            "jarque_bera": jb,
            "jarque_bera_p": jbp,
            "cond_no": fit.condition_number,
            "min_eigval": fit.eigenvals[-1],
        }


def check_against_statsmodels(res: es.StudyResult) -> int:
    """Every number of every event; returns how many events have a regression."""
    book = ReportBook(res)
    d = book.diagnostics
    checked = 0
    constant_only = res.settings.model == "constant_mean"
    for i, eid in enumerate(book.ids):
        ref = reference(res, eid)
        assert bool(d.fitted[i]) == (ref is not None), eid
        if ref is None:
            continue
        for name, want in ref.items():
            got = getattr(d, name)[i]
            if constant_only and name in ("rsquared", "rsquared_adj"):
                # 0 by definition; statsmodels' 1 - SSR/TSS leaves rounding noise (~1e-16)
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=name)
                continue
            np.testing.assert_allclose(
                got, want, rtol=RTOL, atol=0, equal_nan=True, err_msg=f"{eid} {name}"
            )
        checked += 1
    return checked


def _zero(text: str) -> str:
    return text.replace("-0.000", "0.000")


def check_tables(res: es.StudyResult) -> None:
    """The page's three tables equal statsmodels' summary, cell by cell (clock rows left out)."""
    book = ReportBook(res)
    names = x_names(res.settings.model)
    for i, eid in enumerate(book.ids):
        want = statsmodels_tables(res, eid)
        got = summary(book.diagnostics, i, names) if names else None
        assert (got is None) == (want is None), eid
        if got is None or want is None:
            continue
        assert got.notes == want.notes
        assert [t.title for t in got.tables] == [t.title for t in want.tables]
        for g, w in zip(got.tables, want.tables, strict=True):
            assert [[(_zero(c), k) for c, k in row] for row in g.rows] == [
                [(_zero(c), k) for c, k in row] for row in w.rows
            ], eid


@pytest.mark.parametrize("model", ["market", "constant_mean", "ff3", "carhart", "ff5"])
def test_synthetic_events_match_statsmodels(model):
    res = synthetic(model)
    assert check_against_statsmodels(res) >= 8
    check_tables(res)


def test_sample_study_matches_statsmodels():
    res = es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)
    assert check_against_statsmodels(res) == 10
    check_tables(res)


@pytest.mark.parametrize("model", ["ff3", "carhart"])
def test_real_factor_events_match_statsmodels(model):
    if not (DATA / "factors" / "ff5_daily.csv").exists() or not (DATA / "prices").exists():
        pytest.skip("factor or price files absent (../shared/data)")
    events = pd.DataFrame(
        {
            "event_id": ["a", "b"],
            "ticker": ["MSFT", "MSFT"],
            "date": ["2025-09-12", "2024-05-01"],
            "timing": "after_close",
        }
    )
    res = es.EventStudy(events, model=model, factors=DATA / "factors").run(prices=DATA / "prices")
    assert check_against_statsmodels(res) >= 1
    check_tables(res)


def test_market_adjusted_fits_nothing():
    res = synthetic("market_adjusted", n_events=4)
    assert not ReportBook(res).diagnostics.fitted.any()


def _view(y: list[np.ndarray], x: list[np.ndarray]) -> EstimationView:
    n = np.array([len(v) for v in y])
    length, k = int(n.max()), x[0].shape[1]
    yy, xx = np.full((len(y), length), np.nan), np.full((len(y), length, k), np.nan)
    for i, (a, b) in enumerate(zip(y, x, strict=True)):
        yy[i, : len(a)], xx[i, : len(a)] = a, b
    nat = np.full((len(y), length), np.datetime64("NaT", "ns"))
    return EstimationView(
        np.array([str(i) for i in range(len(y))], dtype=object),
        "market",
        n,
        nat,
        yy,
        yy,
        yy,
        yy,
        yy,
        xx,
    )


def test_small_samples_and_collinear_designs_follow_statsmodels():
    """n < 8 (no omnibus), n < 20 and a rank-deficient design (statsmodels' own numbers)."""
    import statsmodels.api as sm
    from statsmodels.stats.stattools import durbin_watson, omni_normtest

    rng = np.random.default_rng(5)
    ys, xs = [], []
    for n in (6, 12, 40):
        b = rng.normal(0, 0.01, n)
        xs.append(np.column_stack([np.ones(n), b, b * 0 + rng.normal(0, 0.01, n)]))
        ys.append(0.001 + 0.8 * b + rng.normal(0, 0.01, n))
    b = rng.normal(0, 0.01, 30)
    xs.append(np.column_stack([np.ones(30), b, 2 * b]))  # collinear: statsmodels' fallback
    ys.append(0.5 * b + rng.normal(0, 0.01, 30))
    d = ols_diagnostics(_view(ys, xs))
    assert d.fitted.all()
    assert np.isnan(d.omnibus[0]) and np.isfinite(d.omnibus[1:]).all()
    for i, (y, x) in enumerate(zip(ys, xs, strict=True)):
        x = x.copy()
        x[:, 1:] *= 100
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.OLS(100 * y, x).fit()
            omni = omni_normtest(fit.wresid)[0]
        np.testing.assert_allclose(d.params[i], fit.params, rtol=1e-8 if i == 3 else RTOL)
        np.testing.assert_allclose(d.bse[i], fit.bse, rtol=1e-8 if i == 3 else RTOL)
        for name, want in (
            ("df_resid", fit.df_resid),
            ("llf", fit.llf),
            ("durbin_watson", durbin_watson(fit.wresid)),
            ("omnibus", omni),
            ("cond_no", fit.condition_number),
        ):
            np.testing.assert_allclose(
                getattr(d, name)[i],
                want,
                rtol=1e-8 if i == 3 else RTOL,
                equal_nan=True,
                err_msg=f"{i} {name}",
            )
    assert "smallest eigenvalue" in " ".join(d.notes(3))


def test_adapter_reads_estimation_once():
    """The views read each long table once (it may become lazily built and expensive)."""
    res = synthetic("market", n_events=5)

    class Counting(type(res)):  # type: ignore[misc]
        reads = 0

        @property
        def estimation(self):  # type: ignore[override]
            Counting.reads += 1
            return self._est

    shadow = object.__new__(Counting)
    for f in ("events", "ar", "car", "aar", "tests", "settings", "meta", "prices"):
        object.__setattr__(shadow, f, getattr(res, f))
    object.__setattr__(shadow, "_est", res.estimation)
    book = ReportBook(shadow).prepare()
    assert Counting.reads == 1 and book.diagnostics.fitted.sum() >= 3


def test_every_scalar_field_is_checked():
    assert set(SCALAR_FIELDS) <= set(reference(synthetic("market", 3), "ev0") or {})
