"""Issue 3 end to end: Yahoo (faked at the yfinance boundary) + cache + offline, via the study."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import exchange_calendars as xc
import numpy as np
import pandas as pd
import yfinance
from click.testing import CliRunner

import eventstudy as es
from eventstudy.cli import main
from eventstudy.data.cache import PriceCache
from eventstudy.data.cached import CachedProvider
from eventstudy.data.files import FilePriceProvider
from tests import yf_frames as yff
from tests.conftest import ROOT

GOOD = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG"]
BAD = ["XBAD1", "XBAD2", "XBAD3"]


def _history(ticker: str, kwargs: dict) -> pd.DataFrame:
    """A frame of ``Ticker.history``'s real shape (tz-aware midnight index, flat columns)."""
    cal = xc.get_calendar("XNYS", start="2020-01-01")
    sessions = cal.sessions_in_range("2023-06-01", "2025-10-31")
    start, end = pd.Timestamp(kwargs["start"]), pd.Timestamp(kwargs["end"])
    seed = sum(map(ord, ticker))
    rng = np.random.default_rng(seed)
    m = np.random.default_rng(1).normal(0.0004, 0.01, len(sessions))
    r = m if ticker == "^GSPC" else 0.0002 + 1.2 * m + rng.normal(0, 0.015, len(sessions))
    close = 100 * np.cumprod(1 + r)
    idx = pd.DatetimeIndex(sessions).tz_localize("America/New_York")
    frame = pd.DataFrame(
        {
            "Open": close,
            "High": close * 1.01,
            "Low": close * 0.99,
            "Close": close,
            "Adj Close": close,
            "Volume": 1e6,
            "Dividends": 0.0,
            "Stock Splits": 0.0,
        },
        index=idx.rename("Date"),
    )
    keep = (idx.tz_localize(None) >= start) & (idx.tz_localize(None) < end)
    return frame.loc[keep]


def _unknown(ticker: str, kwargs: dict) -> Exception:
    return yff.prices_missing_error(ticker, str(kwargs["start"]), str(kwargs["end"]))


