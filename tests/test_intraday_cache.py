"""Intraday bars in the price cache (issue 12): round trip, replacement, coverage,
``cache info`` / ``cache clear``, old cache files, and :func:`archive_intraday`."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from click.testing import CliRunner

from eventstudy.cli_data import cache as cache_group
from eventstudy.data.cache import PriceCache
from eventstudy.data.intraday_cache import READ_COLUMNS, IntradayCache, archive_intraday
from eventstudy.data.yahoo_intraday import MARGIN, normalise_intraday
from tests.test_intraday_provider import HALF_DAY, FakeIntradayClient, recorded_frame

NOW = pd.Timestamp("2025-11-29 12:00", tz="UTC")
FETCHED = pd.Timestamp("2025-11-29 12:00", tz="UTC")


def bars(day: str, ticker: str = "MSFT", interval: str = "1m", **kw) -> pd.DataFrame:
    return normalise_intraday(recorded_frame(day, interval, ticker, **kw), ticker, interval)


def whole_day(day: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The local (New York) day as a UTC range: post-market runs past midnight UTC."""
    lo = pd.Timestamp(day, tz="America/New_York").tz_convert("UTC")
    return lo, lo + pd.Timedelta(days=1)


@pytest.fixture
def store(tmp_path):
    return PriceCache(tmp_path / "prices.sqlite")


def test_round_trip(store):
    cache = IntradayCache(store)
    frame = pd.concat([bars("2025-11-26"), bars(HALF_DAY)], ignore_index=True)
    added = cache.write("MSFT", "1m", frame, "2025-11-26", "2025-11-29", FETCHED)
    assert added == len(frame)
    back = cache.read("MSFT", "1m")
    assert list(back.columns) == list(READ_COLUMNS)
    assert str(back["timestamp"].dtype) == "datetime64[ns, UTC]"
    pd.testing.assert_frame_equal(back.drop(columns="fetched_at"), frame, check_dtype=True)
    assert (back["fetched_at"] == FETCHED).all()
    # time range [start, end) and other tickers / intervals
    lo, hi = whole_day(HALF_DAY)
    part = cache.read(["MSFT", "SPY"], "1m", lo, hi)
    assert len(part) == len(bars(HALF_DAY))
    assert cache.read("MSFT", "5m").empty
    assert cache.read("SPY", "1m").empty


def test_bars_outside_the_write_range_are_not_stored(store):
    cache = IntradayCache(store)
    frame = bars("2025-11-26")
    lo = pd.Timestamp("2025-11-26 14:30", tz="UTC")
    assert cache.write("MSFT", "1m", frame, lo, "2025-11-26 15:00", FETCHED) == 30


def test_refetch_replaces_bars_of_the_same_start(store):
    cache = IntradayCache(store)
    first = bars("2025-11-26")
    cache.write("MSFT", "1m", first, *whole_day("2025-11-26"), FETCHED)
    later = first.copy()
    later["close"] = later["close"] + 1.0
    later = later.iloc[100:]  # the later fetch lacks the first 100 bars
    again = FETCHED + pd.Timedelta(hours=1)
    added = cache.write("MSFT", "1m", later, *whole_day("2025-11-26"), again)
    assert added == 0
    back = cache.read("MSFT", "1m")
    assert len(back) == len(first)  # nothing lost
    assert (back["close"].iloc[100:].to_numpy() == later["close"].to_numpy()).all()
    assert (back["close"].iloc[:100].to_numpy() == first["close"].iloc[:100].to_numpy()).all()
    assert (back["fetched_at"].iloc[100:] == again).all()


def test_coverage(store):
    cache = IntradayCache(store)
    frame = pd.concat([bars("2025-11-26"), bars(HALF_DAY)], ignore_index=True)
    cache.write("MSFT", "1m", frame, "2025-11-26", "2025-11-29", FETCHED)
    five = bars("2025-11-26", interval="5m", gap=None)
    five = five[five["segment"] == "regular"]
    cache.write("MSFT", "5m", five, "2025-11-26", "2025-11-27", FETCHED)
    cov = {(c.ticker, c.interval): c for c in cache.coverage()}
    one = cov[("MSFT", "1m")]
    assert one.bars == len(frame)
    assert one.sessions == 2
    assert one.segments == ("pre", "regular", "post")
    assert one.first == pd.Timestamp("2025-11-26 09:00", tz="UTC")  # 04:00 EST
    assert one.last == pd.Timestamp(f"{HALF_DAY} 21:59", tz="UTC")  # 16:59 EST, a half day
    assert one.last_fetch == FETCHED
    assert cov[("MSFT", "5m")].segments == ("regular",)
    assert cov[("MSFT", "5m")].bars == 78


