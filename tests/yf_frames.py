"""Recorded yfinance 1.7.0 outputs, rebuilt as yfinance builds them.

``Ticker(t).history(start, end, auto_adjust=False, actions=True)`` returns flat
columns ``Open High Low Close Adj Close Volume Dividends Stock Splits`` on a
``Date`` index that is tz-aware at midnight exchange time (yfinance makes it
with ``pd.to_datetime(dates).tz_localize(tz)``; ``Volume`` is int64).
``download(..., auto_adjust=False, actions=True, multi_level_index=True)``
returns MultiIndex columns named ``['Price', 'Ticker']``, sorted by price
field, on a tz-naive ``Date`` index. A failed request returns
``yfinance.utils.empty_df()`` (6 price columns, no rows) or raises.

Values: MSFT and ^GSPC, September 2025 (Open/High/Low/Close/Volume as
traded; ``Adj Close`` = Close x a dividend factor like Yahoo's in 2026).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

# date: (open, high, low, close, volume)
MSFT_2025_09: dict[str, tuple[float, float, float, float, int]] = {
    "2025-09-02": (500.465, 506.0, 496.81, 505.12, 18127995),
    "2025-09-03": (503.79, 507.79, 502.32, 505.35, 16345078),
    "2025-09-04": (504.3, 508.15, 503.15, 507.97, 15509486),
    "2025-09-05": (509.07, 511.97, 492.37, 495.0, 31994846),
    "2025-09-08": (498.105, 501.195, 495.03, 498.2, 16771015),
    "2025-09-09": (501.43, 502.25, 497.7, 498.41, 14410542),
    "2025-09-10": (502.98, 503.2299, 496.72, 500.37, 21611816),
    "2025-09-11": (502.25, 503.17, 497.88, 501.01, 18881608),
    "2025-09-12": (506.65, 512.55, 503.85, 509.9, 23624884),
    "2025-09-15": (508.79, 515.47, 507.0, 515.36, 17143786),
    "2025-09-16": (516.88, 517.23, 508.6, 509.04, 19711922),
    "2025-09-17": (510.62, 511.29, 505.93, 510.02, 15816585),
    "2025-09-18": (511.49, 513.07, 507.66, 508.45, 18913696),
    "2025-09-19": (510.56, 519.3, 510.31, 517.93, 52474093),
    "2025-09-22": (515.59, 517.74, 512.545, 514.45, 20009314),
    "2025-09-23": (513.8, 514.5899, 507.31, 509.23, 19799580),
    "2025-09-24": (510.38, 512.48, 506.92, 510.15, 13533711),
    "2025-09-25": (508.3, 510.01, 505.04, 507.03, 15786468),
    "2025-09-26": (510.06, 513.94, 506.62, 511.46, 16213129),
    "2025-09-29": (511.5, 516.845, 508.88, 514.6, 17617775),
    "2025-09-30": (513.24, 518.16, 509.66, 517.95, 19728229),
}
GSPC_2025_09: dict[str, tuple[float, float, float, float, int]] = {
    "2025-09-02": (6401.51, 6416.54, 6360.58, 6415.54, 2887743021),
    "2025-09-03": (6445.82, 6453.67, 6416.17, 6448.26, 2808410771),
    "2025-09-04": (6456.6, 6502.54, 6445.98, 6502.08, 2747906680),
    "2025-09-05": (6529.08, 6532.65, 6443.98, 6481.5, 3166204188),
    "2025-09-08": (6498.09, 6508.67, 6483.29, 6495.15, 3028552074),
    "2025-09-09": (6503.33, 6518.23, 6483.08, 6512.61, 2709986190),
    "2025-09-10": (6550.29, 6555.97, 6516.34, 6532.04, 3189574889),
    "2025-09-11": (6554.41, 6592.89, 6545.8, 6587.47, 3259054992),
    "2025-09-12": (6590.66, 6600.21, 6579.49, 6584.29, 2986426173),
    "2025-09-15": (6603.49, 6619.62, 6602.07, 6615.28, 2924989510),
    "2025-09-16": (6624.13, 6626.99, 6600.11, 6606.76, 2905141389),
    "2025-09-17": (6604.87, 6624.39, 6551.15, 6600.35, 3048203136),
    "2025-09-18": (6626.85, 6656.8, 6611.89, 6631.96, 3472700121),
    "2025-09-19": (6647.11, 6671.82, 6630.31, 6664.36, 5969910655),
    "2025-09-22": (6654.28, 6698.88, 6648.07, 6693.75, 3315223419),
    "2025-09-23": (6692.44, 6699.52, 6645.58, 6656.92, 3115121988),
    "2025-09-24": (6669.79, 6672.66, 6621.76, 6637.97, 2998614787),
    "2025-09-25": (6608.19, 6619.0, 6569.22, 6604.72, 3278961445),
    "2025-09-26": (6615.38, 6648.97, 6604.43, 6643.7, 2892245070),
    "2025-09-29": (6661.58, 6677.31, 6644.49, 6661.21, 3168317149),
    "2025-09-30": (6656.19, 6691.25, 6641.0, 6688.46, 3486014723),
}
RECORDED = {"MSFT": MSFT_2025_09, "^GSPC": GSPC_2025_09}
#: Yahoo's adjusted close divided by the close (dividends after September 2025).
ADJ_FACTOR = {"MSFT": 0.992958, "^GSPC": 1.0}
EXCHANGE_TZ = "America/New_York"
HISTORY_COLUMNS = [
    "Open",
    "High",
    "Low",
    "Close",
    "Adj Close",
    "Volume",
    "Dividends",
    "Stock Splits",
]


def _rows(ticker: str, start: str | None, end: str | None) -> dict[str, tuple]:
    data = RECORDED[ticker]
    return {
        d: v for d, v in data.items() if (start is None or d >= start) and (end is None or d < end)
    }


def history_frame(
    ticker: str = "MSFT", start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """``yf.Ticker(ticker).history(start, end, auto_adjust=False, actions=True)``.

    ``end`` is exclusive, as in yfinance.
    """
    rows = _rows(ticker, start, end)
    dates = [dt.date.fromisoformat(d) for d in rows]
    index = pd.to_datetime(dates).tz_localize(EXCHANGE_TZ)
    index.name = "Date"
    values = np.array([v[:4] for v in rows.values()], dtype=float).reshape(-1, 4)
    frame = pd.DataFrame(values, index=index, columns=["Open", "High", "Low", "Close"])
    frame.insert(4, "Adj Close", (frame["Close"] * ADJ_FACTOR[ticker]).round(6))
    frame.insert(5, "Volume", np.array([v[4] for v in rows.values()], dtype=np.int64))
    frame["Dividends"] = 0.0
    frame["Stock Splits"] = 0.0
    return frame


def history_frame_auto_adjusted(ticker: str = "MSFT") -> pd.DataFrame:
    """``history()`` with yfinance's default ``auto_adjust=True``: no ``Adj Close``."""
    frame = history_frame(ticker)
    factor = frame["Adj Close"] / frame["Close"]
    for col in ("Open", "High", "Low", "Close"):
        frame[col] = frame[col] * factor
    return frame.drop(columns="Adj Close")


