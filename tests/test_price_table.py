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
def test_select_ranges_equals_a_row_loop(seed: int, monkeypatch: pytest.MonkeyPatch):
    if seed % 2:  # row blocks smaller than a ticker's rows, or than one row
        monkeypatch.setattr(table_module, "ROW_BLOCK", 1 + seed % 7)
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


@pytest.mark.parametrize("block", [1, 2, 5, 1 << 20])
def test_sorted_by_blocks_equals_the_whole_key(block: int, monkeypatch: pytest.MonkeyPatch):
    # Sorted, sorted with a repeat (at a block edge or not) and unsorted rows.
    monkeypatch.setattr(table_module, "ROW_BLOCK", block)
    rng = np.random.default_rng(block)
    for _ in range(200):
        n = int(rng.integers(0, 12))
        codes = np.sort(rng.integers(0, 3, n))
        days = np.sort(rng.integers(0, 6, n)).astype("datetime64[D]")
        if rng.random() < 0.5:
            days = np.concatenate([np.sort(days[codes == c]) for c in range(3)])
        key = codes.astype(np.int64) * (1 << 32) + days.view(np.int64)
        in_order = bool((key[1:] >= key[:-1]).all())
        same = np.flatnonzero(key[1:] == key[:-1])
        want = (in_order, int(same[0] + 1) if in_order and len(same) else None)
        assert table_module._sorted_by_blocks(codes, days) == want


def test_duplicate_reported_at_its_row_sorted_or_not():
    seen: list[int] = []

    def dup(row: int) -> None:
        seen.append(row)

    days = np.array(["2020-01-01", "2020-01-02", "2020-01-02", "2020-01-03"], "datetime64[D]")
    px = {"adj_close": np.ones(4)}
    PriceTable.from_codes(np.zeros(4, np.int64), np.array(["A"]), days, px, on_duplicate=dup)
    shuffled = days[[3, 1, 0, 2]]
    PriceTable.from_codes(np.zeros(4, np.int64), np.array(["A"]), shuffled, px, on_duplicate=dup)
    assert seen == [2, 3]
