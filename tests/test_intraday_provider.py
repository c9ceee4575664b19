"""Intraday bars from Yahoo Finance (issue 12, data half): shape, segments, limits, chunks.

The helpers at the top (:func:`recorded_frame`, :class:`FakeIntradayClient`)
are shared with ``tests/test_intraday_cache.py`` and
``tests/test_batch_intraday.py``. They rebuild what yfinance 1.7.0 returns for
``Ticker(t).history(start, end, interval="1m"|"5m", prepost=True,
auto_adjust=False, actions=False, raise_errors=True)``: a ``Datetime`` index,
tz-aware in ``America/New_York`` (``utils.set_df_tz``), bar starts from 04:00
(pre-market) through the regular session (09:30-15:59) to 19:59 (post-market;
on a half day the session closes at 13:00 and post-market runs to 16:59),
columns ``Open High Low Close Adj Close Volume`` (``Volume`` int64), some
minutes without trades left out. Yahoo's refusal of an old range is what
yfinance raises with ``raise_errors=True``: ``YFPricesMissingError`` with
Yahoo's chart error as ``yahoo_reason`` ("1m data not available for
startTime=... and endTime=.... The requested range must be within the last 30
days.").
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
import yfinance

from eventstudy.data import yahoo_intraday as yi
from eventstudy.data.yahoo import YFinanceClient
from eventstudy.data.yahoo_intraday import (
    INTERVALS,
    IntradayRangeError,
    check_range,
    fetch_intraday,
    normalise_intraday,
)
from eventstudy.errors import DataUnavailable, InputError, ProviderError

NY = "America/New_York"
HALF_DAY = "2025-11-28"
WINDOW_DAYS = {"1m": 30, "2m": 60, "5m": 60, "15m": 60, "30m": 60, "60m": 730, "1h": 730}

# --------------------------------------------------------------------------- recorded frames


def _session_close(day: pd.Timestamp) -> pd.Timestamp:
    from eventstudy.event_time import get_calendar

    return pd.Timestamp(get_calendar("XNYS").schedule.loc[day.normalize(), "close"]).tz_convert(NY)


def recorded_frame(
    day: str,
    interval: str = "1m",
    ticker: str = "MSFT",
    *,
    gap: tuple[str, str] | None = ("05:10", "05:14"),
    base: float | None = None,
) -> pd.DataFrame:
    """One session's bars as yfinance returns them with ``prepost=True`` (see the docstring).

    ``gap``: local times ``[from, to)`` with no trade (no bar), by default four
    pre-market minutes.
    """
    d = pd.Timestamp(day)
    close = _session_close(d)
    step = pd.Timedelta(interval.replace("m", "min"))
    index = pd.date_range(
        pd.Timestamp(f"{day} 04:00").tz_localize(NY),
        close + pd.Timedelta(hours=4),
        freq=step,
        inclusive="left",
        name="Datetime",
    )
    if gap is not None:
        a, b = (pd.Timestamp(f"{day} {t}").tz_localize(NY) for t in gap)
        index = index[(index < a) | (index >= b)]
    seed = abs(hash((ticker, day, interval))) % (2**32)
    rng = np.random.default_rng(seed)
    start = base if base is not None else (500.0 if ticker == "MSFT" else 650.0)
    close_px = start * np.cumprod(1 + rng.normal(0, 0.0004, len(index)))
    open_px = np.r_[start, close_px[:-1]]
    frame = pd.DataFrame(
        {
            "Open": open_px,
            "High": np.maximum(open_px, close_px) * 1.0002,
            "Low": np.minimum(open_px, close_px) * 0.9998,
            "Close": close_px,
            "Adj Close": close_px,
            "Volume": rng.integers(100, 50_000, len(index)).astype(np.int64),
        },
        index=index,
    )
    return frame


def recorded_range(
    ticker: str, start: pd.Timestamp, end: pd.Timestamp, interval: str = "1m"
) -> pd.DataFrame:
    """Bars of every XNYS session between two UTC times (bar starts in ``[start, end)``)."""
    from eventstudy.event_time import sessions

    days = sessions("XNYS")
    lo = start.tz_convert(NY).tz_localize(None).normalize()
    hi = end.tz_convert(NY).tz_localize(None).normalize()
    frames = [
        recorded_frame(f"{d:%Y-%m-%d}", interval, ticker) for d in days[(days >= lo) & (days <= hi)]
    ]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames)
    keep = (out.index >= start) & (out.index < end)
    return out[keep]


def too_old_error(ticker: str, interval: str, start: pd.Timestamp, end: pd.Timestamp) -> Exception:
    """What ``history(raise_errors=True)`` raises for a range outside Yahoo's window."""
    from yfinance.exceptions import YFPricesMissingError

    reason = (
        f"{interval} data not available for startTime={int(start.timestamp())} and "
        f"endTime={int(end.timestamp())}. The requested range must be within the last "
        f"{WINDOW_DAYS[interval]} days."
    )
    return YFPricesMissingError(ticker, f" ({interval} {start} -> {end})", yahoo_reason=reason)


