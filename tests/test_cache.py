"""PriceCache (SQLite) and CachedProvider: what is fetched, when, and crash safety.

The upstream provider is a fake that records every request, so the tests can
assert exactly which date ranges would have gone to Yahoo Finance.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yf_frames as yff
import yfinance
from click.testing import CliRunner

from eventstudy.cli_data import cache as cache_group
from eventstudy.cli_data import fetch as fetch_command
from eventstudy.data.base import PriceProvider
from eventstudy.data.cache import (
    APPLICATION_ID,
    CacheFileError,
    PriceCache,
    default_cache_path,
)
from eventstudy.data.cached import CachedProvider
from eventstudy.data.yahoo import FailureKind, YahooPriceSet
from eventstudy.errors import DataUnavailable, OfflineDataMissing
from eventstudy.event_time import get_calendar

ROOT = Path(__file__).resolve().parents[1]
D = dt.date
NOT_A_CACHE = "is not an eventstudy price cache (or is corrupt): move it away or pass --cache PATH"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def synthetic(seed: int, start: str = "2024-01-02", end: str = "2025-12-31") -> pd.DataFrame:
    """A price frame on XNYS sessions (adj_close, close, volume, ...)."""
    xnys = get_calendar("XNYS").sessions_in_range(start, end)
    rng = np.random.default_rng(seed)
    adj = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(xnys))))
    frame = pd.DataFrame(
        {
            "adj_close": adj,
            "close": adj / 0.99,
            "open": adj / 0.99,
            "high": adj / 0.98,
            "low": adj / 1.0,
            "volume": rng.integers(1_000_000, 2_000_000, len(xnys)).astype(float),
            "dividends": 0.0,
            "splits": 0.0,
        },
        index=pd.DatetimeIndex(xnys, name="date").as_unit("ns"),
    )
    return frame


class FakeUpstream:
    """A PriceProvider serving ``truth`` and recording each request."""

    description = "fake upstream"

    def __init__(self, truth: dict[str, pd.DataFrame]):
        self.truth = truth
        self.calls: list[tuple[tuple[str, ...], dt.date, dt.date]] = []
        self.error: Exception | None = None

    def get_prices(self, tickers, start, end):
        self.calls.append((tuple(tickers), start, end))
        if self.error is not None:
            raise self.error
        out = YahooPriceSet(source=self.description)
        for t in tickers:
            frame = self.truth.get(t)
            sub = frame.loc[pd.Timestamp(start) : pd.Timestamp(end)] if frame is not None else None
            if sub is None or sub.empty:
                out.missing[t] = f"no prices for '{t}'"
                out.failures[t] = FailureKind.NO_DATA
            else:
                out.frames[t] = sub.copy()
        return out


class Clock:
    def __init__(self, now: str):
        self.now = utc(now)

    def __call__(self) -> pd.Timestamp:
        return self.now


@pytest.fixture
def truth() -> dict[str, pd.DataFrame]:
    return {"MSFT": synthetic(1), "^GSPC": synthetic(2)}


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "prices.sqlite"


def provider(upstream, path, clock, offline=False) -> CachedProvider:
    return CachedProvider(
        upstream,
        PriceCache(path),
        offline=offline,
        calendar_for=lambda t: get_calendar("XNYS"),
        now=clock,
    )


# --------------------------------------------------------------------------- CachedProvider


def test_cached_provider_satisfies_protocol(cache_path):
    assert isinstance(CachedProvider(None, PriceCache(cache_path)), PriceProvider)


def test_second_request_makes_zero_provider_calls(truth, cache_path):
    up, clock = FakeUpstream(truth), Clock("2025-10-15 12:00")
    first = provider(up, cache_path, clock).get_prices(
        ["MSFT", "^GSPC"], D(2025, 9, 1), D(2025, 9, 30)
    )
    # 2025-09-01 is Labor Day: the first session asked for is 09-02
    assert up.calls == [(("MSFT", "^GSPC"), D(2025, 9, 2), D(2025, 9, 30))]
    second = provider(up, cache_path, clock).get_prices(
        ["MSFT", "^GSPC"], D(2025, 9, 1), D(2025, 9, 30)
    )
    assert len(up.calls) == 1
    for t in ("MSFT", "^GSPC"):
        expected = truth[t].loc["2025-09-02":"2025-09-30"]
        pd.testing.assert_frame_equal(second.frames[t], expected, check_freq=False)
        pd.testing.assert_frame_equal(first.frames[t], second.frames[t])
    assert second.missing == {} and second.return_column["MSFT"] == "Adj Close"
    assert "fake upstream" in second.source and str(cache_path) in second.source


def test_only_new_sessions_are_fetched_later(truth, cache_path):
    up = FakeUpstream(truth)
    clock = Clock("2025-09-15 15:00")  # Monday 11:00 New York: the session is not complete
    got = provider(up, cache_path, clock).get_prices(["MSFT"], D(2025, 9, 1), D(2025, 9, 30))
    assert up.calls == [(("MSFT",), D(2025, 9, 2), D(2025, 9, 12))]
    assert got.frames["MSFT"].index.max() == pd.Timestamp("2025-09-12")

    clock.now = utc("2025-09-19 21:30")  # Friday after the close (20:00 UTC) + 1 h
    got = provider(up, cache_path, clock).get_prices(["MSFT"], D(2025, 9, 1), D(2025, 9, 30))
    # new sessions 09-15..09-19, asked with a one-session overlap (09-12) for the check
    assert up.calls[1:] == [(("MSFT",), D(2025, 9, 12), D(2025, 9, 19))]
    pd.testing.assert_frame_equal(
        got.frames["MSFT"], truth["MSFT"].loc["2025-09-02":"2025-09-19"], check_freq=False
    )


def test_future_sessions_are_never_requested(truth, cache_path):
    up = FakeUpstream(truth)
    clock = Clock("2025-09-17 12:00")
    got = provider(up, cache_path, clock).get_prices(["MSFT"], D(2025, 9, 2), D(2025, 10, 31))
    assert up.calls == [(("MSFT",), D(2025, 9, 2), D(2025, 9, 16))]
    assert got.frames["MSFT"].index.max() == pd.Timestamp("2025-09-16")


def test_gap_in_the_source_is_fetched_once(truth, cache_path):
    truth["MSFT"] = truth["MSFT"].drop(pd.Timestamp("2025-09-10"))  # Yahoo lacks a session
    up, clock = FakeUpstream(truth), Clock("2025-10-15 12:00")
    provider(up, cache_path, clock).get_prices(["MSFT"], D(2025, 9, 1), D(2025, 9, 30))
    got = provider(up, cache_path, clock).get_prices(["MSFT"], D(2025, 9, 1), D(2025, 9, 30))
    assert len(up.calls) == 1
    assert pd.Timestamp("2025-09-10") not in got.frames["MSFT"].index


def test_gaps_on_both_sides_make_one_call(truth, cache_path):
    up, clock = FakeUpstream(truth), Clock("2025-10-15 12:00")
    PriceCache(cache_path).write(
        "MSFT",
        truth["MSFT"].loc["2025-09-10":"2025-09-12"],
        D(2025, 9, 10),
        D(2025, 9, 12),
        fetched_at=clock.now,
    )
    cp = provider(up, cache_path, clock)
    got = cp.get_prices(["MSFT"], D(2025, 9, 1), D(2025, 9, 19))
    assert up.calls == [(("MSFT",), D(2025, 9, 2), D(2025, 9, 19))]
    assert len(got.frames["MSFT"]) == 14


def test_changed_adjusted_close_refetches_the_full_cached_range(truth, cache_path, caplog):
    up, clock = FakeUpstream(truth), Clock("2025-09-15 15:00")
    provider(up, cache_path, clock).get_prices(["MSFT"], D(2025, 9, 2), D(2025, 9, 30))
    # a dividend goes ex: Yahoo rescales every earlier adjusted close
    truth["MSFT"] = truth["MSFT"].assign(adj_close=truth["MSFT"]["adj_close"] * 0.995)
    clock.now = utc("2025-09-19 21:30")
    with caplog.at_level(logging.WARNING, logger="eventstudy.data.cached"):
        got = provider(up, cache_path, clock).get_prices(["MSFT"], D(2025, 9, 2), D(2025, 9, 30))
    assert up.calls[1:] == [
        (("MSFT",), D(2025, 9, 12), D(2025, 9, 19)),  # new sessions + overlap
        (("MSFT",), D(2025, 9, 2), D(2025, 9, 19)),  # full refetch on the new basis
    ]
    assert "adjusted closes changed" in caplog.text
    np.testing.assert_allclose(
        got.frames["MSFT"]["adj_close"], truth["MSFT"].loc["2025-09-02":"2025-09-19", "adj_close"]
    )


def test_offline_with_an_empty_cache_names_what_is_missing(truth, cache_path):
    up = FakeUpstream(truth)
    cp = provider(up, cache_path, Clock("2025-10-15 12:00"), offline=True)
    with pytest.raises(OfflineDataMissing) as info:
        cp.get_prices(["MSFT", "^GSPC"], D(2025, 9, 1), D(2025, 9, 30))
    assert str(info.value) == (
        f"offline: the cache {cache_path} lacks MSFT (never fetched), ^GSPC (never fetched); "
        "run `eventstudy fetch EVENTS.csv` while online"
    )
    assert info.value.exit_code == 2
    assert up.calls == []


def test_offline_names_the_missing_ranges(truth, cache_path):
    up, clock = FakeUpstream(truth), Clock("2025-09-15 15:00")
    provider(up, cache_path, clock).get_prices(["MSFT"], D(2025, 9, 1), D(2025, 9, 30))
    clock.now = utc("2025-09-19 21:30")
    offline = provider(None, cache_path, clock)
    with pytest.raises(OfflineDataMissing, match=r"lacks MSFT 2025-09-15\.\.2025-09-19;"):
        offline.get_prices(["MSFT"], D(2025, 9, 1), D(2025, 9, 30))
    got = offline.get_prices(["MSFT"], D(2025, 9, 1), D(2025, 9, 12))  # cached: fine
    assert len(got.frames["MSFT"]) == 9
    assert "offline" in offline.description
    assert len(up.calls) == 1


def test_unavailable_upstream_serves_the_cache_with_a_note(truth, cache_path):
    up, clock = FakeUpstream(truth), Clock("2025-09-15 15:00")
    provider(up, cache_path, clock).get_prices(["MSFT"], D(2025, 9, 2), D(2025, 9, 30))
    up.error = DataUnavailable("'MSFT': rate-limited by Yahoo Finance after 5 tries; wait")
    clock.now = utc("2025-09-19 21:30")
    cp = provider(up, cache_path, clock)
    got = cp.get_prices(["MSFT", "^GSPC"], D(2025, 9, 2), D(2025, 9, 30))
    assert len(got.frames["MSFT"]) == 9
    assert "rate-limited" in got.notes["MSFT"][0]
    assert "rate-limited" in got.missing["^GSPC"]
    assert len(up.calls) == 2  # one request for both tickers (same range), then stop
    # nothing at all can be served: DataUnavailable (exit 75)
    with pytest.raises(DataUnavailable):
        provider(up, cache_path, clock).get_prices(["^GSPC"], D(2025, 9, 2), D(2025, 9, 30))


def test_unknown_ticker_is_missing_and_asked_again_next_run(truth, cache_path):
    up, clock = FakeUpstream(truth), Clock("2025-10-15 12:00")
    cp = provider(up, cache_path, clock)
    got = cp.get_prices(["MSFT", "XXXX"], D(2025, 9, 1), D(2025, 9, 30))
    assert got.missing == {"XXXX": "no prices for 'XXXX'"}
    cp.get_prices(["XXXX"], D(2025, 9, 1), D(2025, 9, 30))
    assert len(up.calls) == 1  # at most one request per ticker in a run
    provider(up, cache_path, clock).get_prices(["XXXX"], D(2025, 9, 1), D(2025, 9, 30))
    assert len(up.calls) == 2  # not remembered as "no data": a later run asks again


def test_get_ranges_asks_each_ticker_for_its_own_range(truth, cache_path):
    up, clock = FakeUpstream(truth), Clock("2025-10-15 12:00")
    ranges = {"MSFT": (D(2024, 3, 1), D(2024, 3, 28)), "^GSPC": (D(2025, 9, 2), D(2025, 9, 30))}
    got = provider(up, cache_path, clock).get_ranges(ranges)
    assert sorted(up.calls) == [
        (("MSFT",), D(2024, 3, 1), D(2024, 3, 28)),
        (("^GSPC",), D(2025, 9, 2), D(2025, 9, 30)),
    ]
    assert got.frames["MSFT"].index.max() == pd.Timestamp("2024-03-28")
    # offline, only these ranges are required (not 2024-03..2025-09 for both)
    offline = provider(None, cache_path, clock).get_ranges(ranges)
    assert set(offline.frames) == {"MSFT", "^GSPC"}


# --------------------------------------------------------------------------- PriceCache


def test_write_read_roundtrip_and_layout(cache_path, truth):
    cache = PriceCache(cache_path)
    frame = truth["MSFT"].loc["2025-09-02":"2025-09-30", ["adj_close", "close"]]
    assert cache.write("MSFT", frame, D(2025, 9, 1), D(2025, 9, 30)) == 21
    back = cache.read("MSFT", D(2025, 9, 10), D(2025, 9, 12))
    shown = list(pd.DatetimeIndex(back.index).strftime("%Y-%m-%d"))
    assert shown == ["2025-09-10", "2025-09-11", "2025-09-12"]
    assert back.index.name == "date" and back.index.dtype == "datetime64[ns]"
    np.testing.assert_array_equal(
        back["adj_close"], frame.loc["2025-09-10":"2025-09-12", "adj_close"]
    )
    assert back["open"].isna().all()  # not given -> NULL -> NaN
    assert cache.read("AAPL").empty and list(cache.read("AAPL").columns) == list(back.columns)
    with sqlite3.connect(cache_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        cols = [r[1] for r in conn.execute("PRAGMA table_info(prices)")]
        assert cols == [
            "ticker",
            "date",
            "adj_close",
            "close",
            "open",
            "high",
            "low",
            "volume",
            "dividends",
            "splits",
        ]
        assert [r[1] for r in conn.execute("PRAGMA table_info(fetches)")][1:] == [
            "ticker",
            "start",
            "end",
            "fetched_at",
            "rows",
        ]
        version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        assert version == ("1",)


def test_missing_ranges_and_incomplete_sessions(cache_path, truth):
    cache = PriceCache(cache_path)
    cal = get_calendar("XNYS")
    sessions = cal.sessions_in_range("2025-09-01", "2025-09-30")
    assert cache.missing_ranges("MSFT", D(2025, 9, 1), D(2025, 9, 30), sessions) == [
        (D(2025, 9, 2), D(2025, 9, 30))
    ]
    # fetched on Friday 09-12 at 14:00 New York: that session was still trading
    cache.write(
        "MSFT",
        truth["MSFT"].loc["2025-09-02":"2025-09-12"],
        D(2025, 9, 1),
        D(2025, 9, 12),
        fetched_at=utc("2025-09-12 18:00"),
    )
    for closes in (cal.closes, None):
        assert cache.missing_ranges("MSFT", D(2025, 9, 1), D(2025, 9, 30), sessions, closes) == [
            (D(2025, 9, 12), D(2025, 9, 30))
        ]
    # a fetch covering a holiday-only range still counts
    cache.write(
        "MSFT",
        truth["MSFT"].loc["2025-09-15":"2025-09-19"],
        D(2025, 9, 12),
        D(2025, 9, 19),
        fetched_at=utc("2025-09-20 12:00"),
    )
    assert cache.missing_ranges("MSFT", D(2025, 9, 1), D(2025, 9, 30), sessions, cal.closes) == [
        (D(2025, 9, 22), D(2025, 9, 30))
    ]
    assert cache.covered_ranges("MSFT") == [(D(2025, 9, 1), D(2025, 9, 19))]


def test_covered_ranges_merge_touching_and_keep_separate(cache_path, truth):
    cache = PriceCache(cache_path)
    msft = truth["MSFT"]
    for a, b in [
        ("2025-01-02", "2025-01-31"),
        ("2025-02-01", "2025-02-28"),
        ("2025-06-02", "2025-06-30"),
        ("2025-01-15", "2025-01-20"),
    ]:
        cache.write("MSFT", msft.loc[a:b], D.fromisoformat(a), D.fromisoformat(b))
    assert cache.covered_ranges("MSFT") == [
        (D(2025, 1, 2), D(2025, 2, 28)),
        (D(2025, 6, 2), D(2025, 6, 30)),
    ]


def test_info_and_clear(cache_path, truth):
    cache = PriceCache(cache_path)
    cache.write(
        "MSFT",
        truth["MSFT"].loc["2025-09"],
        D(2025, 9, 1),
        D(2025, 9, 30),
        fetched_at=utc("2025-10-01 08:00"),
    )
    cache.write("^GSPC", truth["^GSPC"].loc["2025-08"], D(2025, 8, 1), D(2025, 8, 31))
    info = cache.info()
    assert info.path == cache_path and info.size_bytes > 0
    rows = {t.ticker: t for t in info.tickers}
    assert rows["MSFT"].rows == 21 and rows["MSFT"].first == D(2025, 9, 2)
    assert rows["MSFT"].last == D(2025, 9, 30)
    assert rows["MSFT"].last_fetch == utc("2025-10-01 08:00")
    assert rows["MSFT"].ranges == ((D(2025, 9, 1), D(2025, 9, 30)),)
    assert cache.clear("MSFT") == 21
    assert [t.ticker for t in cache.info().tickers] == ["^GSPC"]
    assert cache.fetch_records("MSFT").empty
    assert cache.clear() == 21
    assert cache.info().tickers == ()


def test_failed_write_leaves_nothing(cache_path, truth):
    cache = PriceCache(cache_path)
    frame = truth["MSFT"].loc["2025-09"]
    doubled = pd.concat([frame, frame.iloc[:1]])  # duplicate date: primary key violation
    with pytest.raises(sqlite3.IntegrityError):
        cache.write("MSFT", doubled, D(2025, 9, 1), D(2025, 9, 30))
    assert cache.read("MSFT").empty and cache.fetch_records("MSFT").empty


@pytest.mark.parametrize("kind", ["text", "sqlite", "empty-app-id-db"])
def test_foreign_file_is_refused_with_a_clear_message(tmp_path, kind):
    path = tmp_path / "prices.sqlite"
    if kind == "text":
        path.write_text("date,ticker,adj_close\n2025-09-10,MSFT,500.37\n" * 50)
    else:
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE notes (id INTEGER, body TEXT)")
            if kind == "empty-app-id-db":
                conn.execute("PRAGMA application_id = 1234")
        conn.close()
    before = path.read_bytes()
    with pytest.raises(CacheFileError) as info:
        PriceCache(path)
    assert str(info.value).startswith(f"{path} {NOT_A_CACHE}")
    assert info.value.exit_code == 2
    assert path.read_bytes() == before  # left untouched


def test_newer_schema_is_refused(cache_path):
    PriceCache(cache_path)
    with sqlite3.connect(cache_path) as conn:
        conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(CacheFileError, match="newer eventstudy"):
        PriceCache(cache_path)


def test_folder_path_is_refused(tmp_path):
    with pytest.raises(CacheFileError, match="is a folder"):
        PriceCache(tmp_path)


def test_default_path_env_var_and_platformdirs(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTSTUDY_CACHE", str(tmp_path / "mine.sqlite"))
    assert PriceCache().path == tmp_path / "mine.sqlite"
    monkeypatch.setenv("EVENTSTUDY_CACHE", str(tmp_path))
    assert default_cache_path() == tmp_path / "prices.sqlite"
    monkeypatch.delenv("EVENTSTUDY_CACHE")
    import platformdirs

    assert default_cache_path() == Path(platformdirs.user_cache_dir("eventstudy")) / (
        "prices.sqlite"
    )


# --------------------------------------------------------------------------- processes


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np, pandas as pd
    from eventstudy.data.cache import PriceCache

    path, name, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
    while not go.exists():
        time.sleep(0.005)
    cache = PriceCache(path)
    idx = pd.bdate_range("2018-01-01", periods=1500)
    for i in range(n):
        frame = pd.DataFrame({"adj_close": np.linspace(1.0, 2.0, len(idx)) + i}, index=idx)
        cache.write(f"{name}{i}", frame, idx[0].date(), idx[-1].date())
        assert len(cache.read(f"{name}{i}")) == len(idx)
        cache.info()
    print("done", name)
""")