def empty_history_frame() -> pd.DataFrame:
    """``yfinance.utils.empty_df()``: what a failed request returns when not raising."""
    empty = pd.DataFrame(
        index=[],
        data={
            "Open": np.nan,
            "High": np.nan,
            "Low": np.nan,
            "Close": np.nan,
            "Adj Close": np.nan,
            "Volume": np.nan,
        },
    )
    empty.index.name = "Date"
    return empty


def download_frame(
    tickers: Iterable[str] = ("MSFT",), start: str | None = None, end: str | None = None
) -> pd.DataFrame:
    """``yf.download(tickers, start, end, auto_adjust=False, actions=True,
    multi_level_index=True, progress=False)``: MultiIndex ``['Price', 'Ticker']``."""
    frames = {}
    for t in tickers:
        f = history_frame(t, start, end)
        f.index = pd.DatetimeIndex(f.index).tz_localize(None)
        frames[t] = f
    data = pd.concat(frames.values(), axis=1, keys=frames.keys(), names=["Ticker", "Price"])
    return data.swaplevel(0, 1, axis=1).sort_index(level=0, axis=1)


def empty_download_frame(tickers: Iterable[str] = ("MSFT",)) -> pd.DataFrame:
    """``download`` offline: logs "Failed download ... DNSError", returns 0 rows."""
    cols = pd.MultiIndex.from_product(
        [sorted(HISTORY_COLUMNS), list(tickers)], names=["Price", "Ticker"]
    )
    index = pd.DatetimeIndex([], name="Date")
    return pd.DataFrame(index=index, columns=cols, dtype=float)