def per_request_error(ticker: str, start: pd.Timestamp, end: pd.Timestamp) -> Exception:
    from yfinance.exceptions import YFPricesMissingError

    reason = (
        f"1m data not available for startTime={int(start.timestamp())} and "
        f"endTime={int(end.timestamp())}. Only 8 days worth of 1m granularity data are "
        "allowed to be fetched per request."
    )
    return YFPricesMissingError(ticker, "", yahoo_reason=reason)


def no_price_error(ticker: str, interval: str, start: pd.Timestamp, end: pd.Timestamp) -> Exception:
    from yfinance.exceptions import YFPricesMissingError

    return YFPricesMissingError(ticker, f" ({interval} {start} -> {end})")


class FakeIntradayClient:
    """Yahoo at ``now``: recorded bars inside its window, its errors outside it.

    ``window_days`` overrides Yahoo's window (e.g. a clock ahead of ours);
    ``known``: symbols with bars (others: "no price data found");
    ``errors``: ticker -> exception raised on every call.
    """

    def __init__(
        self,
        now: str | pd.Timestamp,
        known: tuple[str, ...] = ("MSFT", "SPY"),
        window_days: float | None = None,
        errors: dict[str, Exception] | None = None,
    ):
        self.now = pd.Timestamp(now).tz_convert("UTC")
        self.known = known
        self.window_days = window_days
        self.errors = dict(errors or {})
        self.calls: list[tuple[str, pd.Timestamp, pd.Timestamp, str]] = []

    def intraday_history(self, ticker, start_utc, end_utc, interval):
        start_utc, end_utc = pd.Timestamp(start_utc), pd.Timestamp(end_utc)
        self.calls.append((ticker, start_utc, end_utc, interval))
        if ticker in self.errors:
            raise self.errors[ticker]
        days = self.window_days if self.window_days is not None else WINDOW_DAYS[interval]
        if start_utc < self.now - pd.Timedelta(days=days):
            raise too_old_error(ticker, interval, start_utc, end_utc)
        if interval == "1m" and end_utc - start_utc > pd.Timedelta(days=8):
            raise per_request_error(ticker, start_utc, end_utc)
        if ticker not in self.known:
            raise no_price_error(ticker, interval, start_utc, end_utc)
        frame = recorded_range(ticker, start_utc, min(end_utc, self.now), interval)
        if frame.empty:
            raise no_price_error(ticker, interval, start_utc, end_utc)
        return frame

    def reachable(self) -> bool:
        return True


# --------------------------------------------------------------------------- normalising


def test_recorded_frame_has_yfinance_shape():
    raw = recorded_frame("2025-09-11")
    assert raw.index.name == "Datetime"
    assert str(raw.index.tz) == NY
    assert list(raw.columns) == ["Open", "High", "Low", "Close", "Adj Close", "Volume"]
    assert raw["Volume"].dtype == np.int64
    assert raw.index[0] == pd.Timestamp("2025-09-11 04:00", tz=NY)
    assert raw.index[-1] == pd.Timestamp("2025-09-11 19:59", tz=NY)


def test_segments_and_utc_on_a_full_day():
    bars = normalise_intraday(recorded_frame("2025-09-11"), "MSFT")
    assert list(bars.columns) == list(yi.BAR_COLUMNS)
    assert str(bars["timestamp"].dtype) == "datetime64[ns, UTC]"
    for c in ("open", "high", "low", "close", "volume"):
        assert bars[c].dtype == float
    seg = bars.set_index("timestamp")["segment"]
    # EDT: 04:00 local = 08:00 UTC, open 09:30 = 13:30 UTC, close 16:00 = 20:00 UTC
    assert bars["timestamp"].iloc[0] == pd.Timestamp("2025-09-11 08:00", tz="UTC")
    assert seg[pd.Timestamp("2025-09-11 13:29", tz="UTC")] == "pre"
    assert seg[pd.Timestamp("2025-09-11 13:30", tz="UTC")] == "regular"
    assert seg[pd.Timestamp("2025-09-11 19:59", tz="UTC")] == "regular"
    assert seg[pd.Timestamp("2025-09-11 20:00", tz="UTC")] == "post"
    counts = bars["segment"].value_counts()
    assert counts["pre"] == 330 - 4  # four minutes without trades
    assert counts["regular"] == 390
    assert counts["post"] == 240
    assert bars["timestamp"].is_monotonic_increasing
    assert (bars["ticker"] == "MSFT").all()