def test_two_processes_write_and_read_at_once(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    path, go = tmp_path / "shared.sqlite", tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), name, "12", str(go)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("A", "B")
    ]
    go.touch()  # both start together, creating the cache file at the same time
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
        assert out.startswith("done")
    info = PriceCache(path).info()
    assert len(info.tickers) == 24 and all(t.rows == 1500 for t in info.tickers)


KILLED_WRITER = textwrap.dedent("""
    import sqlite3, sys, time
    import numpy as np, pandas as pd
    from eventstudy.data.cache import PriceCache

    class SlowCommit(sqlite3.Connection):
        def execute(self, sql, *args):
            if sql == "COMMIT" and getattr(self, "slow", False):
                n = super().execute("SELECT COUNT(*) FROM prices WHERE ticker = 'BBB'")
                print("IN-TRANSACTION", n.fetchone()[0], flush=True)
                time.sleep(120)
            return super().execute(sql, *args)

    class SlowCache(PriceCache):
        slow = False

        def _connect(self):
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   factory=SlowCommit)
            conn.slow = self.slow
            return conn

    cache = SlowCache(sys.argv[1])
    cache.slow = True
    idx = pd.bdate_range("2024-01-01", periods=300)
    cache.write("BBB", pd.DataFrame({"adj_close": np.arange(1.0, 301.0)}, index=idx),
                idx[0].date(), idx[-1].date())
    print("COMMITTED", flush=True)
""")


