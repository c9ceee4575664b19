"""Tests per group and the CAAR difference between groups."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import eventstudy as es
from eventstudy.cli import main
from eventstudy.errors import SettingsError
from tests.conftest import ROOT, SAMPLE_PRICES


@pytest.fixture(scope="module")
def grouped() -> tuple[es.StudyResult, pd.DataFrame]:
    ev = pd.read_csv(ROOT / "events.csv")
    ev["kind"] = np.where(ev["ticker"] == "MSFT", "msft", "peer")
    return es.EventStudy(ev).run(prices=SAMPLE_PRICES), ev


def test_each_group_equals_its_own_study(grouped):
    res, ev = grouped
    tests, _ = res.by_group("kind")
    for g in ("msft", "peer"):
        alone = es.EventStudy(ev[ev["kind"] == g].drop(columns="kind")).run(prices=SAMPLE_PRICES)
        mine = tests[tests["group"] == g].drop(columns="group").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.tests.reset_index(drop=True))


def test_difference_tests_by_hand(grouped):
    res, ev = grouped
    _, diff = res.by_group("kind")
    kind = dict(zip(ev["event_id"], ev["kind"], strict=True))
    car = res.car[(res.car["start"] == -1) & (res.car["end"] == 1)]
    a = car[car["event_id"].astype(str).map(kind) == "msft"]["car"].to_numpy()
    b = car[car["event_id"].astype(str).map(kind) == "peer"]["car"].to_numpy()
    row = diff[(diff["start"] == -1) & (diff["end"] == 1)].iloc[0]
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    t = (a.mean() - b.mean()) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    assert row["welch_t"] == pytest.approx(t, abs=1e-12)
    assert row["welch_df"] == pytest.approx(df, abs=1e-9)
    u = sum((x > y) + 0.5 * (x == y) for x in a for y in b)
    assert row["mannwhitney_u"] == u
    assert row["diff"] == pytest.approx(a.mean() - b.mean(), abs=1e-15)


def test_bad_group_columns(grouped):
    res, _ = grouped
    with pytest.raises(SettingsError, match="no such column"):
        res.by_group("nope")
    with pytest.raises(SettingsError, match="at least 2 groups"):
        res.by_group("benchmark")


def test_cli_group_writes_both_tables(tmp_path: Path):
    ev = pd.read_csv(ROOT / "events.csv")
    ev["kind"] = np.where(ev["ticker"] == "MSFT", "msft", "peer")
    f = tmp_path / "ev.csv"
    ev.to_csv(f, index=False)
    out = tmp_path / "o"
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(f),
            "--prices",
            str(SAMPLE_PRICES),
            "--format",
            "csv",
            "--out",
            str(out),
            "-q",
            "--group",
            "kind",
        ],
    )
    assert r.exit_code == 0, r.output
    assert set(pd.read_csv(out / "groups_tests.csv")["group"]) == {"msft", "peer"}
    assert len(pd.read_csv(out / "groups_diff.csv")) == 5
