"""Output files: CSV written by Arrow reads back to exactly the same numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import eventstudy as es
from eventstudy.output import write_csv
from tests.conftest import ROOT, SAMPLE_PRICES


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=50))
def test_every_double_round_trips(tmp_path_factory, values: list[float]):
    path = tmp_path_factory.mktemp("csv") / "x.csv"
    write_csv(pd.DataFrame({"k": np.arange(len(values)), "x": np.array(values, dtype=float)}), path)
    back = pd.read_csv(path)["x"].to_numpy(dtype=float)
    want = np.array(values, dtype=float)
    assert ((back == want) | (np.isnan(back) & np.isnan(want))).all()
    assert np.array_equal(np.signbit(back[back == 0]), np.signbit(want[want == 0]))


def test_study_tables_read_back_exactly(tmp_path: Path):
    res = es.EventStudy.from_csv(ROOT / "events.csv").run(prices=SAMPLE_PRICES)
    res.to_files(str(tmp_path), ("csv",))
    for name in ("events", "ar", "car", "aar", "tests"):
        ours = getattr(res, name)
        back = pd.read_csv(tmp_path / f"{name}.csv", keep_default_na=False, na_values=[""])
        assert list(back.columns) == list(ours.columns), name
        for col in ours.columns:
            a = ours[col]
            b = back[col]
            if pd.api.types.is_float_dtype(a.dtype):
                x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
                assert ((x == y) | (np.isnan(x) & np.isnan(y))).all(), (name, col)
            elif pd.api.types.is_datetime64_any_dtype(a.dtype):
                assert (pd.to_datetime(b) == a.dt.normalize()).all(), (name, col)
            else:
                xs = a.astype(object).where(a.notna(), "").astype(str).tolist()
                ys = b.astype(object).where(b.notna(), "").astype(str).tolist()
                assert xs == ys, (name, col)
