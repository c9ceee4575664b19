"""Abnormal log volume (Campbell & Wasley 1996) against the raw price files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

import eventstudy as es
from eventstudy.cli import main
from tests.conftest import ROOT, SAMPLE_PRICES


@pytest.fixture(scope="module")
def res() -> es.StudyResult:
    return es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)


def test_founding_event_by_hand(res):
    raw = pd.read_csv(SAMPLE_PRICES / "MSFT.csv", parse_dates=["Date"]).set_index("Date")
    est = res.estimation[res.estimation["event_id"] == "msft-openai-mou-2025"]
    v_est = np.log1p(raw.loc[pd.DatetimeIndex(est["date"]), "Volume"].to_numpy(float))
    v0 = np.log1p(float(raw.loc[pd.Timestamp("2025-09-12"), "Volume"]))
    row = res.volume[
        (res.volume["event_id"] == "msft-openai-mou-2025") & (res.volume["rel_day"] == 0)
    ]
    assert row["abnormal_log_volume"].iloc[0] == pytest.approx(v0 - v_est.mean(), abs=1e-12)
    assert row["t"].iloc[0] == pytest.approx((v0 - v_est.mean()) / v_est.std(ddof=1), abs=1e-12)


def test_cross_section_by_hand(res):
    v = res.volume
    day0 = v[v["rel_day"] == 0]["abnormal_log_volume"].to_numpy()
    t = res.volume_tests.set_index("rel_day").loc[0]
    ref = stats.ttest_1samp(day0, 0.0)
    assert t["t_cs"] == pytest.approx(ref.statistic, abs=1e-12)
    assert t["p_cs"] == pytest.approx(ref.pvalue, abs=1e-12)
    assert t["n"] == len(res.events)


def test_missing_volume_is_said(res):
    prices = {k: f.drop(columns=["volume"]) for k, f in res.prices.items()}
    from eventstudy.volume import NO_VOLUME, volume_tables

    table, tests = volume_tables(res.events, res.ar, res.estimation, prices)
    assert (table["note"] == NO_VOLUME).all() and table["abnormal_log_volume"].isna().all()
    assert (tests["n"] == 0).all()


def test_cli_writes_volume_only_when_asked(tmp_path: Path):
    out = tmp_path / "o"
    args = ["run", str(ROOT / "events.csv"), "--prices", str(SAMPLE_PRICES), "--format", "csv"]
    r = CliRunner().invoke(main, [*args, "--out", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert not (out / "volume.csv").exists() and (out / "bhar.csv").exists()
    r = CliRunner().invoke(main, [*args, "--out", str(out), "-q", "--volume"])
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(out / "volume_tests.csv")) == 21
