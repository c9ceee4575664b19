"""Faults at the provider boundary: a slow Yahoo is waited for, a hanging one is
abandoned after ``YAHOO_SECONDS`` (exit 75, nothing written), for daily prices,
minute bars, ``run``, ``fetch`` and ``batch``."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest
import yfinance
from click.testing import CliRunner

from eventstudy.cli import main
from eventstudy.data.yahoo import ProviderTimeout, YahooProvider, YFinanceClient, within
from eventstudy.errors import DataUnavailable
from tests import yf_frames as yff

EVENTS = "event_id,ticker,date,timing\nmsft-openai,MSFT,2025-09-11,after_close\n"


@pytest.fixture
def release():
    """An event the hanging fakes wait on; set at the end so no thread is left behind."""
    gate = threading.Event()
    yield gate
    gate.set()


def hanging(gate: threading.Event):
    def outcome(ticker, kwargs):
        gate.wait(600)
        raise AssertionError("a hanging request was waited for")

    return outcome


def slow(seconds: float):
    def outcome(ticker, kwargs):
        time.sleep(seconds)
        return yff.history_frame(ticker, kwargs.get("start"), kwargs.get("end"))

    return outcome


def test_within_returns_raises_or_times_out(release):
    assert within(5, lambda x: x + 1, 1) == 2
    with pytest.raises(KeyError):
        within(5, lambda: {}["missing"])
    t = time.monotonic()
    with pytest.raises(ProviderTimeout, match=r"within 0.2 s .*EVENTSTUDY_LIMIT_YAHOO_SECONDS"):
        within(0.2, release.wait, 600)
    assert time.monotonic() - t < 30  # abandoned, not waited for


def test_a_hanging_yahoo_is_a_network_failure_and_the_rest_is_not_asked(monkeypatch, release):
    fake = yff.FakeYF({"MSFT": [hanging(release)], "SPY": [hanging(release)]})
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    provider = YahooProvider(client=YFinanceClient(probe=lambda: True, deadline=0.3))
    with pytest.raises(DataUnavailable, match=r"no answer from Yahoo Finance within 0\.3 s"):
        provider.get_prices(["MSFT", "SPY"], pd.Timestamp("2025-01-02"), pd.Timestamp("2025-03-31"))
    assert [t for t, _ in fake.calls] == ["MSFT"]  # one timeout, not one per ticker


def test_a_slow_yahoo_within_the_limit_is_waited_for(monkeypatch):
    fake = yff.FakeYF({"MSFT": [slow(0.3)]})
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    provider = YahooProvider(client=YFinanceClient(probe=lambda: True, deadline=10))
    got = provider.get_prices(["MSFT"], pd.Timestamp("2025-09-02"), pd.Timestamp("2025-09-30"))
    assert "MSFT" in got.frames and not got.missing


def test_the_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("EVENTSTUDY_LIMIT_YAHOO_SECONDS", "7")
    assert YFinanceClient().deadline == 7
    monkeypatch.setenv("EVENTSTUDY_LIMIT_YAHOO_SECONDS", "soon")
    from eventstudy.errors import SettingsError

    with pytest.raises(SettingsError, match="EVENTSTUDY_LIMIT_YAHOO_SECONDS"):
        YFinanceClient()


@pytest.mark.parametrize("command", ["run", "fetch"])
def test_cli_with_a_hanging_yahoo_exits_75_and_writes_nothing(
    monkeypatch, tmp_path, release, command
):
    fake = yff.FakeYF({"MSFT": [hanging(release)], "^GSPC": [hanging(release)]})
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    monkeypatch.setenv("EVENTSTUDY_LIMIT_YAHOO_SECONDS", "1")
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    args = [command, str(events), "--cache", str(tmp_path / "c.sqlite")]
    if command == "run":
        args += ["--out", str(tmp_path / "out"), "-q"]
    t = time.monotonic()
    r = CliRunner().invoke(main, args)
    assert time.monotonic() - t < 60, "the run waited for a hanging request"
    assert r.exit_code == 75, r.output
    assert "no answer from Yahoo Finance within 1 s" in r.output
    assert "Traceback" not in r.output
    assert not (tmp_path / "out").exists()
    assert len(fake.calls) == 1


def test_batch_with_a_hanging_yahoo_exits_75_and_writes_no_tables(monkeypatch, tmp_path, release):
    events = tmp_path / "events.csv"
    events.write_text(EVENTS)
    out = tmp_path / "out"
    cfg = tmp_path / "b.toml"
    cfg.write_text(
        f'[studies.s]\nevents = "{events}"\noutput = "{out}"\ncache = "{tmp_path / "c.sqlite"}"\n'
    )
    fake = yff.FakeYF({"MSFT": [hanging(release)], "^GSPC": [hanging(release)]})
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    monkeypatch.setenv("EVENTSTUDY_LIMIT_YAHOO_SECONDS", "1")
    t = time.monotonic()
    r = CliRunner().invoke(main, ["batch", str(cfg)])
    assert time.monotonic() - t < 60, "the batch waited for a hanging request"
    assert r.exit_code == 75, r.output
    assert "no answer from Yahoo Finance" in r.output and "Traceback" not in r.output
    assert not list(out.glob("*.csv")) and not (out / "run.json").exists()


def test_minute_bars_from_a_hanging_yahoo_exit_75(monkeypatch, release):
    from eventstudy.data.yahoo_intraday import fetch_intraday

    fake = yff.FakeYF({"MSFT": [hanging(release)]})
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    client = YFinanceClient(probe=lambda: True, deadline=0.3)
    now = pd.Timestamp("2025-11-28 12:00", tz="UTC")
    with pytest.raises(DataUnavailable, match="no answer from Yahoo Finance"):
        fetch_intraday(client, "MSFT", "2025-11-24", "2025-11-26", "1m", now=now, mic="XNYS")
