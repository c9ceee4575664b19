"""Data-quality checks against the XNYS calendar, on hand-made series."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import yf_frames as yff

from eventstudy.data.yahoo import normalise_history
from eventstudy.event_time import sessions as exchange_sessions
from eventstudy.quality import (
    QualityFlag,
    check_prices,
    nonpositive_prices,
    split_jumps,
    stale_runs,
)

D = dt.date
START, END = D(2025, 1, 2), D(2025, 6, 30)


@pytest.fixture(scope="module")
def xnys() -> pd.DatetimeIndex:
    return exchange_sessions("XNYS")


def clean_frame(xnys: pd.DatetimeIndex, seed: int = 3) -> pd.DataFrame:
    days = xnys[(xnys >= pd.Timestamp(START)) & (xnys <= pd.Timestamp(END))]
    rng = np.random.default_rng(seed)
    adj = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    return pd.DataFrame(
        {"adj_close": adj, "close": adj * 1.01, "splits": 0.0},
        index=pd.DatetimeIndex(days, name="date"),
    )


def kinds(flags: list[QualityFlag]) -> list[str]:
    return [f.kind for f in flags]


def test_clean_series_has_no_flags(xnys):
    assert check_prices(clean_frame(xnys), xnys, START, END, "MSFT") == []


def test_recorded_yahoo_frame_is_clean(xnys):
    frame = normalise_history(yff.history_frame("MSFT"), "MSFT")
    assert check_prices(frame, xnys, D(2025, 9, 1), D(2025, 9, 30), "MSFT") == []


def test_missing_sessions_are_listed(xnys):
    frame = clean_frame(xnys).drop(pd.to_datetime(["2025-03-03", "2025-03-04", "2025-05-20"]))
    frame.loc["2025-06-02", "adj_close"] = np.nan  # a row without a price counts as missing
    [flag] = check_prices(frame, xnys, START, END, "MSFT")
    assert flag.kind == "missing_sessions" and flag.ticker == "MSFT"
    assert flag.dates == (D(2025, 3, 3), D(2025, 3, 4), D(2025, 5, 20), D(2025, 6, 2))
    assert (flag.first_date, flag.last_date) == (D(2025, 3, 3), D(2025, 6, 2))
    assert "4 session(s) without a price" in flag.detail and "2025-05-20" in flag.detail


def test_only_the_requested_range_is_checked(xnys):
    frame = clean_frame(xnys).drop(pd.Timestamp("2025-01-03"))
    assert check_prices(frame, xnys, D(2025, 2, 1), END) == []


def test_long_lists_are_shortened_in_the_detail(xnys):
    frame = clean_frame(xnys).iloc[::2]
    [flag] = [f for f in check_prices(frame, xnys, START, END) if f.kind == "missing_sessions"]
    assert "more" in flag.detail and len(flag.dates) > 50


def test_zero_and_negative_prices(xnys):
    frame = clean_frame(xnys)
    frame.loc["2025-02-03", "close"] = 0.0
    frame.loc["2025-02-04", "adj_close"] = -1.0
    flags = nonpositive_prices(frame, "X")
    assert kinds(flags) == ["nonpositive_price"]
    assert flags[0].dates == (D(2025, 2, 3), D(2025, 2, 4))
    assert "adj_close, close" in flags[0].detail


def test_stale_runs_of_five_or_more(xnys):
    frame = clean_frame(xnys)
    frame.iloc[10:15, 0] = 50.0  # 5 identical: flagged
    frame.iloc[40:44, 0] = 60.0  # 4 identical: not flagged
    frame.iloc[80:87, 0] = 70.0  # 7 identical: flagged
    flags = stale_runs(frame, "X")
    assert [len(f.dates) for f in flags] == [5, 7]
    assert flags[0].first_date == frame.index[10].date()
    assert flags[1].last_date == frame.index[86].date()
    assert "unchanged on 7 consecutive rows" in flags[1].detail


@pytest.mark.parametrize(
    ("ratio", "label"),
    [
        (0.5, "2:1 split"),
        (1 / 3, "3:1 split"),
        (0.25, "4:1 split"),
        (0.2, "5:1 split"),
        (0.1, "10:1 split"),
        (2.0, "1:2 reverse split"),
        (10.0, "1:10 reverse split"),
    ],
)
def test_split_like_jumps_are_named(xnys, ratio, label):
    frame = clean_frame(xnys)
    frame.iloc[60:, 0] = frame.iloc[60:, 0] * ratio * 1.02  # within 3 % of the ratio
    [flag] = split_jumps(frame, "X")
    assert flag.kind == "split_jump" and flag.first_date == frame.index[60].date()
    assert label in flag.detail and "no split is recorded" in flag.detail


def test_large_move_without_split_ratio_is_flagged(xnys):
    frame = clean_frame(xnys)
    frame.iloc[60:, 0] = frame.iloc[60:, 0] * 0.45  # -55 %: |log R| > ln 1.8, no ratio match
    [flag] = split_jumps(frame)
    assert "factor of 1.8" in flag.detail


def test_ordinary_large_move_is_not_flagged(xnys):
    frame = clean_frame(xnys)
    frame.iloc[60:, 0] = frame.iloc[60:, 0] * 1.5  # +50 % takeover jump: plausible
    assert split_jumps(frame) == []


def test_recorded_split_with_unadjusted_series_says_so(xnys):
    frame = clean_frame(xnys)
    frame.iloc[60:, 0] = frame.iloc[60:, 0] / 4
    frame.loc[frame.index[60], "splits"] = 4.0
    [flag] = split_jumps(frame)
    assert "4-for-1 split is recorded that day but the adjusted close was not adjusted" in (
        flag.detail
    )


def test_dates_that_are_not_sessions(xnys):
    frame = clean_frame(xnys)
    extra = pd.DataFrame(
        {"adj_close": [frame["adj_close"].iloc[-1]] * 2, "close": 1.0, "splits": 0.0},
        index=pd.to_datetime(["2025-04-18", "2025-05-03"]),
    )  # Good Friday, Sat
    frame = pd.concat([frame, extra]).sort_index()
    flags = check_prices(frame, xnys, START, END)
    assert kinds(flags) == ["not_a_session"]
    assert flags[0].dates == (D(2025, 4, 18), D(2025, 5, 3))


def test_all_checks_together_in_order(xnys):
    frame = clean_frame(xnys)
    frame = frame.drop(pd.Timestamp("2025-01-10"))
    frame.iloc[20:26, 0] = 80.0
    frame.iloc[100:, 0] = frame.iloc[100:, 0] / 2
    frame.loc["2025-03-20", "close"] = -5.0
    frame.loc[pd.Timestamp("2025-01-01")] = [100.0, 100.0, 0.0]  # New Year's Day, before START
    frame = frame.sort_index()
    flags = check_prices(frame, xnys, START, END)
    assert kinds(flags) == ["missing_sessions", "nonpositive_price", "stale_prices", "split_jump"]


def test_vectorised_on_a_long_series(xnys):
    days = xnys[(xnys >= "1990-01-02") & (xnys <= "2025-12-31")]
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"adj_close": 10 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))}, index=days
    )
    assert check_prices(frame, xnys, D(1990, 1, 2), D(2025, 12, 31)) == []