def test_three_of_ten_tickers_failing_still_gives_the_other_seven(tmp_path: Path, monkeypatch):
    fake = yff.FakeYF({t: [_unknown] for t in BAD})
    fake.default = staticmethod(_history)  # type: ignore[method-assign]
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    events = tmp_path / "events.csv"
    rows = [f"{t},2025-06-12,after_close" for t in GOOD + BAD]
    events.write_text("ticker,date,timing\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out"
    result = CliRunner(env={"COLUMNS": "250"}).invoke(
        main,
        [
            "run",
            str(events),
            "--cache",
            str(tmp_path / "c.sqlite"),
            "--out",
            str(out),
            "--format",
            "csv",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    ev = pd.read_csv(out / "events.csv").set_index("ticker")
    assert (ev.loc[GOOD, "status"] == "ok").all()
    assert (ev.loc[BAD, "status"] == "failed").all()
    for t in BAD:
        assert t in ev.loc[t, "reason"]
        assert t in result.output
    assert set(pd.read_csv(out / "car.csv")["event_id"].str.split("_").str[0]) == set(GOOD)


class CountingProvider:
    """Wraps a provider and counts the calls that reach it."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    @property
    def description(self) -> str:
        return self.inner.description

    def get_prices(self, tickers, start, end):
        self.calls.append((tuple(tickers), start, end))
        return self.inner.get_prices(tickers, start, end)


def _msft_events() -> pd.DataFrame:
    return es.EventStudy(ROOT / "events.csv").events.query("ticker == 'MSFT'")[
        ["event_id", "ticker", "date", "time", "timing", "benchmark", "description"]
    ]


def test_cache_path_equals_prices_path_and_second_run_is_free(shared_prices, tmp_path: Path):
    events = _msft_events()
    direct = es.EventStudy(events).run(prices=shared_prices)
    upstream = CountingProvider(FilePriceProvider(shared_prices))
    cache = PriceCache(tmp_path / "c.sqlite")
    first = es.EventStudy(events).run(prices=CachedProvider(upstream, cache))
    assert upstream.calls
    n = len(upstream.calls)
    second = es.EventStudy(events).run(prices=CachedProvider(upstream, cache))
    assert len(upstream.calls) == n  # zero provider calls on the second run
    offline = es.EventStudy(events).run(prices=CachedProvider(None, cache, offline=True))
    for res in (first, second, offline):
        for name in ("ar", "car", "aar", "tests"):
            pd.testing.assert_frame_equal(
                getattr(res, name), getattr(direct, name), check_exact=True
            )
        cols = ["status", "n_est", "sigma", "alpha", "beta", "r2"]
        pd.testing.assert_frame_equal(res.events[cols], direct.events[cols], check_exact=True)


def test_offline_with_empty_cache_exits_2_naming_what_is_missing(tmp_path: Path):
    events = tmp_path / "e.csv"
    events.write_text("ticker,date,timing\nMSFT,2025-09-11,after_close\n")
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(events),
            "--offline",
            "--cache",
            str(tmp_path / "empty.sqlite"),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "MSFT" in result.stderr and "^GSPC" in result.stderr
    assert "eventstudy fetch" in result.stderr
    assert not (tmp_path / "o").exists()


def test_date_ranges_are_per_ticker():
    study = es.EventStudy(ROOT / "events.csv")
    ranges = study.date_ranges()
    a, b = ranges["AAPL"]
    assert a > dt.date(2024, 8, 1) and b <= dt.date(2025, 10, 1)
    assert ranges["MSFT"][0] < dt.date(2018, 8, 1)


def test_network_down_run_exits_75_quickly(tmp_path: Path, monkeypatch):
    """With the network down, `run` stops after a few symbols instead of trying all."""
    fake = yff.FakeYF()
    fake.default = staticmethod(lambda t, kw: yff.dns_error())  # type: ignore[method-assign]
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    monkeypatch.setattr("eventstudy.data.yahoo._probe_yahoo", lambda timeout=5.0: False)
    events = tmp_path / "events.csv"
    rows = [f"{t},2025-06-12,after_close" for t in GOOD + BAD]
    events.write_text("ticker,date,timing\n" + "\n".join(rows) + "\n")
    result = CliRunner().invoke(
        main,
        ["run", str(events), "--cache", str(tmp_path / "c.sqlite"), "--out", str(tmp_path / "out")],
    )
    assert result.exit_code == 75, result.output
    assert "cannot reach Yahoo Finance" in result.stderr
    assert len({t for t, _ in fake.calls}) <= 3
    assert not (tmp_path / "out").exists()


def test_date_ranges_never_inverted_for_future_events():
    events = pd.DataFrame({"ticker": ["MSFT"], "date": [str(dt.date.today() + dt.timedelta(300))]})
    for a, b in es.EventStudy(events).date_ranges().values():
        assert a <= b <= dt.date.today()


def test_benchmark_ranges_are_padded_only_across_calendars():
    events = pd.DataFrame(
        {
            "event_id": ["us", "paris"],
            "ticker": ["MSFT", "MC.PA"],
            "date": ["2025-09-11", "2025-05-02"],
            "benchmark": ["^GSPC", "^GSPC"],
            "timing": ["after_close"] * 2,
        }
    )
    ranges = es.EventStudy(events).date_ranges()
    # ^GSPC on the US stock's own calendar needs exactly the stock's dates ...
    us = es.EventStudy(events.iloc[:1]).date_ranges()
    assert us["^GSPC"] == us["MSFT"]
    # ... and for the Paris stock it starts at its own last session before the
    # Paris estimation window (its return over its own previous session) and
    # ends with the Paris event window, not a week later.
    paris = es.EventStudy(events.iloc[1:]).date_ranges()
    xpar = xc.get_calendar("XPAR", start="2020-01-01").sessions
    xnys = xc.get_calendar("XNYS", start="2020-01-01").sessions
    day0 = xpar.get_loc(pd.Timestamp("2025-05-05"))  # after the close of Friday 05-02
    est_start = xpar[day0 - 250]
    assert paris["MC.PA"] == (xpar[day0 - 251].date(), xpar[day0 + 10].date())
    assert paris["^GSPC"] == (xnys[xnys < est_start][-1].date(), xpar[day0 + 10].date())
    assert ranges["^GSPC"] == (min(paris["^GSPC"][0], us["^GSPC"][0]), us["^GSPC"][1])


def test_cache_filled_right_after_an_event_serves_it_offline_a_week_later(
    tmp_path: Path, monkeypatch
):
    days = xc.get_calendar("XNYS", start="2024-01-01").sessions
    days = days[(days >= "2024-06-03") & (days <= "2025-10-10")].tz_localize(None)
    rng = np.random.default_rng(5)
    m = rng.normal(0, 0.01, len(days))
    prices = pd.concat(
        [
            pd.DataFrame({"date": days, "ticker": "^GSPC", "adj_close": 5000 * np.cumprod(1 + m)}),
            pd.DataFrame(
                {
                    "date": days,
                    "ticker": "MSFT",
                    "adj_close": 400 * np.cumprod(1 + m + rng.normal(0, 0.01, len(days))),
                }
            ),
        ]
    )
    events = pd.DataFrame({"ticker": ["MSFT"], "date": ["2025-09-11"], "timing": ["after_close"]})
    cache = PriceCache(tmp_path / "c.sqlite")
    # Right after the event window closed (day 0 2025-09-12 + 10 sessions = 2025-09-26).
    monkeypatch.setattr("eventstudy.study._today", lambda: dt.date(2025, 9, 29))
    upstream = CountingProvider(es.study.resolve_provider(prices))
    first = es.EventStudy(events).run(
        prices=CachedProvider(
            upstream, cache, now=lambda: pd.Timestamp("2025-09-29 23:00", tz="UTC")
        )
    )
    assert (first.events["status"] == "ok").all()
    # A week later, offline: the cache still has everything the study needs.
    monkeypatch.setattr("eventstudy.study._today", lambda: dt.date(2025, 10, 6))
    later = es.EventStudy(events).run(
        prices=CachedProvider(
            None, cache, offline=True, now=lambda: pd.Timestamp("2025-10-06 23:00", tz="UTC")
        )
    )
    pd.testing.assert_frame_equal(later.car, first.car, check_exact=True)
    # And online, nothing new is asked for.
    n = len(upstream.calls)
    es.EventStudy(events).run(
        prices=CachedProvider(
            upstream, cache, now=lambda: pd.Timestamp("2025-10-06 23:00", tz="UTC")
        )
    )
    assert len(upstream.calls) == n
