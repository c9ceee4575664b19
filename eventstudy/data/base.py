"""The small interface every price provider implements.

A provider turns a list of tickers and a date range into a :class:`PriceSet`:
one frame of daily prices per ticker that it could serve, and a reason for each
ticker it could not. The engine never sees where prices came from beyond
``PriceSet.source``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import pandas as pd

from eventstudy.data.table import FramesView, PriceTable

PRICE_COLUMNS = ("adj_close", "close")


class PriceSet:
    """Daily prices for a set of tickers.

    Held as one columnar :class:`~eventstudy.data.table.PriceTable` (what the
    engine reads) or, while a provider collects tickers one by one, as a dict
    of per-ticker frames; each form is built from the other on first use.

    Attributes
    ----------
    table
        The columnar prices (see :class:`~eventstudy.data.table.PriceTable`).
    frames
        ``ticker -> DataFrame`` indexed by a tz-naive, normalised, ascending,
        unique ``DatetimeIndex`` named ``date``, with a float column
        ``adj_close`` (used for returns) and optionally ``close`` (as traded,
        for display) and any of ``open, high, low, volume, dividends, splits``.
        A plain dict that providers may fill when the set was made without a
        table; a read-only view otherwise.
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

    def __init__(
        self,
        frames: Mapping[str, pd.DataFrame] | None = None,
        missing: dict[str, str] | None = None,
        source: str = "",
        return_column: dict[str, str] | None = None,
        notes: dict[str, list[str]] | None = None,
        *,
        table: PriceTable | None = None,
    ) -> None:
        if frames is not None and table is not None:
            raise ValueError("give frames or a table, not both")
        self._table = table
        self._frames: dict[str, pd.DataFrame] | FramesView | None = (
            dict(frames) if frames is not None else ({} if table is None else None)
        )
        self._built_from: tuple[tuple[str, int], ...] | None = None
        self.missing: dict[str, str] = dict(missing or {})
        self.source = source
        self.return_column: dict[str, str] = dict(return_column or {})
        self.notes: dict[str, list[str]] = dict(notes or {})

    def __repr__(self) -> str:
        return (
            f"PriceSet({len(self.table.tickers)} tickers, {len(self.table)} rows, "
            f"{len(self.missing)} missing, source={self.source!r})"
        )

    @property
    def frames(self) -> Mapping[str, pd.DataFrame]:
        if self._frames is None:
            self._frames = FramesView(self.table)
        return self._frames

    def add(self, ticker: str, frame: pd.DataFrame) -> None:
        """Add one ticker's frame (a set being collected ticker by ticker)."""
        if not isinstance(self._frames, dict):
            raise TypeError("this PriceSet was made from a table; build a new one to add frames")
        self._frames[ticker] = frame

    @property
    def table(self) -> PriceTable:
        frames = self._frames
        if isinstance(frames, dict):
            key = tuple((k, id(v)) for k, v in frames.items())
            if self._table is None or key != self._built_from:
                self._table = PriceTable.from_frames(frames)
                self._built_from = key
        assert self._table is not None
        return self._table

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

    def get_prices(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> PriceSet:
        """Prices of ``tickers`` for sessions in ``[start, end]`` (both inclusive).

        Must not raise for a single unknown ticker: put it in ``missing``
        instead. Raise :class:`eventstudy.errors.InputError` for an unreadable
        source and :class:`eventstudy.errors.DataUnavailable` when the whole
        source is temporarily unreachable.
        """
        ...
