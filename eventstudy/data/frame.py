"""Prices handed over as a DataFrame (notebooks): long or wide form.

The frame is validated and turned into one columnar
:class:`~eventstudy.data.table.PriceTable` once, column-wise; requests are
then vectorised row selections of that table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from eventstudy.data.base import PriceSet
from eventstudy.data.table import COLUMNS, PriceTable, factorize_tickers
from eventstudy.errors import PricesFileError

NAME = "prices DataFrame"


def _key(name: object) -> str:
    return str(name).strip().lower().replace(" ", "_")


def _dates(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.DatetimeIndex(values)
    else:
        parsed = pd.DatetimeIndex(pd.to_datetime(values, errors="coerce"))
    if parsed.isna().any():
        bad = values[np.asarray(parsed.isna())].iloc[0]
        raise PricesFileError(f"{NAME}: column 'date': {bad!r} is not a date (YYYY-MM-DD)")
    if parsed.tz is not None:
        parsed = parsed.tz_localize(None)
    return parsed.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def _numeric(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _long_arrays(df: pd.DataFrame) -> tuple[object, np.ndarray, dict[str, np.ndarray]]:
    """``(tickers, dates, {column: values})`` of the long or wide form."""
    data = df
    cols = {_key(c): c for c in data.columns}
    if "date" not in cols and data.index.name is not None:
        data = df.reset_index()
        cols = {_key(c): c for c in data.columns}
    if "date" not in cols:
        raise PricesFileError(f"{NAME}: no 'date' column (or date index); add one")
    dates = _dates(data[cols["date"]])
    tick = cols.get("ticker") or cols.get("symbol")
    if tick is not None:
        price = cols.get("adj_close") or cols.get("close")
        if price is None:
            raise PricesFileError(f"{NAME}: long form needs an 'adj_close' (or 'close') column")
        values = {"adj_close": _numeric(data[price])}
        for c in COLUMNS[1:]:
            if c in cols:
                values[c] = _numeric(data[cols[c]])
        return data[tick], dates, values
    names = [c for c in data.columns if c != cols["date"]]
    matrix = (
        np.column_stack([_numeric(data[c]) for c in names]) if names else np.empty((len(data), 0))
    )
    tickers = np.tile(np.array([str(c) for c in names], dtype=object), len(data))
    return tickers, np.repeat(dates, len(names)), {"adj_close": matrix.ravel()}


def price_table(df: pd.DataFrame) -> PriceTable:
    """Validate a long (``date, ticker, adj_close[, close, ...]``) or wide
    (``date, <ticker>, ...``) frame into a :class:`PriceTable`."""
    tickers, dates, values = _long_arrays(df)
    price = values["adj_close"]
    bad = price <= 0
    codes, names = factorize_tickers(tickers)
    if bad.any():
        k = int(np.argmax(bad))
        raise PricesFileError(
            f"{NAME}: price {price[k]} for {names[codes[k]]} on {dates[k]} is not positive; "
            "prices must be > 0"
        )

    def duplicate(k: int) -> None:
        raise PricesFileError(
            f"{NAME}: duplicate rows for {names[codes[k]]} on {dates[k]}; keep one price per "
            "ticker and date"
        )

    return PriceTable.from_codes(codes, names, dates, values, on_duplicate=duplicate)


class FramePriceProvider:
    """Serve prices from a DataFrame: long ``date,ticker,adj_close[,close]`` or wide
    ``date,<ticker>,...`` (adjusted closes)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._table = price_table(frame)

    @property
    def description(self) -> str:
        return f"{NAME} ({len(self._table.tickers)} tickers)"

    def get_prices(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> PriceSet:
        return self.get_ranges({t: (start, end) for t in tickers})

    def get_ranges(self, ranges: Mapping[str, tuple[dt.date, dt.date]]) -> PriceSet:
        """Each ticker's own date range, in one vectorised selection."""
        table = self._table.select(ranges=ranges)
        held = set(table.tickers.tolist())
        out = PriceSet(
            table=table, source=self.description, return_column=dict.fromkeys(held, "adj_close")
        )
        for t in ranges:
            if t not in held:
                reason = (
                    f"no prices for '{t}' in the {NAME}; add its rows"
                    if t not in self._table
                    else f"no prices for '{t}' between {ranges[t][0]} and "
                    f"{ranges[t][1]} in the {NAME}; add its rows"
                )
                out.missing[t] = reason
        return out
