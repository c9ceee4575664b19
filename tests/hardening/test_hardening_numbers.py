"""Meaningless numbers are flagged, not printed: a degenerate fit, Patell with d <= 2,
damaged Parquet columns and cache rows."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from eventstudy.cli import main
from eventstudy.data.cache import CacheCorruptError, PriceCache
from eventstudy.inference.battery import Columns, battery
from tests.conftest import ROOT, SAMPLE_PRICES


def test_benchmark_equal_to_the_stock_fails_the_event_with_the_reason(tmp_path):
    out = tmp_path / "o"
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(ROOT / "events.csv"),
            "--prices",
            str(SAMPLE_PRICES),
            "--benchmark",
            "MSFT",
            "--out",
            str(out),
            "-q",
            "--format",
            "csv",
        ],
        catch_exceptions=False,
    )
    assert r.exit_code == 1
    ev = pd.read_csv(out / "events.csv")
    msft = ev[ev["ticker"] == "MSFT"]
    assert (msft["status"] == "failed").all()
    assert msft["reason"].str.contains("degenerate fit").all()
    assert (ev.loc[ev["ticker"] != "MSFT", "status"] == "ok").all()


def test_patell_is_not_defined_when_an_event_has_two_degrees_of_freedom():
    car = np.array([[0.01], [0.02], [-0.005]])
    cols = Columns(
        car=car,
        scar=car / 0.01,
        included=np.ones((3, 1), bool),
        dof=np.array([2.0, 100.0, 100.0]),
        pos_share=np.full(3, 0.5),
        corrado=np.full(1, np.nan),
        kp_r=np.zeros(1),
        skew_reps=0,
    )
    got = {t.name: t for t in battery(cols)}
    for name in ("patell", "adj_patell"):
        assert np.isnan(got[name].statistic[0]) and np.isnan(got[name].p_value[0])
        assert "not defined" in got[name].note[0]
    assert np.isfinite(got["t_cs"].statistic[0])


@pytest.mark.parametrize(
    "column,message",
    [
        (pa.array([[1.0]] * 5), "list"),
        (pa.array([{"a": 1.0}] * 5), "struct"),
        (pa.array([b"x"] * 5), "binary"),
    ],
)
def test_parquet_columns_that_cannot_hold_prices_are_named(tmp_path, column, message):
    dates = pa.array(pd.bdate_range("2025-01-01", periods=5))
    pq.write_table(pa.table({"Date": dates, "Adj Close": column}), tmp_path / "MSFT.parquet")
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(ROOT / "events.csv"),
            "--prices",
            str(tmp_path),
            "-q",
            "--out",
            str(tmp_path / "o"),
        ],
        catch_exceptions=False,
    )
    assert r.exit_code == 2 and message in r.output and "'Adj Close'" in r.output


def test_decimal_parquet_prices_are_read_as_numbers(tmp_path):
    import decimal

    src = pd.read_csv(SAMPLE_PRICES / "MSFT.csv")
    prices = pa.array([decimal.Decimal(f"{x:.4f}") for x in src["Adj Close"]], pa.decimal128(12, 4))
    folder = tmp_path / "p"
    folder.mkdir()
    pq.write_table(
        pa.table({"Date": pa.array(pd.to_datetime(src["Date"])), "Adj Close": prices}),
        folder / "MSFT.parquet",
    )
    (folder / "GSPC.csv").write_bytes((SAMPLE_PRICES / "GSPC.csv").read_bytes())
    ev = tmp_path / "e.csv"
    ev.write_text("event_id,ticker,date,timing,benchmark\ne,MSFT,2025-09-11,after_close,^GSPC\n")
    r = CliRunner().invoke(
        main,
        ["run", str(ev), "--prices", str(folder), "-q", "--out", str(tmp_path / "o")],
        catch_exceptions=False,
    )
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE prices SET adj_close = 'abc' WHERE date = '2020-01-10'",
        "UPDATE prices SET date = '2020-02-31' WHERE date = '2020-02-03'",
        "UPDATE prices SET adj_close = -5 WHERE date = '2020-01-13'",
    ],
)
def test_impossible_cache_rows_are_never_served(tmp_path, sql):
    path = tmp_path / "prices.sqlite"
    cache = PriceCache(path)
    idx = pd.bdate_range("2020-01-01", "2020-03-31")
    cache.write(
        "MSFT",
        pd.DataFrame({"adj_close": np.linspace(1, 2, len(idx))}, index=idx),
        idx[0].date(),
        idx[-1].date(),
    )
    con = sqlite3.connect(path)
    con.execute(sql)
    con.commit()
    con.close()
    with pytest.raises(CacheCorruptError, match="MSFT has a row"):
        PriceCache(path).read("MSFT")
