"""Exchange lookup, calendars and day-0 rules (METHODS.md section 1)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.errors import InputError
from eventstudy.event_time import (
    EXCHANGES,
    INDEX_EXCHANGES,
    TIMINGS,
    AnnouncementError,
    Day0,
    exchange_for_mic,
    exchange_for_ticker,
    get_calendar,
    normalize_timing,
    parse_date,
    parse_time,
    resolve_day0,
    sessions,
)

TS = pd.Timestamp


def day0_of(
    date: str, time: str | None = None, timing: str | None = None, ticker: str = "MSFT"
) -> Day0:
    return resolve_day0(date, time, timing, exchange=exchange_for_ticker(ticker))


# --------------------------------------------------------------------------- exchanges


@pytest.mark.parametrize(
    ("ticker", "mic", "benchmark"),
    [
        ("MSFT", "XNYS", "^GSPC"),
        ("msft", "XNYS", "^GSPC"),
        ("BRK.B", "XNYS", "^GSPC"),
        ("BRK-B", "XNYS", "^GSPC"),
        ("MC.PA", "XPAR", "^FCHI"),
        ("VOD.L", "XLON", "^FTSE"),
        ("SAP.DE", "XETR", "^GDAXI"),
        ("ASML.AS", "XAMS", "^AEX"),
        ("ENI.MI", "XMIL", "FTSEMIB.MI"),
        ("NESN.SW", "XSWX", "^SSMI"),
        ("RY.TO", "XTSE", "^GSPTSE"),
        ("7203.T", "XTKS", "^N225"),
        ("0700.HK", "XHKG", "^HSI"),
        ("BHP.AX", "XASX", "^AXJO"),
        ("ABI.BR", "XBRU", "^BFX"),
        ("SAN.MC", "XMAD", "^IBEX"),
        ("VOLV-B.ST", "XSTO", "^OMX"),
        ("PETR4.SA", "BVMF", "^BVSP"),
        ("RELIANCE.NS", "XBOM", "^NSEI"),
    ],
)
def test_exchange_for_ticker(ticker: str, mic: str, benchmark: str) -> None:
    exchange = exchange_for_ticker(ticker)
    assert (exchange.mic, exchange.default_benchmark) == (mic, benchmark)


@pytest.mark.parametrize(
    ("symbol", "mic"),
    [
        ("^GSPC", "XNYS"),
        ("^DJI", "XNYS"),
        ("^IXIC", "XNYS"),
        ("^NDX", "XNYS"),
        ("^RUT", "XNYS"),
        ("SPY", "XNYS"),
        ("^FCHI", "XPAR"),
        ("^FTSE", "XLON"),
        ("^GDAXI", "XETR"),
        ("^AEX", "XAMS"),
        ("^N225", "XTKS"),
        ("^HSI", "XHKG"),
        ("^GSPTSE", "XTSE"),
        ("^AXJO", "XASX"),
        ("^SSMI", "XSWX"),
        ("FTSEMIB.MI", "XMIL"),
        ("^gspc", "XNYS"),
    ],
)
def test_index_symbols(symbol: str, mic: str) -> None:
    assert exchange_for_ticker(symbol).mic == mic


def test_every_default_benchmark_is_a_known_index() -> None:
    for exchange in EXCHANGES.values():
        assert INDEX_EXCHANGES[exchange.default_benchmark] == exchange


def test_unknown_suffix_lists_known_suffixes() -> None:
    with pytest.raises(InputError, match=r"unknown exchange suffix '\.XYZ'.*\.PA.*\.T\b"):
        exchange_for_ticker("ABC.XYZ")


def test_unknown_index_symbol() -> None:
    with pytest.raises(InputError, match=r"unknown index symbol '\^NOPE'.*\^GSPC"):
        exchange_for_ticker("^NOPE")


def test_exchange_for_mic() -> None:
    assert exchange_for_mic("xpar").tz == "Europe/Paris"
    with pytest.raises(InputError, match="known codes"):
        exchange_for_mic("ZZZZ")


@pytest.mark.slow
def test_every_exchange_calendar_builds_with_its_zone() -> None:
    for exchange in {e.mic: e for e in EXCHANGES.values()}.values():
        cal = get_calendar(exchange.mic)
        assert str(cal.tz) == exchange.tz, exchange.mic
        assert cal.first_session <= TS("2000-01-03"), exchange.mic


# --------------------------------------------------------------------------- calendars


def test_calendar_starts_early() -> None:
    assert get_calendar("XNYS").first_session == TS("1970-01-02")
    assert get_calendar("xnys") is get_calendar("XNYS")


def test_calendar_falls_back_to_earliest_allowed_start() -> None:
    # exchange_calendars refuses XTKS before 1997: take its earliest start.
    assert get_calendar("XTKS").first_session == TS("1997-01-06")


def test_sessions_index() -> None:
    idx = sessions("XNYS")
    assert idx.dtype == "datetime64[ns]"
    assert idx.tz is None and idx.freq is None
    assert idx.is_monotonic_increasing and idx.is_unique
    assert TS("2025-09-11") in idx
    assert TS("2025-07-04") not in idx
    assert TS("2020-05-23") not in idx


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("bmo", "before_open"),
        ("BMO", "before_open"),
        ("before open", "before_open"),
        ("Pre-Market", "before_open"),
        ("premarket", "before_open"),
        ("dm", "during_market"),
        ("intraday", "during_market"),
        ("market hours", "during_market"),
        ("During", "during_market"),
        ("amc", "after_close"),
        ("AMC", "after_close"),
        ("after close", "after_close"),
        ("after-hours", "after_close"),
        ("post-market", "after_close"),
        ("", "unknown"),
        (None, "unknown"),
        ("  Unknown ", "unknown"),
    ],
)
def test_normalize_timing(text: str | None, expected: str) -> None:
    assert normalize_timing(text) == expected


def test_normalize_timing_lists_valid_values() -> None:
    with pytest.raises(ValueError, match="before_open, during_market, after_close, unknown"):
        normalize_timing("tomorrow")


def test_parse_time() -> None:
    assert parse_time("16:30") == dt.time(16, 30)
    assert parse_time("9:05:07") == dt.time(9, 5, 7)
    assert parse_time(" ") is None
    for bad in ("24:00", "16h30", "4pm", "16:60", "1630"):
        with pytest.raises(ValueError, match="expected HH:MM"):
            parse_time(bad)


def test_parse_date() -> None:
    assert parse_date("2025-09-11") == (TS("2025-09-11"), False)
    stamp, has_time = parse_date("2025-09-11T20:30:00Z")
    assert has_time and stamp == TS("2025-09-11 20:30", tz="UTC")
    stamp, _ = parse_date("2025-09-11T22:30+02:00")
    assert stamp == TS("2025-09-11 20:30", tz="UTC")
    for bad in ("2025-13-45", "2025-02-30", "11/09/2025", "yesterday", ""):
        with pytest.raises(ValueError, match="expected YYYY-MM-DD"):
            parse_date(bad)


# --------------------------------------------------------------------------- day 0


@pytest.mark.parametrize(
    ("date", "time", "timing", "ticker", "expected", "rule_part"),
    [
        # after the close -> next session
        ("2025-09-11", None, "after_close", "MSFT", "2025-09-12", "after the close"),
        ("2025-09-11", None, "amc", "MSFT", "2025-09-12", "after the close"),
        ("2025-09-11", "16:30", None, "MSFT", "2025-09-12", "at/after the 16:00 close"),
        ("2025-09-11", "16:00", None, "MSFT", "2025-09-12", "time 16:00 is at/after"),
        ("2025-09-11", "16:00", "after_close", "MSFT", "2025-09-12", "at/after"),
        # before the close on a session -> same day
        ("2025-09-11", "15:59", None, "MSFT", "2025-09-11", "before the 16:00 close"),
        ("2025-09-11", None, "before_open", "MSFT", "2025-09-11", "before the open"),
        ("2025-09-11", None, "bmo", "MSFT", "2025-09-11", "before the open"),
        ("2025-09-11", "07:00", "bmo", "MSFT", "2025-09-11", "same day"),
        ("2025-09-11", None, "during_market", "MSFT", "2025-09-11", "during market"),
        ("2025-09-11", "11:00", "during_market", "MSFT", "2025-09-11", "same day"),
        ("2025-09-11", None, None, "MSFT", "2025-09-11", "timing unknown"),
        # non-sessions: Saturday before Memorial Day, holidays
        ("2020-05-23", None, None, "MSFT", "2020-05-26", "non-session (Saturday"),
        ("2020-05-23", None, "after_close", "MSFT", "2020-05-26", "non-session"),
        ("2020-05-23", "10:00", "bmo", "MSFT", "2020-05-26", "non-session"),
        ("2020-05-23", "17:00", "during_market", "MSFT", "2020-05-26", "non-session"),
        ("2025-07-04", None, "bmo", "MSFT", "2025-07-07", "non-session (Friday"),
        ("2025-12-25", "18:00", None, "MSFT", "2025-12-26", "non-session"),
        # NYSE half day: the day after Thanksgiving closes at 13:00
        ("2025-11-28", "13:30", None, "MSFT", "2025-12-01", "half day: close 13:00"),
        ("2025-11-28", "13:00", None, "MSFT", "2025-12-01", "at/after the 13:00 close"),
        ("2025-11-28", "12:30", None, "MSFT", "2025-11-28", "before the 13:00 close"),
        ("2025-11-28", None, "amc", "MSFT", "2025-12-01", "half day"),
        # Paris: UTC instants converted to Europe/Paris (UTC+2 in September)
        ("2025-09-11T16:00:00Z", None, None, "MC.PA", "2025-09-12", "18:00 is at/after the 17:30"),
        ("2025-09-11T08:00Z", None, None, "MC.PA", "2025-09-11", "10:00 is before"),
        ("2025-09-11T06:00Z", None, "bmo", "MC.PA", "2025-09-11", "same day"),
        ("2025-09-11", "17:30", None, "MC.PA", "2025-09-12", "at/after the 17:30 close"),
        # New York from another zone: 22:30 in Paris is 16:30 in New York
        ("2025-09-11T22:30+02:00", None, None, "MSFT", "2025-09-12", "16:30"),
        # a UTC instant that is already the next local day in Tokyo
        ("2025-09-11T16:00:00Z", None, None, "7203.T", "2025-09-12", "01:00 is before"),
        ("2025-09-11", "15:30", None, "7203.T", "2025-09-12", "at/after the 15:30 close"),
        ("2025-09-11", "14:00", None, "7203.T", "2025-09-11", "same day"),
        ("2025-09-13", None, "amc", "7203.T", "2025-09-16", "non-session (Saturday"),
    ],
)
def test_resolve_day0(
    date: str, time: str | None, timing: str | None, ticker: str, expected: str, rule_part: str
) -> None:
    result = day0_of(date, time, timing, ticker)
    assert result.day0 == TS(expected)
    assert rule_part in result.rule


def test_day0_record() -> None:
    result = day0_of("2025-09-11", "16:30", None)
    assert result.announced == "2025-09-11 16:30 America/New_York"
    assert (result.date, result.time, result.timing, result.mic) == (
        "2025-09-11",
        "16:30",
        "unknown",
        "XNYS",
    )
    assert result.day0.tz is None
    assert day0_of("2025-09-11", timing="amc").announced == "2025-09-11 (after_close)"
    paris = day0_of("2025-09-11T16:00:00Z", ticker="MC.PA")
    assert paris.announced.startswith("2025-09-11 18:00 Europe/Paris")
    assert "2025-09-11T16:00:00Z" in paris.announced
    assert paris.time == "18:00"


def test_exchange_given_as_mic() -> None:
    assert resolve_day0("2025-09-11", "16:30", exchange="XNYS").day0 == TS("2025-09-12")


@pytest.mark.parametrize(
    ("time", "timing"),
    [
        ("17:00", "before_open"),
        ("10:00", "bmo"),
        ("12:00", "after_close"),
        ("08:00", "during_market"),
        ("16:30", "dm"),
    ],
)
def test_time_contradicting_timing(time: str, timing: str) -> None:
    with pytest.raises(ValueError, match="contradicts time") as info:
        day0_of("2025-09-11", time, timing)
    assert isinstance(info.value, AnnouncementError)
    assert info.value.column == "timing"


def test_time_given_twice_must_agree() -> None:
    assert day0_of("2025-09-11T20:30:00Z", "16:30").day0 == TS("2025-09-12")
    with pytest.raises(AnnouncementError, match="disagrees") as info:
        day0_of("2025-09-11T20:30:00Z", "15:00")
    assert info.value.column == "time"


@pytest.mark.parametrize(
    ("date", "time", "timing", "column"),
    [
        ("2025-13-45", None, None, "date"),
        ("2025-09-11", "25:00", None, "time"),
        ("2025-09-11", None, "soon", "timing"),
    ],
)
def test_bad_inputs_name_their_column(
    date: str, time: str | None, timing: str | None, column: str
) -> None:
    with pytest.raises(AnnouncementError) as info:
        day0_of(date, time, timing)
    assert info.value.column == column


@pytest.mark.parametrize("date", ["1965-06-01", "2099-01-02"])
def test_date_outside_calendar(date: str) -> None:
    with pytest.raises(AnnouncementError, match="outside the XNYS calendar") as info:
        day0_of(date)
    assert info.value.column == "date"


def test_after_close_on_last_session_is_out_of_range() -> None:
    last = sessions("XNYS")[-1]
    assert day0_of(f"{last:%Y-%m-%d}").day0 == last
    with pytest.raises(AnnouncementError, match="beyond the last session"):
        day0_of(f"{last:%Y-%m-%d}", timing="amc")


# --------------------------------------------------------------------------- properties

_DAYS = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2026, 6, 30))
_CLOCK = st.times(min_value=dt.time(4, 0), max_value=dt.time(23, 59)).map(
    lambda t: t.replace(second=0, microsecond=0)
)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # exchange_calendars vs pandas 3
@settings(max_examples=200, deadline=None)
@given(day=_DAYS, clock=_CLOCK)
def test_day0_matches_exchange_calendars_minute_rule(day: dt.date, clock: dt.time) -> None:
    """Independent check: the calendar's own minute -> next-session mapping."""
    cal = get_calendar("XNYS")
    local = pd.Timestamp(dt.datetime.combine(day, clock)).tz_localize("America/New_York")
    expected = cal.minute_to_session(local, direction="next")
    result = resolve_day0(day.isoformat(), clock.strftime("%H:%M"), exchange="XNYS")
    assert result.day0 == expected


@settings(max_examples=200, deadline=None)
@given(day=_DAYS, timing=st.sampled_from(TIMINGS))
def test_day0_is_first_eligible_session(day: dt.date, timing: str) -> None:
    idx = sessions("XNYS")
    stamp = pd.Timestamp(day)
    result = resolve_day0(day.isoformat(), timing=timing, exchange="XNYS").day0
    side = "right" if timing == "after_close" else "left"
    assert result == idx[idx.searchsorted(stamp, side=side)]
    assert result in idx
    assert result > stamp if timing == "after_close" else result >= stamp
