"""Readers of ``../shared/data/prices_yahoo`` for the real-data tests (skip when absent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from tests.conftest import DATA

YAHOO = DATA / "prices_yahoo"
#: ``skipif`` reason of every test that reads :data:`YAHOO`.
NO_YAHOO = "../shared/data/prices_yahoo is not available"


def yahoo_long(names: Sequence[str] | Mapping[str, str]) -> pd.DataFrame:
    """Long ``date, ticker, adj_close`` of the files ``<name>.csv`` (``Adj Close``);
    a mapping renames a file's series (``{"SPY": "^GSPC"}``). Missing prices dropped."""
    pairs = names.items() if isinstance(names, Mapping) else ((n, n) for n in names)
    frames = []
    for name, ticker in pairs:
        df = pd.read_csv(YAHOO / f"{name}.csv", usecols=["Date", "Adj Close"])
        frames.append(
            pd.DataFrame(
                {"date": pd.to_datetime(df["Date"]), "ticker": ticker, "adj_close": df["Adj Close"]}
            )
        )
    return pd.concat(frames, ignore_index=True).dropna()


def daily_returns(long: pd.DataFrame) -> pd.DataFrame:
    """Simple returns between the file's consecutive dates, one column per ticker
    (a missing price leaves that day's and the next day's return missing)."""
    wide = long.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    return wide.pct_change(fill_method=None).iloc[1:]
