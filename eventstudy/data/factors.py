"""Daily factor returns (Fama-French data library) for the factor models.

Accepts a CSV file or a folder of CSV files (e.g. ``ff5_daily.csv`` and
``ff_momentum_daily.csv``), joined on ``date``. Column names are normalised:
``Mkt-RF`` -> ``MKT_RF``, ``Mom``/``UMD`` -> ``MOM``. The French library
publishes percent per day; values are converted to decimals when they look
like percent (median ``|MKT_RF|`` above 0.05, i.e. 5% a day as a decimal,
which no real market factor has) and the unit used is recorded.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from eventstudy.errors import PricesFileError

ALIASES = {"MKT-RF": "MKT_RF", "MKTRF": "MKT_RF", "MKT_RF": "MKT_RF", "UMD": "MOM", "WML": "MOM"}


def _normalise_name(name: str) -> str:
    key = str(name).strip().upper().replace(" ", "")
    return ALIASES.get(key, key.replace("-", "_"))


def _read_one(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise PricesFileError(f"{path}: cannot read factors ({exc}); expected a CSV") from None
    if raw.empty or raw.shape[1] < 2:
        raise PricesFileError(f"{path}: no factor columns; expected date,Mkt-RF,SMB,HML,...,RF")
    date_col = raw.columns[0]
    dates = pd.to_datetime(raw[date_col].str.strip(), format="mixed", errors="coerce")
    if dates.isna().any():
        line = int(np.flatnonzero(dates.isna())[0]) + 2
        raise PricesFileError(
            f"{path}, line {line}, column '{date_col}': "
            f"{raw[date_col].iloc[line - 2]!r} is not a date; expected YYYY-MM-DD"
        )
    out = pd.DataFrame(index=pd.DatetimeIndex(dates).as_unit("ns").rename("date"))
    for col in raw.columns[1:]:
        values = pd.to_numeric(raw[col].str.strip(), errors="coerce")
        if values.isna().any():
            line = int(np.flatnonzero(values.isna().to_numpy())[0]) + 2
            raise PricesFileError(
                f"{path}, line {line}, column '{col}': {raw[col].iloc[line - 2]!r} is not a number"
            )
        out[_normalise_name(col)] = values.to_numpy()
    return out


def load_factors(source: str | os.PathLike[str] | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Factors as decimals indexed by date, and a description (with the unit used)."""
    if isinstance(source, pd.DataFrame):
        frame = source.copy()
        frame.columns = [_normalise_name(c) for c in frame.columns]
        frame.index = pd.DatetimeIndex(frame.index).as_unit("ns")
        name = "factors DataFrame"
    else:
        path = Path(source)
        if not path.exists():
            raise PricesFileError(f"{path}: no such factors file or folder")
        files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
        if not files:
            raise PricesFileError(f"{path}: no CSV factor files in this folder")
        frames = [_read_one(f) for f in files]
        frame = frames[0]
        for extra in frames[1:]:
            frame = frame.join(
                extra[[c for c in extra.columns if c not in frame.columns]], how="outer"
            )
        name = f"factors: {path.resolve()}"
    if "MKT_RF" not in frame.columns or "RF" not in frame.columns:
        raise PricesFileError(f"{name}: needs columns Mkt-RF and RF (found {list(frame.columns)})")
    frame = frame.sort_index()
    percent = float(np.nanmedian(np.abs(frame["MKT_RF"].to_numpy()))) > 0.05
    if percent:
        frame = frame / 100.0
    return frame, f"{name} ({'percent, divided by 100' if percent else 'decimal'})"
