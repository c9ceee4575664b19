"""YahooProvider: parsing yfinance's real shapes and classifying its failures.

yfinance itself is replaced at its entry point (``yfinance.Ticker``) by
:class:`yf_frames.FakeYF`, which returns recorded frames or raises recorded
exceptions, so the provider's own call and parsing code runs unchanged.
"""

from __future__ import annotations

import datetime as dt
import socket
import warnings

import numpy as np
import pandas as pd
import pytest
import requests
import yf_frames as yff
import yfinance

from eventstudy.data.base import PriceProvider
from eventstudy.data.yahoo import (
    FailureKind,
    YahooProvider,
    YFinanceClient,
    classify_failure,
    normalise_history,
)
from eventstudy.errors import DataUnavailable

D = dt.date


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def make_provider(
    monkeypatch, script=None, *, online=True, retries=4, backoff=1.0, max_backoff=30.0, seed=0
):
    fake = yff.FakeYF(script)
    monkeypatch.setattr(yfinance, "Ticker", fake.Ticker)
    sleep = FakeSleep()
    probes: list[bool] = []

    def probe() -> bool:
        probes.append(online)
        return online

    provider = YahooProvider(
        retries=retries,
        backoff=backoff,
        max_backoff=max_backoff,
        sleep=sleep,
        rng=np.random.default_rng(seed),
        client=YFinanceClient(probe=probe),
    )
    return provider, fake, sleep, probes


# --------------------------------------------------------------------------- parsing


def test_provider_satisfies_protocol():
    assert isinstance(YahooProvider(client=YFinanceClient(probe=lambda: True)), PriceProvider)


