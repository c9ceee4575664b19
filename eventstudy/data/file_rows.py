"""Requests served from one validated long or wide price file, column-wise.

:mod:`eventstudy.data.files` validates a file once into one frame sorted by
ticker and date; this module answers each request with vectorised row
selections of that frame (no DataFrame per ticker): the return column per
ticker (``Adj Close``, failing that ``Close``), the rows in the date range,
and notes only for the tickers that have dropped or blanked rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from eventstudy.data.table import COLUMNS, PriceTable

if TYPE_CHECKING:
    from eventstudy.data.files import _Table


@dataclass(frozen=True)
class Columns:
    """The whole file as arrays: per-row return values and per-ticker return column."""

    keys: list[str]  # tickers of the file, in row order
    starts: np.ndarray  # (K + 1,) row offsets
    days: np.ndarray  # (R,) datetime64[D]
    price: np.ndarray  # (R,) the return column's values (NaN where empty)
    values: dict[str, np.ndarray]
    lines: np.ndarray
    blanked: np.ndarray
    column: dict[str, str]  # ticker -> source column name used for returns
    notes: dict[str, tuple[str, ...]]


def file_columns(table: _Table) -> Columns:
    """Arrays of a validated table, with the return column chosen per ticker."""
    frame, layout, raw = table.frame, table.layout, table.raw
    keys = list(table.bounds)
    starts = np.array([table.bounds[k][0] for k in keys] + [len(frame)], dtype=np.int64)
    values = {c: frame[c].to_numpy(dtype=np.float64) for c in COLUMNS if c in frame.columns}
    if "adj_close" not in values:  # a Close-only file: no ticker has an adjusted close
        values = {"adj_close": np.full(len(frame), np.nan), **values}
    price = values["adj_close"].copy()
    column: dict[str, str] = {}
    notes: dict[str, tuple[str, ...]] = {}
    if layout.form == "wide":
        column = dict.fromkeys(keys, "adj_close")
    else:
        counts = np.diff(starts)
        has_adj = (
            np.add.reduceat(np.isfinite(price), starts[:-1]) > 0 if len(keys) else np.zeros(0, bool)
        )
        has_adj &= counts > 0
        adj_name = raw.header[layout.roles["adj_close"]] if "adj_close" in layout.roles else ""
        close_role = "close" if "close" in layout.roles else "adj_close"
        close_name = raw.header[layout.roles[close_role]]
        use_close = ~has_adj
        if use_close.any() and "close" in values:
            owner = np.repeat(np.arange(len(keys)), counts)
            rows = use_close[owner]
            price[rows] = values["close"][rows]
            values["adj_close"] = price
        for k, key in enumerate(keys):
            if has_adj[k]:
                column[key] = adj_name
            else:
                column[key] = close_name
                if "close" in values:
                    notes[key] = (
                        f"returns use {close_name} from {raw.file.name} (no adjusted "
                        "close): dividends may be missing from the returns",
                    )
    days = frame["date"].to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return Columns(
        keys,
        starts,
        days,
        price,
        values,
        frame["_line"].to_numpy(),
        frame["_blanked"].to_numpy(),
        column,
        notes,
    )


@dataclass(frozen=True)
class Selection:
    """What one request gets: a table under the requested names, notes, dropped rows."""

    table: PriceTable
    notes: dict[str, list[str]]
    dropped: dict[str, str]
    empty: list[str]  # requested tickers with no price in the range


def _at(unit: str, lines: list[str]) -> str:
    shown = ", ".join(lines[:5]) + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")
    return f"{unit}{'s' if len(lines) != 1 else ''} {shown}"


def select(
    cols: Columns, wanted: dict[str, str], start: dt.date, end: dt.date, file_name: str, unit: str
) -> Selection:
    """Rows of ``wanted`` (requested name -> file key) dated in ``[start, end]``."""
    names = list(wanted)
    pos = pd.Index(cols.keys).get_indexer(pd.Index([wanted[n] for n in names]))
    a, b = cols.starts[pos], cols.starts[pos + 1]
    counts = b - a
    owner = np.repeat(np.arange(len(names)), counts)
    rows = (
        np.repeat(a, counts)
        + np.arange(int(counts.sum()))
        - np.repeat(np.cumsum(counts) - counts, counts)
    )
    lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D")
    inside = (cols.days[rows] >= lo) & (cols.days[rows] <= hi)
    rows, owner = rows[inside], owner[inside]
    empty_rows = ~np.isfinite(cols.price[rows])
    notes: dict[str, list[str]] = {n: list(cols.notes.get(wanted[n], ())) for n in names}
    dropped: dict[str, str] = {}
    for k in np.unique(owner[empty_rows]):
        n = names[k]
        lines = [str(v) for v in cols.lines[rows[empty_rows & (owner == k)]]]
        dropped[n] = (
            f"{len(lines)} row{'s' if len(lines) != 1 else ''} with an empty "
            f"{cols.column[wanted[n]]} dropped ({file_name} {_at(unit, lines)}); "
            "each missing session is a gap"
        )
        notes[n].append(dropped[n])
    blanked = cols.blanked[rows] > 0
    for k in np.unique(owner[blanked]):
        n = names[k]
        lines = [str(v) for v in cols.lines[rows[blanked & (owner == k)]]]
        notes[n].append(
            f"zero or negative open/high/low/volume blanked in {file_name} ({_at(unit, lines)})"
        )
    keep = ~empty_rows
    rows, owner = rows[keep], owner[keep]
    served = np.bincount(owner, minlength=len(names)) > 0
    order = np.argsort(np.array(names, dtype=object), kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    sorted_names = np.array(names, dtype=object)[order]
    table = PriceTable.from_codes(
        rank[owner],
        sorted_names,
        cols.days[rows],
        {c: v[rows] for c, v in cols.values.items()},
        drop_missing=False,
    )
    empty = [n for k, n in enumerate(names) if not served[k]]
    return Selection(table, {n: v for n, v in notes.items() if v}, dropped, empty)
