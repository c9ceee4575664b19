"""The report's further measures: BHAR, bootstrap, abnormal volume, regression, groups.

Every number shown is read back from the HTML and compared with the result's
own tables at the displayed precision; user text (group labels) is escaped.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import eventstudy as es
from eventstudy.report import fmt, measures
from tests.conftest import ROOT, SAMPLE_PRICES
from tests.test_report import close_at, parse

EVIL = "<b>peer</b>"


@pytest.fixture(scope="module")
def studied(tmp_path_factory: pytest.TempPathFactory) -> tuple[es.StudyResult, Path]:
    ev = pd.read_csv(ROOT / "events.csv")
    ev["kind"] = ["msft" if t == "MSFT" else EVIL for t in ev["ticker"]]
    ev["size"] = np.arange(len(ev), dtype=float)
    res = es.EventStudy(ev).run(prices=SAMPLE_PRICES)
    res.regression("car ~ size + C(kind)", (0, 0))
    res.by_group("kind")
    out = tmp_path_factory.mktemp("measures")
    res.to_html(str(out))
    return res, out


def _rows(doc, table: str) -> list[list[str]]:
    return [[text for _, text in cells] for _, cells in doc.body_rows(table)]


def test_bhar_table_matches_bhar_tests(studied):
    res, out = studied
    rows = _rows(parse(out / "index.html"), "bhar-table")
    want = res.bhar_tests
    assert len(rows) == len(want) > 0
    for shown_row, (_, w) in zip(rows, want.iterrows(), strict=True):
        assert shown_row[0] == fmt.window(int(w["start"]), int(w["end"]))
        assert close_at(shown_row[3], w["mean"], scale=100, decimals=2)
        assert close_at(shown_row[4], w["t"], decimals=2)
        assert close_at(shown_row[6], w["skew_t"], decimals=2)


def test_bootstrap_table_matches_bootstrap(studied):
    res, out = studied
    rows = _rows(parse(out / "index.html"), "bootstrap-table")
    want = res.bootstrap
    assert len(rows) == len(want) == len(res.settings.car_windows)
    for shown_row, (_, w) in zip(rows, want.iterrows(), strict=True):
        assert close_at(shown_row[2], w["caar"], scale=100, decimals=2)
        assert close_at(shown_row[3], w["pct_low"], scale=100, decimals=2)
        assert close_at(shown_row[5], w["p_percentile"], decimals=3)
        assert shown_row[7] == str(res.settings.bootstrap_reps)


def test_volume_table_and_founding_page(studied):
    res, out = studied
    rows = _rows(parse(out / "index.html"), "volume-table")
    vt = res.volume_tests
    assert len(rows) == len(vt)
    for shown_row, (_, w) in zip(rows, vt.iterrows(), strict=True):
        assert close_at(shown_row[2], w["mean_abnormal_log_volume"], decimals=2)
    vol = res.volume
    row = vol[(vol["event_id"] == "msft-openai-mou-2025") & (vol["rel_day"] == 0)].iloc[0]
    page = (out / "events" / "msft-openai-mou-2025.html").read_text(encoding="utf-8")
    assert "Abnormal volume, day 0" in page
    assert f"{row['abnormal_log_volume']:+.2f} log points" in page
    assert f"about {math.exp(row['abnormal_log_volume']):.2f}x" in page
    assert f"{row['volume']:,.0f} shares traded" in page
    # The day-0 split of the founding event is on the same page.
    assert "overnight (previous close to the open)" in page


def test_regression_section_matches_statsmodels(studied):
    res, out = studied
    doc = parse(out / "index.html")
    rows = _rows(doc, "regression-table")
    import statsmodels.formula.api as smf

    car = res.car[(res.car["start"] == 0) & (res.car["end"] == 0)].dropna(subset=["car"])
    data = car.merge(res.events[["event_id", "kind", "size"]], on="event_id")
    data["size"] = pd.to_numeric(data["size"])
    fit = smf.ols("car ~ size + C(kind)", data).fit(cov_type="HC1")
    assert [r[0] for r in rows] == list(fit.params.index)
    for r, coef, t in zip(rows, fit.params, fit.tvalues, strict=True):
        assert close_at(r[1], coef, decimals=5)
        assert close_at(r[3], t, decimals=2)
    text = (out / "index.html").read_text(encoding="utf-8")
    assert "OLS Regression Results" in text


def test_groups_section_is_escaped_and_matches(studied):
    res, out = studied
    text = (out / "index.html").read_text(encoding="utf-8")
    assert EVIL not in text
    assert "&lt;b&gt;peer&lt;/b&gt;" in text
    doc = parse(out / "index.html")
    diff = res.attachments["groups"]["diff"]
    rows = _rows(doc, "groups-diff-table")
    assert len(rows) == len(diff) > 0
    for r, (_, w) in zip(rows, diff.iterrows(), strict=True):
        assert close_at(r[3], w["diff"], scale=100, decimals=2)
        assert close_at(r[4], w["welch_t"], decimals=2)
    side = _rows(doc, "groups-tests-table")
    tests = res.attachments["groups"]["tests"]
    assert len(side) == len(tests) // tests["group"].nunique()


def test_large_studies_skip_volume_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(measures, "VOLUME_MAX_EVENTS", 3)
    res = es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)
    res.to_html(str(tmp_path / "a"))
    assert "volume-table" not in (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    page = (tmp_path / "a" / "events" / "msft-openai-mou-2025.html").read_text(encoding="utf-8")
    assert "Abnormal volume" not in page
    assert not res.volume_tests.empty  # asked for (run --volume): shown at any size
    res.to_html(str(tmp_path / "b"))
    assert "volume-table" in (tmp_path / "b" / "index.html").read_text(encoding="utf-8")


def test_count_statistics_are_whole_numbers_and_the_rest_keep_decimals():
    assert fmt.statistic("sign_exact", 6.0) == "6"
    assert fmt.statistic("gen_sign_exact", 0.0) == "0"
    assert fmt.statistic("wilcoxon", 29.0) == "29"
    assert fmt.statistic("wilcoxon", 29.5) == fmt.num(29.5)  # ties give half ranks
    assert fmt.statistic("t_cs", 6.0) == fmt.num(6.0)
    assert fmt.statistic("sign_exact", float("nan")) == ""
    assert fmt.p_kind("two-sided") == "two-sided p-value"
    assert fmt.p_kind("less") == "one-sided p-value (less: H1 abnormal return < 0)"
