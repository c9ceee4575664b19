"""PriceTable: ticker codes and the per-ticker date-range selection against plain loops."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import table as table_module
from eventstudy.data.table import PriceTable, day_array, factorize_tickers


def _table(rng: np.random.Generator) -> PriceTable:
    n = int(rng.integers(0, 80))
    tickers = rng.choice(np.array(["A", "B", " C", "D"], dtype=object), n)
    days = np.datetime64("2020-01-01") + rng.integers(0, 40, n).astype("timedelta64[D]")
    key = [f"{str(t).strip()}|{d}" for t, d in zip(tickers, days, strict=True)]
    _, first = np.unique(np.array(key), return_index=True)  # one row per ticker and date
    return PriceTable.from_arrays(
        tickers[first], days[first], {"adj_close": rng.uniform(1, 2, len(first))}
    )


def _rows(table: PriceTable) -> list[tuple[str, np.datetime64, float]]:
    """The table's (ticker, date, adjusted close) rows, ticker by ticker."""
    return [
        (str(t), d, p)
        for k, t in enumerate(table.tickers)
        for d, p in zip(
            table.dates[table.starts[k] : table.starts[k + 1]],
            table.values["adj_close"][table.starts[k] : table.starts[k + 1]],
            strict=True,
        )
    ]


@pytest.mark.parametrize("seed", range(40))
def test_select_ranges_equals_a_row_loop(seed: int):
    rng = np.random.default_rng(seed)
    table = _table(rng)
    ranges = {}
    for name in ("A", "B", "C", "E"):
        if rng.random() < 0.8:
            a = dt.date(2020, 1, 1) + dt.timedelta(int(rng.integers(-5, 45)))
            ranges[name] = (a, a + dt.timedelta(int(rng.integers(-3, 30))))
    got = table.select(ranges=ranges)
    want = [
        (t, d, p)
        for t, d, p in _rows(table)
        if t in ranges and ranges[t][0] <= d.astype(dt.date) <= ranges[t][1]
    ]
    assert _rows(got) == want
    assert (np.diff(got.starts) > 0).all()  # no ticker left without rows


def test_select_of_every_row_is_the_table_itself():
    table = PriceTable.from_arrays(
        ["A", "A", "B"],
        np.array(["2020-01-02", "2020-01-03", "2020-01-02"], dtype="datetime64[D]"),
        {"adj_close": np.array([1.0, 2.0, 3.0])},
    )
    whole = {"A": (dt.date(2020, 1, 1), dt.date(2020, 1, 3)), "B": (dt.date(2020, 1, 2),) * 2}
    assert table.select(ranges=whole) is table
    part = table.select(ranges={"A": (dt.date(2020, 1, 3), dt.date(2020, 1, 3))})
    assert part.tickers.tolist() == ["A"] and part.values["adj_close"].tolist() == [2.0]


def test_factorize_sorted_and_unsorted_input():
    codes, names = factorize_tickers(np.array(["B", "B", " A", "C", "A"], dtype=object))
    assert names.tolist() == ["A", "B", "C"] and codes.tolist() == [1, 1, 0, 2, 0]
    codes, names = factorize_tickers(np.array(["A", "A", "B"], dtype=object))
    assert names.tolist() == ["A", "B"] and codes.tolist() == [0, 0, 1]


@pytest.mark.parametrize("dtype", ["str", "string[pyarrow]", "large_string[pyarrow]"])
@pytest.mark.parametrize("layout", ["runs", "runs with gaps", "shuffled"])
def test_first_seen_codes_equal_pandas_factorize(dtype: str, layout: str):
    # Above _RUNS_FROM rows an Arrow column in runs is factorized run by run;
    # codes and uniques must be pandas' own (order of first appearance, NA -1).
    rng = np.random.default_rng(3)
    names = np.array([f"T{k}" for k in range(300)] + [None], dtype=object)
    values = np.repeat(names[rng.integers(0, len(names), 400)], rng.integers(1, 900, 400))
    if layout == "shuffled":
        values = rng.permutation(values)
    assert len(values) > table_module._RUNS_FROM
    parts = [values[:70_000], values[70_000:]] if layout == "runs with gaps" else [values]
    column = pd.concat([pd.Series(p, dtype=dtype) for p in parts], ignore_index=True)
    codes, uniques = table_module._first_seen_codes(column)
    want_codes, want_uniques = pd.factorize(column, sort=False)
    assert codes.tolist() == want_codes.tolist()
    assert list(uniques) == list(want_uniques)


def test_day_array_of_date_objects_equals_numpy():
    days = [dt.date(1, 1, 1), dt.date(1969, 12, 31), dt.date(2025, 9, 12), dt.date(9999, 12, 31)]
    assert (day_array(days) == np.array(days, dtype="datetime64[D]")).all()
    assert day_array(["2025-09-12"])[0] == np.datetime64("2025-09-12")