def test_process_killed_mid_write_leaves_no_partial_ticker(tmp_path, truth):
    path = tmp_path / "prices.sqlite"
    cache = PriceCache(path)
    cache.write("AAA", truth["MSFT"].loc["2025-09"], D(2025, 9, 1), D(2025, 9, 30))
    script = tmp_path / "killed.py"
    script.write_text(KILLED_WRITER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(path)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = proc.stdout, proc.stderr
    assert out is not None and err is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(out.readline()), daemon=True)
    reader.start()
    reader.join(timeout=60)
    try:
        assert line and line[0].startswith("IN-TRANSACTION"), "child did not reach COMMIT"
        assert line[0].split()[1] == "300"  # every row inserted, not yet committed
        assert len(PriceCache(path).read("AAA")) == 21  # readers are not blocked meanwhile
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        out.close()
        err.close()
    assert proc.returncode == -signal.SIGKILL
    after = PriceCache(path)
    assert after.read("BBB").empty and after.fetch_records("BBB").empty
    assert len(after.read("AAA")) == 21
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    start = time.monotonic()
    after.write("BBB", truth["MSFT"].loc["2025-09"], D(2025, 9, 1), D(2025, 9, 30))
    assert time.monotonic() - start < 5  # the dead writer's lock is gone
    assert len(after.read("BBB")) == 21


