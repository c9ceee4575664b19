"""The small interface every price provider implements.

A provider turns a list of tickers and a date range into a :class:`PriceSet`:
one frame of daily prices per ticker that it could serve, and a reason for each
ticker it could not. The engine never sees where prices came from beyond
``PriceSet.source``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pandas as pd

PRICE_COLUMNS = ("adj_close", "close")


@dataclass
class PriceSet:
    """Daily prices for a set of tickers.

    Attributes
    ----------
    frames
        ``ticker -> DataFrame`` indexed by a tz-naive, normalised, ascending,
        unique ``DatetimeIndex`` named ``date``, with a float column
        ``adj_close`` (used for returns) and optionally ``close`` (as traded,
        for display) and any of ``open, high, low, volume, dividends, splits``.
    missing
        ``ticker -> reason`` for every requested ticker that could not be served
        (the reason names the ticker and says what to do).
    source
        Human-readable description of the data source, recorded in ``run.json``.
    return_column
        ``ticker -> name of the source column used for returns`` (e.g.
        ``"Adj Close"`` or ``"Close"``), recorded in ``run.json``.
    notes
        Data-quality notes per ticker (free text, shown in reports).
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    source: str = ""
    return_column: dict[str, str] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)

    def adj_close(self, ticker: str) -> pd.Series:
        """The adjusted-close series of ``ticker`` (raises ``KeyError`` if absent)."""
        return self.frames[ticker]["adj_close"]


@runtime_checkable
class PriceProvider(Protocol):
    """Anything that can serve daily prices for tickers over a date range."""

    @property
    def description(self) -> str:
        """Where the prices come from, for ``run.json`` and reports."""
        ...

    def get_prices(
        self, tickers: Sequence[str], start: dt.date, end: dt.date
    ) -> PriceSet:
        """Prices of ``tickers`` for sessions in ``[start, end]`` (both inclusive).

        Must not raise for a single unknown ticker: put it in ``missing``
        instead. Raise :class:`eventstudy.errors.InputError` for an unreadable
        source and :class:`eventstudy.errors.DataUnavailable` when the whole
        source is temporarily unreachable.
        """
        ...
