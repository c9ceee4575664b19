"""Cross-sectional regression against statsmodels on the project's own CAR table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from click.testing import CliRunner

import eventstudy as es
from eventstudy.cli import main
from eventstudy.cs_regression import regress
from eventstudy.errors import SettingsError
from tests.conftest import ROOT, SAMPLE_PRICES


@pytest.fixture(scope="module")
def res() -> es.StudyResult:
    ev = pd.read_csv(ROOT / "events.csv")
    ev["size"] = np.linspace(1.0, 3.0, len(ev)) ** 2
    ev["kind"] = np.where(ev["ticker"] == "MSFT", "msft", "peer")
    return es.EventStudy(ev).run(prices=SAMPLE_PRICES)


def _xy(res, window=(-1, 1)):
    car = res.car[(res.car["start"] == window[0]) & (res.car["end"] == window[1])]
    ev = res.events.set_index(res.events["event_id"].astype(str))
    ids = car["event_id"].astype(str)
    x = np.column_stack(
        [
            np.ones(len(car)),
            (ev.loc[ids, "kind"] == "peer").to_numpy(float),
            ev.loc[ids, "size"].to_numpy(float),
        ]
    )
    return car, ev.loc[ids], x


@pytest.mark.parametrize("cov", ["HC1", "nonrobust", "cluster:date"])
def test_ols_equals_statsmodels_with_the_same_covariance(res, cov):
    table, _ = regress(res, "car ~ C(kind) + size", (-1, 1), cov)
    car, ev, x = _xy(res)
    if cov == "cluster:date":
        groups = pd.factorize(ev["day0"].astype(str))[0]
        ref = sm.OLS(car["car"].to_numpy(), x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    else:
        ref = sm.OLS(car["car"].to_numpy(), x).fit(cov_type=cov)
    np.testing.assert_allclose(table["coef"], ref.params, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(table["se"], ref.bse, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(table["p_value"], ref.pvalues, rtol=1e-9, atol=1e-14)
    assert (table["n"] == len(car)).all()


def test_wls_uses_patell_weights(res):
    table, _ = regress(res, "car ~ size", (0, 0), "HC1", wls=True)
    car = res.car[(res.car["start"] == 0) & (res.car["end"] == 0)]
    ev = res.events.set_index(res.events["event_id"].astype(str))
    x = sm.add_constant(ev.loc[car["event_id"].astype(str), "size"].to_numpy(float))
    ref = sm.WLS(car["car"].to_numpy(), x, weights=1 / car["se"].to_numpy() ** 2).fit(
        cov_type="HC1"
    )
    np.testing.assert_allclose(table["coef"], ref.params, rtol=1e-10)
    np.testing.assert_allclose(table["se"], ref.bse, rtol=1e-10)


def test_bad_formulas_are_settings_errors(res):
    with pytest.raises(SettingsError, match="left side"):
        regress(res, "size ~ car")
    with pytest.raises(SettingsError, match="nosuch"):
        regress(res, "car ~ nosuch")
    with pytest.raises(SettingsError, match="cluster by"):
        regress(res, "car ~ size", cov="cluster:nosuch")


def test_cli_writes_table_and_summary(tmp_path: Path, res):
    ev = pd.read_csv(ROOT / "events.csv")
    ev["size"] = np.linspace(1.0, 3.0, len(ev)) ** 2
    f = tmp_path / "ev.csv"
    ev.to_csv(f, index=False)
    out = tmp_path / "o"
    args = ["run", str(f), "--prices", str(SAMPLE_PRICES), "--format", "csv", "--out", str(out)]
    r = CliRunner().invoke(main, [*args, "-q", "--regress", "car ~ size"])
    assert r.exit_code == 0, r.output
    assert list(pd.read_csv(out / "regression.csv")["term"]) == ["Intercept", "size"]
    assert "OLS Regression Results" in (out / "regression.txt").read_text()
    bad = CliRunner().invoke(main, [*args, "-q", "--regress", "oops"])
    assert bad.exit_code == 2