def test_history_shape_is_parsed_to_session_dates(monkeypatch):
    provider, fake, sleep, _ = make_provider(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # raise_errors' DeprecationWarning must not leak
        prices = provider.get_prices(["MSFT"], D(2025, 9, 10), D(2025, 9, 12))
    assert prices.missing == {}
    frame = prices.frames["MSFT"]
    assert list(frame.index) == list(pd.to_datetime(["2025-09-10", "2025-09-11", "2025-09-12"]))
    assert frame.index.tz is None and frame.index.name == "date"
    assert frame.index.dtype == "datetime64[ns]"
    assert list(frame.columns) == [
        "adj_close",
        "close",
        "open",
        "high",
        "low",
        "volume",
        "dividends",
        "splits",
    ]
    np.testing.assert_allclose(frame["close"], [500.37, 501.01, 509.90])
    np.testing.assert_allclose(
        frame["adj_close"], np.array([500.37, 501.01, 509.90]) * 0.992958, rtol=1e-9
    )
    assert all(d == np.float64 for d in frame.dtypes)
    assert prices.return_column == {"MSFT": "Adj Close"}
    assert "yfinance" in prices.source
    # the one call made to yfinance: end is exclusive there, so end + 1 day
    [(ticker, kwargs)] = fake.calls
    assert ticker == "MSFT"
    assert kwargs["start"] == "2025-09-10" and kwargs["end"] == "2025-09-13"
    assert kwargs["auto_adjust"] is False and kwargs["actions"] is True
    assert kwargs["raise_errors"] is True
    assert sleep.delays == []


def test_index_matches_exchange_calendar_sessions():
    from eventstudy.event_time import sessions

    frame = normalise_history(yff.history_frame("MSFT"), "MSFT")
    xnys = sessions("XNYS")
    september = xnys[(xnys >= pd.Timestamp("2025-09-01")) & (xnys <= pd.Timestamp("2025-09-30"))]
    assert frame.index.equals(pd.DatetimeIndex(september, name="date"))


def test_download_shape_multiindex_is_parsed():
    raw = yff.download_frame(["MSFT", "^GSPC"], "2025-09-10", "2025-09-13")
    assert raw.columns.names == ["Price", "Ticker"]
    msft = normalise_history(raw, "MSFT")
    gspc = normalise_history(raw, "^GSPC")
    np.testing.assert_allclose(msft["close"], [500.37, 501.01, 509.90])
    np.testing.assert_allclose(gspc["close"], [6532.04, 6587.47, 6584.29])
    assert normalise_history(raw, "AAPL").empty
    assert (
        classify_failure(normalise_history(yff.empty_download_frame(["MSFT"]), "MSFT"))
        is FailureKind.NO_DATA
    )


def test_rows_without_adjusted_close_are_dropped():
    raw = yff.history_frame("MSFT", "2025-09-10", "2025-09-13")
    raw.loc[raw.index[1], "Adj Close"] = np.nan
    frame = normalise_history(raw, "MSFT")
    assert [d.day for d in frame.index] == [10, 12]


def test_row_after_requested_end_is_dropped(monkeypatch):
    # Yahoo sometimes appends the latest price after the requested end.
    provider, *_ = make_provider(
        monkeypatch, {"MSFT": [yff.history_frame("MSFT", "2025-09-10", "2025-09-16")]}
    )
    frame = provider.get_prices(["MSFT"], D(2025, 9, 10), D(2025, 9, 12)).frames["MSFT"]
    assert frame.index.max() == pd.Timestamp("2025-09-12")


def test_auto_adjusted_frame_is_a_provider_error(monkeypatch):
    provider, *_ = make_provider(monkeypatch, {"MSFT": [yff.history_frame_auto_adjusted()]})
    prices = provider.get_prices(["MSFT"], D(2025, 9, 10), D(2025, 9, 12))
    assert prices.failures["MSFT"] is FailureKind.PROVIDER
    assert "auto_adjust=False" in prices.missing["MSFT"]


# --------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (yff.empty_history_frame, FailureKind.NO_DATA),
        (lambda: pd.DataFrame(), FailureKind.NO_DATA),
        (lambda: yff.history_frame("MSFT"), FailureKind.OK),
        (yff.rate_limit_error, FailureKind.RATE_LIMITED),
        (yff.http_429_error, FailureKind.RATE_LIMITED),
        (
            lambda: Exception("Too Many Requests. Rate limited. Try after a while."),
            FailureKind.RATE_LIMITED,
        ),
        (yff.dns_error, FailureKind.NETWORK),
        (yff.timeout_error, FailureKind.NETWORK),
        (lambda: requests.exceptions.ConnectionError("Max retries exceeded"), FailureKind.NETWORK),
        (lambda: requests.exceptions.ReadTimeout("read timed out"), FailureKind.NETWORK),
        (lambda: socket.gaierror(-3, "Temporary failure in name resolution"), FailureKind.NETWORK),
        (lambda: TimeoutError("timed out"), FailureKind.NETWORK),
        (
            lambda: yfinance.exceptions.YFDataException(
                "*** YAHOO! FINANCE IS CURRENTLY DOWN! ***"
            ),
            FailureKind.NETWORK,
        ),
        (lambda: yff.tz_missing_error("XXXX"), FailureKind.AMBIGUOUS),
        (lambda: yff.prices_missing_error("XXXX", "2025-09-10", "2025-09-13"), FailureKind.NO_DATA),
        (lambda: yfinance.exceptions.YFTickerMissingError("XXXX", "no data"), FailureKind.NO_DATA),
        (lambda: ValueError("unexpected payload"), FailureKind.PROVIDER),
        (lambda: KeyError("chart"), FailureKind.PROVIDER),
    ],
)
def test_classify_failure(make, kind):
    assert classify_failure(make()) is kind


def test_classify_tz_missing_uses_the_probe():
    exc = yff.tz_missing_error("XXXX")
    assert classify_failure(exc, network_ok=True) is FailureKind.NO_DATA
    assert classify_failure(exc, network_ok=False) is FailureKind.NETWORK


def test_classify_follows_the_exception_chain():
    try:
        try:
            raise yff.dns_error()
        except Exception as inner:
            raise RuntimeError("history failed") from inner
    except RuntimeError as outer:
        assert classify_failure(outer) is FailureKind.NETWORK


def test_classify_does_not_read_429_inside_numbers():
    assert classify_failure(ValueError("period1=1694297429 rejected")) is FailureKind.PROVIDER


def test_transient_kinds():
    assert FailureKind.RATE_LIMITED.transient and FailureKind.NETWORK.transient
    assert not FailureKind.NO_DATA.transient and not FailureKind.PROVIDER.transient


# --------------------------------------------------------------------------- failures end-to-end

NO_DATA_MSG = (
    "Yahoo Finance has no prices for 'XXXX' between 2025-09-10 and 2025-09-12 "
    "(unknown or delisted symbol? check the ticker and its exchange suffix, e.g. MC.PA)"
)