def test_half_day_closes_at_13_00():
    bars = normalise_intraday(recorded_frame(HALF_DAY, gap=None), "MSFT")
    seg = bars.set_index("timestamp")["segment"]
    # EST (UTC-5): 13:00 local = 18:00 UTC
    assert seg[pd.Timestamp(f"{HALF_DAY} 17:59", tz="UTC")] == "regular"
    assert seg[pd.Timestamp(f"{HALF_DAY} 18:00", tz="UTC")] == "post"
    counts = bars["segment"].value_counts()
    assert counts["regular"] == 210
    assert counts["post"] == 240
    assert bars["timestamp"].iloc[-1] == pd.Timestamp(f"{HALF_DAY} 21:59", tz="UTC")


def test_five_minute_bars():
    bars = normalise_intraday(recorded_frame("2025-09-11", "5m", gap=None), "MSFT", "5m")
    assert bars["segment"].value_counts().to_dict() == {"pre": 66, "regular": 78, "post": 48}
    assert (bars["timestamp"].diff().dropna() == pd.Timedelta(minutes=5)).all()


def test_duplicates_nan_closes_and_order():
    raw = recorded_frame("2025-09-11", gap=None).iloc[:10]
    raw.iloc[3, raw.columns.get_loc("Close")] = np.nan
    messy = pd.concat([raw.iloc[5:], raw.iloc[:6]])  # unsorted, bar 5 twice
    bars = normalise_intraday(messy, "MSFT")
    assert len(bars) == 9
    assert bars["timestamp"].is_monotonic_increasing
    assert bars["timestamp"].is_unique
    assert bars["close"].notna().all()


def test_empty_frame_gives_typed_empty_bars():
    bars = normalise_intraday(pd.DataFrame(), "MSFT")
    assert bars.empty and list(bars.columns) == list(yi.BAR_COLUMNS)
    assert str(bars["timestamp"].dtype) == "datetime64[ns, UTC]"


# --------------------------------------------------------------------------- limits


def test_documented_limits():
    assert INTERVALS["1m"].lookback == pd.Timedelta(days=30)
    assert INTERVALS["1m"].max_request == pd.Timedelta(days=8)
    assert INTERVALS["1m"].chunk == pd.Timedelta(days=7)
    for name in ("2m", "5m", "15m", "30m"):
        assert INTERVALS[name].lookback == pd.Timedelta(days=60)
        assert INTERVALS[name].chunk <= INTERVALS[name].max_request
    assert INTERVALS["60m"].lookback == INTERVALS["1h"].lookback == pd.Timedelta(days=730)


NOW = pd.Timestamp("2025-11-29 12:00", tz="UTC")


def test_too_old_range_message():
    with pytest.raises(IntradayRangeError) as info:
        check_range("1m", "2025-08-01", "2025-08-02", NOW)
    msg = str(info.value)
    assert "Yahoo Finance serves 1m bars only for the last 30 days; " in msg
    assert "2025-08-01 is 120 days ago" in msg
    assert "`eventstudy cache info`" in msg
    assert "5m bars (60 days)" in msg
    assert "--intraday-prices" in msg
    assert isinstance(info.value, InputError) and info.value.exit_code == 2


def test_partly_old_range_is_trimmed_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="eventstudy.data.yahoo_intraday"):
        lo, hi = check_range("1m", "2025-10-01", "2025-11-05", NOW)
    assert lo == NOW - pd.Timedelta(days=30) + yi.MARGIN
    assert hi == pd.Timestamp("2025-11-05", tz="UTC")
    assert "trimmed" in caplog.text and "30 days" in caplog.text


def test_future_end_is_cut_to_now_and_5m_allows_60_days():
    lo, hi = check_range("5m", "2025-10-01", "2025-12-31", NOW)
    assert lo == pd.Timestamp("2025-10-01", tz="UTC") and hi == NOW
    with pytest.raises(IntradayRangeError, match="60m bars"):
        check_range("5m", "2025-08-01", "2025-09-01", NOW)


def test_bad_interval_and_empty_range():
    with pytest.raises(IntradayRangeError, match="unknown intraday interval"):
        check_range("3m", "2025-11-20", "2025-11-21", NOW)
    with pytest.raises(IntradayRangeError, match="empty"):
        check_range("1m", "2025-11-21", "2025-11-20", NOW)


# --------------------------------------------------------------------------- fetching


