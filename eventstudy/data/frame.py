"""Prices handed over as a DataFrame (notebooks): long or wide form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from eventstudy.data.base import PriceSet
from eventstudy.errors import PricesFileError

NAME = "prices DataFrame"


def _normalise(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    cols = {str(c).strip().lower().replace(" ", "_"): c for c in df.columns}
    data = df.reset_index() if "date" not in cols and df.index.name else df
    cols = {str(c).strip().lower().replace(" ", "_"): c for c in data.columns}
    if "date" not in cols:
        raise PricesFileError(f"{NAME}: no 'date' column (or date index); add one")
    parsed = pd.to_datetime(data[cols["date"]], errors="coerce")
    if parsed.isna().any():
        bad = data[cols["date"]][parsed.isna()].iloc[0]
        raise PricesFileError(f"{NAME}: column 'date': {bad!r} is not a date (YYYY-MM-DD)")
    dates = pd.DatetimeIndex(parsed).tz_localize(None).normalize().as_unit("ns")
    tick = cols.get("ticker") or cols.get("symbol")
    if tick is not None:
        price = cols.get("adj_close") or cols.get("close")
        if price is None:
            raise PricesFileError(f"{NAME}: long form needs an 'adj_close' (or 'close') column")
        long = pd.DataFrame(
            {
                "date": dates,
                "ticker": data[tick].astype(str).str.strip(),
                "adj_close": pd.to_numeric(data[price], errors="coerce"),
            }
        )
        if "close" in cols:
            long["close"] = pd.to_numeric(data[cols["close"]], errors="coerce").to_numpy()
    else:
        wide = data.drop(columns=[cols["date"]])
        wide.index = dates
        long = (
            wide.apply(pd.to_numeric, errors="coerce")
            .rename_axis("date")
            .reset_index()
            .melt(id_vars="date", var_name="ticker", value_name="adj_close")
        )
    long = long.dropna(subset=["adj_close"])
    if (long["adj_close"] <= 0).any():
        bad = long[long["adj_close"] <= 0].iloc[0]
        raise PricesFileError(
            f"{NAME}: price {bad['adj_close']} for {bad['ticker']} on "
            f"{bad['date']:%Y-%m-%d} is not positive; prices must be > 0"
        )
    dup = long.duplicated(["ticker", "date"])
    if dup.any():
        bad = long[dup].iloc[0]
        raise PricesFileError(
            f"{NAME}: duplicate rows for {bad['ticker']} on "
            f"{bad['date']:%Y-%m-%d}; keep one price per ticker and date"
        )
    return {
        str(t): g.drop(columns="ticker").set_index("date").sort_index()
        for t, g in long.groupby("ticker", sort=True)
    }


class FramePriceProvider:
    """Serve prices from a DataFrame: long ``date,ticker,adj_close[,close]`` or wide
    ``date,<ticker>,...`` (adjusted closes)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frames = _normalise(frame)

    @property
    def description(self) -> str:
        return f"{NAME} ({len(self._frames)} tickers)"

    def get_prices(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> PriceSet:
        out = PriceSet(source=self.description)
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
        for t in tickers:
            f = self._frames.get(t)
            if f is None:
                out.missing[t] = f"no prices for '{t}' in the {NAME}; add its rows"
                continue
            out.frames[t] = f.loc[(f.index >= lo) & (f.index <= hi)]
            out.return_column[t] = "adj_close"
        return out