# --------------------------------------------------------------------------- errors


def rate_limit_error() -> Exception:
    from yfinance.exceptions import YFRateLimitError

    return YFRateLimitError()


def tz_missing_error(ticker: str) -> Exception:
    """What ``history(raise_errors=True)`` raises for an unknown symbol *and* offline."""
    from yfinance.exceptions import YFTzMissingError

    return YFTzMissingError(ticker)


def prices_missing_error(ticker: str, start: str, end: str) -> Exception:
    from yfinance.exceptions import YFPricesMissingError

    return YFPricesMissingError(ticker, f" (1d {start} -> {end})")


def dns_error() -> Exception:
    from curl_cffi.const import CurlECode
    from curl_cffi.requests.exceptions import DNSError

    return DNSError(
        "Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
        "See https://curl.se/libcurl/c/libcurl-errors.html first for more details.",
        CurlECode(6),
    )


def timeout_error() -> Exception:
    from curl_cffi.const import CurlECode
    from curl_cffi.requests.exceptions import Timeout

    return Timeout(
        "Failed to perform, curl: (28) Operation timed out after 10002 milliseconds "
        "with 0 bytes received.",
        CurlECode(28),
    )


def http_429_error() -> Exception:
    from curl_cffi.requests.exceptions import HTTPError

    class _Response:
        status_code = 429

    return HTTPError("HTTP Error 429: ", 0, _Response())


# --------------------------------------------------------------------------- fake yfinance

Outcome = pd.DataFrame | BaseException | Callable[..., Any]


class FakeTicker:
    """Stands in for ``yfinance.Ticker``: ``history`` pops scripted outcomes."""

    def __init__(self, owner: FakeYF, ticker: str):
        self.owner = owner
        self.ticker = ticker

    def history(self, **kwargs: Any) -> pd.DataFrame:
        self.owner.calls.append((self.ticker, kwargs))
        script = self.owner.script.get(self.ticker)
        outcome: Outcome
        if script:
            outcome = script.pop(0) if len(script) > 1 else script[0]
        else:
            outcome = self.owner.default(self.ticker, kwargs)
        if callable(outcome) and not isinstance(outcome, pd.DataFrame):
            outcome = outcome(self.ticker, kwargs)
        if isinstance(outcome, BaseException):
            raise outcome
        assert isinstance(outcome, pd.DataFrame)
        return outcome


class FakeYF:
    """Monkeypatch ``yfinance.Ticker`` with ``fake.Ticker``.

    ``script[ticker]`` lists outcomes (frame, exception, or ``f(ticker, kwargs)``)
    returned in turn, the last one repeating; unscripted tickers get the
    recorded frame for the requested ``start``/``end``.
    """

    def __init__(self, script: dict[str, list[Outcome]] | None = None):
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def Ticker(self, ticker: str) -> FakeTicker:
        return FakeTicker(self, ticker)

    @staticmethod
    def default(ticker: str, kwargs: dict[str, Any]) -> Outcome:
        if ticker not in RECORDED:
            return tz_missing_error(ticker)
        return history_frame(ticker, kwargs.get("start"), kwargs.get("end"))