def test_cache_info_shows_intraday_bars(store):
    runner = CliRunner()
    empty = runner.invoke(cache_group, ["info", "--cache", str(store.path)])
    assert empty.exit_code == 0, empty.output
    assert "Intraday bars" not in empty.output
    IntradayCache(store).write("MSFT", "1m", bars(HALF_DAY), *whole_day(HALF_DAY), FETCHED)
    result = CliRunner().invoke(
        cache_group, ["info", "--cache", str(store.path)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Intraday bars" in out
    assert "MSFT" in out and "1m" in out
    assert f"{HALF_DAY} 04:00 EST" in out and f"{HALF_DAY} 16:59 EST" in out
    assert str(len(bars(HALF_DAY))) in out
    assert "pre, regular, post" in out
    assert "2025-11-29 12:00" in out


def test_cache_clear_removes_bars(store):
    cache = IntradayCache(store)
    cache.write("MSFT", "1m", bars("2025-11-26"), *whole_day("2025-11-26"), FETCHED)
    cache.write("SPY", "1m", bars("2025-11-26", "SPY"), *whole_day("2025-11-26"), FETCHED)
    result = CliRunner().invoke(cache_group, ["clear", "msft", "--cache", str(store.path)])
    assert result.exit_code == 0, result.output
    assert "intraday bars" in result.output
    assert cache.read("MSFT", "1m").empty
    assert not cache.read("SPY", "1m").empty
    assert [c.ticker for c in cache.coverage()] == ["SPY"]
    store.clear()
    assert cache.coverage() == [] and cache.count() == 0


def test_existing_cache_file_gains_the_intraday_tables(tmp_path):
    path = tmp_path / "old.sqlite"
    PriceCache(path)
    with sqlite3.connect(path) as conn:  # as written by a version without intraday bars
        conn.execute("DROP TABLE intraday_bars")
        conn.execute("DROP TABLE intraday_fetches")
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "intraday_bars" not in names and "prices" in names
    store = PriceCache(path)
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        version = dict(conn.execute("SELECT key, value FROM meta").fetchall())["schema_version"]
    assert {"intraday_bars", "intraday_fetches"} <= names
    assert version == "1"
    cache = IntradayCache(store)
    assert cache.write("MSFT", "1m", bars("2025-11-26"), *whole_day("2025-11-26"), FETCHED) > 0


# --------------------------------------------------------------------------- archiving


def test_archive_fills_then_tops_up(store):
    client = FakeIntradayClient(NOW)
    results = archive_intraday(["MSFT", "XXXX"], ["1m"], store, client, now=NOW)
    msft, bad = results
    assert msft.error is None and msft.bars_added > 15_000
    assert msft.start == NOW - pd.Timedelta(days=30) + MARGIN and msft.end == NOW
    assert "no prices for 'XXXX'" in (bad.error or "")
    cache = IntradayCache(store)
    held = cache.read("MSFT", "1m")
    assert len(held) == msft.bars_added
    # a day later: only what is new is asked for, from the last stored bar on
    later = NOW + pd.Timedelta(days=2)  # Monday 2025-12-01 12:00 UTC (07:00 EST, pre-market)
    client2 = FakeIntradayClient(later)
    (again,) = archive_intraday(["MSFT"], ["1m"], store.path, client2, now=later)
    assert again.error is None
    assert again.start == held["timestamp"].iloc[-1]
    assert len(client2.calls) == 1
    assert again.bars_added == 180 - 4  # 04:00..06:59 EST on 2025-12-01, less the gap


def test_archive_records_failures_and_stops_after_an_outage(store):
    down = FakeIntradayClient(NOW, errors={"MSFT": ConnectionError("Failed to connect")})
    results = archive_intraday(["MSFT", "SPY"], ["1m", "5m"], store, down, now=NOW)
    assert [r.bars_added for r in results] == [0, 0, 0, 0]
    assert "cannot reach Yahoo Finance" in (results[0].error or "")
    assert all("not requested" in (r.error or "") for r in results[1:])
    assert len(down.calls) == 1


def test_archive_after_the_window_keeps_the_old_bars(store):
    archive_intraday(["MSFT"], ["1m"], store, FakeIntradayClient(NOW), now=NOW)
    cache = IntradayCache(store)
    before = cache.read("MSFT", "1m")
    later = NOW + pd.Timedelta(days=45)
    (res,) = archive_intraday(["MSFT"], ["1m"], store, FakeIntradayClient(later), now=later)
    assert res.error is None
    assert res.start == later - pd.Timedelta(days=30) + MARGIN
    after = cache.read("MSFT", "1m")
    assert len(after) == len(before) + res.bars_added
    assert after["timestamp"].iloc[0] == before["timestamp"].iloc[0]