def test_unknown_symbol_goes_to_missing_with_a_clear_message(monkeypatch):
    provider, _fake, sleep, probes = make_provider(monkeypatch, online=True)
    prices = provider.get_prices(["MSFT", "XXXX"], D(2025, 9, 10), D(2025, 9, 12))
    assert set(prices.frames) == {"MSFT"}
    assert prices.missing == {"XXXX": NO_DATA_MSG}
    assert prices.failures == {"XXXX": FailureKind.NO_DATA}
    assert probes == [True]  # "no timezone found" was checked against the network
    assert sleep.delays == []


@pytest.mark.parametrize(
    "outcome",
    [yff.empty_history_frame(), yff.prices_missing_error("XXXX", "2025-09-10", "2025-09-13")],
)
def test_empty_frame_or_prices_missing_is_no_data_without_probe(monkeypatch, outcome):
    provider, _, _, probes = make_provider(monkeypatch, {"XXXX": [outcome]}, online=False)
    prices = provider.get_prices(["MSFT", "XXXX"], D(2025, 9, 10), D(2025, 9, 12))
    assert prices.missing == {"XXXX": NO_DATA_MSG}
    assert probes == []


def test_only_unknown_symbols_is_not_data_unavailable(monkeypatch):
    provider, *_ = make_provider(monkeypatch, online=True)
    prices = provider.get_prices(["XXXX"], D(2025, 9, 10), D(2025, 9, 12))
    assert prices.frames == {} and prices.missing == {"XXXX": NO_DATA_MSG}


def test_network_down_reported_as_tz_missing_raises_data_unavailable(monkeypatch):
    provider, fake, sleep, _probes = make_provider(
        monkeypatch, {"MSFT": [yff.tz_missing_error("MSFT")]}, online=False
    )
    with pytest.raises(DataUnavailable) as info:
        provider.get_prices(["MSFT", "^GSPC"], D(2025, 9, 10), D(2025, 9, 12))
    msg = str(info.value)
    assert "cannot reach Yahoo Finance (network down?)" in msg
    assert "rerun when online or use --offline/--prices" in msg
    assert info.value.exit_code == 75
    assert [c[0] for c in fake.calls] == ["MSFT"]  # ^GSPC was not tried during the outage
    assert sleep.delays == []


@pytest.mark.parametrize("make", [yff.dns_error, yff.timeout_error])
def test_transport_errors_are_network_failures(monkeypatch, make):
    provider, _fake, _, probes = make_provider(monkeypatch, {"MSFT": [make()]}, online=True)
    with pytest.raises(DataUnavailable, match=r"cannot reach Yahoo Finance \(network down\?\)"):
        provider.get_prices(["MSFT"], D(2025, 9, 10), D(2025, 9, 12))
    assert probes == []  # a transport error needs no probe


def test_network_failure_after_a_success_goes_to_missing(monkeypatch):
    provider, fake, _, _ = make_provider(monkeypatch, {"^GSPC": [yff.dns_error()]})
    prices = provider.get_prices(["MSFT", "^GSPC", "AAPL"], D(2025, 9, 10), D(2025, 9, 12))
    assert set(prices.frames) == {"MSFT"}
    assert prices.failures == {"^GSPC": FailureKind.NETWORK, "AAPL": FailureKind.NETWORK}
    assert "cannot reach Yahoo Finance" in prices.missing["^GSPC"]
    assert prices.missing["AAPL"].startswith("'AAPL': not requested because '^GSPC'")
    assert [c[0] for c in fake.calls] == ["MSFT", "^GSPC"]


def test_other_errors_keep_the_exception_text(monkeypatch):
    provider, *_ = make_provider(monkeypatch, {"MSFT": [ValueError("unexpected payload")]})
    prices = provider.get_prices(["MSFT"], D(2025, 9, 10), D(2025, 9, 12))
    assert prices.failures == {"MSFT": FailureKind.PROVIDER}
    assert prices.missing["MSFT"] == (
        "'MSFT': Yahoo Finance request failed: ValueError: unexpected payload"
    )


# --------------------------------------------------------------------------- rate limits