def test_too_old_range_never_reaches_yahoo():
    client = FakeIntradayClient(NOW)
    with pytest.raises(IntradayRangeError, match="120 days ago"):
        fetch_intraday(client, "MSFT", "2025-08-01", "2025-08-02", "1m", now=NOW)
    assert client.calls == []


def test_1m_fetch_is_cut_into_week_chunks():
    client = FakeIntradayClient(NOW)
    start = NOW - pd.Timedelta(days=40)  # trimmed to 30 days
    bars = fetch_intraday(client, "MSFT", start, NOW, "1m", now=NOW)
    spans = [(a, b) for _, a, b, _ in client.calls]
    assert len(spans) == 5
    assert all(b - a <= pd.Timedelta(days=7) for a, b in spans)
    assert all(spans[k][1] == spans[k + 1][0] for k in range(len(spans) - 1))
    assert spans[0][0] == NOW - pd.Timedelta(days=30) + yi.MARGIN and spans[-1][1] == NOW
    assert bars["timestamp"].is_unique and bars["timestamp"].is_monotonic_increasing
    days = pd.DatetimeIndex(bars["timestamp"]).tz_convert(NY).normalize().unique()
    assert len(days) >= 20
    half = bars[pd.DatetimeIndex(bars["timestamp"]).tz_convert(NY).normalize() == HALF_DAY]
    assert half["segment"].value_counts()["regular"] == 210


def test_5m_fetch_is_one_request_for_60_days():
    client = FakeIntradayClient(NOW)
    fetch_intraday(client, "MSFT", NOW - pd.Timedelta(days=50), NOW, "5m", now=NOW)
    assert len(client.calls) == 1 and client.calls[0][3] == "5m"


def test_weekend_only_range_is_empty_not_an_error():
    client = FakeIntradayClient(NOW)
    bars = fetch_intraday(
        client, "MSFT", "2025-11-22 06:00", "2025-11-23 12:00", "1m", now=NOW
    )  # Saturday..Sunday
    assert bars.empty and len(client.calls) == 1


def test_yahoo_refusal_during_fetch_is_a_range_error():
    client = FakeIntradayClient(NOW, window_days=25)  # Yahoo's window shorter than ours
    with pytest.raises(IntradayRangeError) as info:
        fetch_intraday(client, "MSFT", NOW - pd.Timedelta(days=29), NOW, "1m", now=NOW)
    assert "The requested range must be within the last 30 days" in str(info.value)
    assert "data not available for startTime=" in str(info.value)


def test_unknown_symbol_and_network_failures():
    client = FakeIntradayClient(NOW)
    with pytest.raises(ProviderError, match="no prices for 'XXXX'"):
        fetch_intraday(client, "XXXX", NOW - pd.Timedelta(days=3), NOW, "1m", now=NOW)
    down = FakeIntradayClient(NOW, errors={"MSFT": ConnectionError("Failed to connect")})
    with pytest.raises(DataUnavailable, match="cannot reach Yahoo Finance"):
        fetch_intraday(down, "MSFT", NOW - pd.Timedelta(days=3), NOW, "1m", now=NOW)
    assert len(down.calls) == 1


def test_real_error_text_is_recognised():
    err = too_old_error("MSFT", "1m", NOW - pd.Timedelta(days=40), NOW)
    assert str(err).startswith("$MSFT: 1m data not available for startTime=")
    assert yi.is_too_old_error(err)
    assert yi.is_too_old_error(per_request_error("MSFT", NOW - pd.Timedelta(days=9), NOW))
    assert not yi.is_too_old_error(no_price_error("MSFT", "1m", NOW, NOW))


def test_client_calls_yfinance_with_prepost(monkeypatch):
    seen: dict = {}

    class Ticker:
        def __init__(self, symbol):
            seen["symbol"] = symbol

        def history(self, **kw):
            warnings.warn("'raise_errors' deprecated", DeprecationWarning, stacklevel=2)
            seen.update(kw)
            return recorded_frame("2025-11-26")

    monkeypatch.setattr(yfinance, "Ticker", Ticker)
    a = pd.Timestamp("2025-11-26 09:00", tz="UTC")
    b = pd.Timestamp("2025-11-27 09:00", tz="UTC")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raw = YFinanceClient(probe=lambda: True, timeout=7).intraday_history("MSFT", a, b, "1m")
    assert not raw.empty
    assert seen["symbol"] == "MSFT"
    assert seen["interval"] == "1m"
    assert seen["prepost"] is True
    assert seen["auto_adjust"] is False and seen["actions"] is False
    assert seen["raise_errors"] is True and seen["timeout"] == 7
    assert pd.Timestamp(seen["start"]) == a and pd.Timestamp(seen["end"]) == b
    assert seen["start"].tzinfo is not None