# --------------------------------------------------------------------------- CLI


def _history_from(truth_frame: pd.DataFrame):
    """A fake ``history`` outcome serving ``truth_frame`` in yfinance's real shape."""

    def serve(ticker, kwargs):
        sub = truth_frame.loc[
            pd.Timestamp(kwargs["start"]) : pd.Timestamp(kwargs["end"]) - pd.Timedelta(days=1)
        ]
        dates = pd.DatetimeIndex(sub.index).date
        index = pd.DatetimeIndex(dates, name="Date").tz_localize("America/New_York")
        return pd.DataFrame(
            {
                "Open": sub["open"].to_numpy(),
                "High": sub["high"].to_numpy(),
                "Low": sub["low"].to_numpy(),
                "Close": sub["close"].to_numpy(),
                "Adj Close": sub["adj_close"].to_numpy(),
                "Volume": sub["volume"].to_numpy().astype(np.int64),
                "Dividends": 0.0,
                "Stock Splits": 0.0,
            },
            index=index,
        )

    return serve


@pytest.fixture
def events_csv(tmp_path) -> Path:
    path = tmp_path / "events.csv"
    path.write_text("event_id,ticker,date,timing\nmsft-openai,MSFT,2025-09-11,after_close\n")
    return path


def test_cli_fetch_then_info_then_clear(monkeypatch, tmp_path, events_csv, truth):
    fake = yff.FakeYF({t: [_history_from(f)] for t, f in truth.items()})
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    path = tmp_path / "cli.sqlite"
    runner = CliRunner()
    result = runner.invoke(fetch_command, [str(events_csv), "--cache", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 of 2 symbols cached" in result.output
    assert sorted(t for t, _ in fake.calls) == ["MSFT", "^GSPC"]
    msft = PriceCache(path).read("MSFT")
    # day 0 = 2025-09-12; estimation window starts 250 sessions earlier, event window ends +10
    assert msft.index.min() <= pd.Timestamp("2024-09-16")
    assert msft.index.max() == pd.Timestamp("2025-09-26")
    again = runner.invoke(fetch_command, [str(events_csv), "--cache", str(path)])
    assert again.exit_code == 0 and len(fake.calls) == 2  # nothing new to fetch
    assert "0 request(s)" in again.output

    info = runner.invoke(cache_group, ["info", "--cache", str(path)])
    assert info.exit_code == 0, info.output
    assert "MSFT" in info.output and "^GSPC" in info.output
    cleared = runner.invoke(cache_group, ["clear", "MSFT", "--cache", str(path)])
    assert cleared.exit_code == 0 and "removed" in cleared.output
    assert PriceCache(path).read("MSFT").empty and not PriceCache(path).read("^GSPC").empty


def test_cli_fetch_network_down_exits_75(monkeypatch, tmp_path, events_csv):
    fake = yff.FakeYF({"MSFT": [yff.dns_error()], "^GSPC": [yff.dns_error()]})
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    result = CliRunner().invoke(
        fetch_command, [str(events_csv), "--cache", str(tmp_path / "c.sqlite")]
    )
    assert result.exit_code == 75, result.output
    assert "cannot reach Yahoo Finance (network down?)" in result.output
    assert result.output.rstrip().splitlines()[-1].startswith("error: ")
    assert len(fake.calls) == 1  # the second symbol is not tried during the outage


def test_cli_bad_events_file_exits_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("ticker,date\nMSFT,2025-13-45\n")
    result = CliRunner().invoke(fetch_command, [str(bad), "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 2
    assert result.output.startswith("error: ")


def test_cli_foreign_cache_exits_2(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\n" * 100)
    result = CliRunner().invoke(cache_group, ["info", "--cache", str(path)])
    assert result.exit_code == 2
    assert NOT_A_CACHE in result.output


def test_cli_fetch_states_a_network_outage_once(monkeypatch, tmp_path):
    events = tmp_path / "events.csv"
    tickers = ["MSFT", "AAPL", "GOOGL", "AMZN", "NVDA"]
    events.write_text(
        "ticker,date,timing\n" + "".join(f"{t},2025-09-11,after_close\n" for t in tickers)
    )
    fake = yff.FakeYF()
    fake.default = staticmethod(lambda t, kw: yff.dns_error())  # type: ignore[method-assign]
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    monkeypatch.setattr("eventstudy.data.yahoo._probe_yahoo", lambda timeout=5.0: False)
    result = CliRunner().invoke(fetch_command, [str(events), "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 75, result.output
    assert result.output.count("cannot reach Yahoo Finance") == 1, result.output
    assert "failed:" not in result.output
    assert "6 symbol(s) not fetched" in result.output and "^GSPC" in result.output