def test_rate_limit_retried_exactly_retries_times_with_growing_jittered_delays(monkeypatch):
    provider, fake, sleep, _ = make_provider(
        monkeypatch, {"MSFT": [yff.rate_limit_error()]}, retries=4, backoff=1.0
    )
    with pytest.raises(DataUnavailable) as info:
        provider.get_prices(["MSFT"], D(2025, 9, 10), D(2025, 9, 12))
    assert len(fake.calls) == 5  # 1 try + 4 retries
    assert len(sleep.delays) == 4
    for k, delay in enumerate(sleep.delays):
        assert 2**k <= delay <= 1.25 * 2**k  # exponential base, up to +25 % jitter
    assert all(b > a for a, b in zip(sleep.delays, sleep.delays[1:], strict=False))
    assert any(d != 2**k for k, d in enumerate(sleep.delays))  # jitter is applied
    assert str(info.value) == (
        "'MSFT': rate-limited by Yahoo Finance after 5 tries; wait a few minutes and rerun "
        "(cached data is kept)"
    )
    assert info.value.exit_code == 75


def test_http_429_is_retried_then_succeeds(monkeypatch):
    frame = yff.history_frame("MSFT", "2025-09-10", "2025-09-13")
    provider, fake, sleep, _ = make_provider(
        monkeypatch, {"MSFT": [yff.http_429_error(), yff.rate_limit_error(), frame]}
    )
    prices = provider.get_prices(["MSFT"], D(2025, 9, 10), D(2025, 9, 12))
    assert len(prices.frames["MSFT"]) == 3
    assert len(fake.calls) == 3 and len(sleep.delays) == 2


def test_backoff_is_bounded(monkeypatch):
    provider, _fake, sleep, _ = make_provider(
        monkeypatch, {"MSFT": [yff.rate_limit_error()]}, retries=8, backoff=1.0, max_backoff=10.0
    )
    with pytest.raises(DataUnavailable, match="after 9 tries"):
        provider.get_prices(["MSFT"], D(2025, 9, 10), D(2025, 9, 12))
    assert len(sleep.delays) == 8
    assert max(sleep.delays) == 10.0
    assert sleep.delays[-4:] == [10.0] * 4


def test_zero_retries_means_one_try(monkeypatch):
    provider, fake, sleep, _ = make_provider(
        monkeypatch, {"MSFT": [yff.rate_limit_error()]}, retries=0
    )
    with pytest.raises(DataUnavailable, match="after 1 tries"):
        provider.get_prices(["MSFT"], D(2025, 9, 10), D(2025, 9, 12))
    assert len(fake.calls) == 1 and sleep.delays == []


def test_jitter_is_reproducible_with_a_seeded_generator():
    a = YahooProvider(rng=np.random.default_rng(7), client=YFinanceClient(probe=lambda: True))
    b = YahooProvider(rng=np.random.default_rng(7), client=YFinanceClient(probe=lambda: True))
    assert [a.delay(k) for k in range(4)] == [b.delay(k) for k in range(4)]


def test_rate_limit_stops_the_remaining_tickers(monkeypatch):
    provider, fake, _sleep, _ = make_provider(
        monkeypatch, {"^GSPC": [yff.rate_limit_error()]}, retries=2
    )
    prices = provider.get_prices(["MSFT", "^GSPC", "AAPL"], D(2025, 9, 10), D(2025, 9, 12))
    assert set(prices.frames) == {"MSFT"}
    assert prices.failures == {"^GSPC": FailureKind.RATE_LIMITED, "AAPL": FailureKind.RATE_LIMITED}
    assert "after 3 tries" in prices.missing["^GSPC"]
    assert [c[0] for c in fake.calls] == ["MSFT", "^GSPC", "^GSPC", "^GSPC"]


# --------------------------------------------------------------------------- live


@pytest.mark.network
def test_live_msft_september_2025(tmp_path):
    yfinance.set_tz_cache_location(str(tmp_path / "yf-tz"))
    prices = YahooProvider(retries=2).get_prices(["MSFT"], D(2025, 9, 1), D(2025, 9, 30))
    frame = prices.frames["MSFT"]
    assert len(frame) == 21  # XNYS sessions in September 2025
    closes = frame["close"]
    assert closes[pd.Timestamp("2025-09-10")] == pytest.approx(500.37, rel=1e-3)
    assert closes[pd.Timestamp("2025-09-12")] == pytest.approx(509.90, rel=1e-3)
    assert (frame["adj_close"] <= frame["close"] + 1e-9).all()
