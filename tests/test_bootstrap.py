"""Seeded bootstrap of the CAAR against a plain loop with the same random stream."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import eventstudy as es
from tests.conftest import ROOT, SAMPLE_PRICES


@pytest.fixture(scope="module")
def res() -> es.StudyResult:
    return es.EventStudy.from_csv(ROOT / "events.csv", bootstrap_reps=499, seed=7).run(
        prices=SAMPLE_PRICES
    )


def test_bootstrap_equals_a_plain_loop(res):
    rng = np.random.default_rng(7)
    for (a, b), row in zip(res.settings.car_windows, res.bootstrap.to_dict("records"), strict=True):
        x = res.car[(res.car["start"] == a) & (res.car["end"] == b)]["car"].to_numpy()
        n = len(x)
        idx = rng.integers(0, n, size=(499, n))
        means, ts = [], []
        t_obs = x.mean() / (x.std(ddof=1) / np.sqrt(n))
        for k in range(499):
            s = x[idx[k]]
            means.append(s.mean())
            if s.std(ddof=1) > 0:
                ts.append((s.mean() - x.mean()) / (s.std(ddof=1) / np.sqrt(n)))
        means = np.array(means)
        assert row["p_percentile"] == min(1.0, 2 * min((means <= 0).mean(), (means >= 0).mean()))
        assert row["p_boot_t"] == pytest.approx(np.mean(np.abs(ts) >= abs(t_obs)), abs=1e-15)
        assert row["pct_low"] == pytest.approx(np.quantile(means, 0.025), abs=1e-15)
        assert row["t"] == pytest.approx(t_obs, abs=1e-12)


def test_seed_is_recorded_and_repeatable(res, tmp_path: Path):
    again = es.EventStudy.from_csv(ROOT / "events.csv", bootstrap_reps=499, seed=7).run(
        prices=SAMPLE_PRICES
    )
    assert res.bootstrap.equals(again.bootstrap)
    res.to_files(str(tmp_path), ("csv",))
    meta = json.loads((tmp_path / "run.json").read_text())
    assert meta["settings"]["seed"] == 7 and meta["settings"]["bootstrap_reps"] == 499
    assert (tmp_path / "bootstrap.csv").exists()
