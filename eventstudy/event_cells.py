"""Text columns of an events table: per row a code into the column's distinct values.

Converting each distinct value once (``pd.factorize``) is what lets
:mod:`eventstudy.day0` check and resolve a million rows column-wise.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Column", "Text", "cell_text", "first_rows", "frame_text", "obj", "raw_text"]


def obj(values: Any) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Row of the first occurrence of each code of ``pd.factorize`` (codes in order seen)."""
    if not len(codes):
        return np.zeros(0, np.int64)
    seen = np.maximum.accumulate(codes)
    return np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]])


@dataclass(frozen=True)
class Text:
    """A text column: per row a code into ``values`` (object array of str)."""

    codes: np.ndarray
    values: np.ndarray

    def __getitem__(self, row: int) -> str:
        return str(self.values[self.codes[row]])

    def rows(self, index: np.ndarray | slice = slice(None)) -> np.ndarray:
        """The text of the rows ``index`` (object array)."""
        return self.values[self.codes[index]]

    @classmethod
    def of(cls, cells: Sequence[str] | np.ndarray) -> Text:
        """From one text per row."""
        codes, uniques = pd.factorize(obj(cells))
        return cls(codes.astype(np.int64), obj(uniques))

    @classmethod
    def constant(cls, n: int, value: str) -> Text:
        return cls(np.zeros(n, np.int64), obj([value]))

    @classmethod
    def merged(cls, codes: np.ndarray, texts: Sequence[str]) -> Text:
        """Row ``i`` has ``texts[codes[i]]`` (equal texts merged into one value)."""
        merged, uniques = pd.factorize(obj(texts))
        return cls(merged.astype(np.int64)[codes], obj(uniques))

    def take(self, rows: np.ndarray) -> Text:
        return Text(self.codes[rows], self.values)

    def to_pandas(self) -> Any:
        """The column as a pandas ``str`` array."""
        values = pa.array(self.values.tolist(), type=pa.large_string())
        return pd.array(pc.take(values, pa.array(self.codes)), dtype="str")


class Column:
    """An output text column filled in parts: rows, their codes and the part's values."""

    def __init__(self, n: int):
        self.codes = np.full(n, -1, np.int64)
        self.parts: list[np.ndarray] = []
        self.size = 0

    def put(self, rows: np.ndarray, codes: np.ndarray, values: Sequence[Any] | np.ndarray) -> None:
        self.codes[rows] = codes + self.size
        part = obj(values)
        self.parts.append(part)
        self.size += len(part)

    def text(self) -> Text:
        values = np.concatenate(self.parts) if self.parts else obj([])
        return Text(self.codes, values)


def cell_text(value: Any) -> str:
    """One DataFrame cell as the text a CSV file would hold."""
    if value is None or value is pd.NaT or value is pd.NA:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is None and stamp == stamp.normalize():
            return f"{stamp:%Y-%m-%d}"
        return stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if not value.second else "seconds")
    return str(value).strip()


def _factorized(values: Any, text: Any) -> Text:
    """``text`` of each distinct value (missing values: code -1, text of ``None``)."""
    codes, uniques = pd.factorize(values)
    distinct = uniques.tolist()
    texts = [text(u) for u in distinct]
    codes = np.where(codes < 0, len(texts), codes).astype(np.int64)
    if all(t is u for t, u in zip(texts, distinct, strict=True)) and "" not in texts:
        return Text(codes, obj([*texts, ""]))  # already distinct stripped texts
    return Text.merged(codes, [*texts, ""])


def frame_text(column: pd.Series) -> Text:
    """A DataFrame column as :func:`cell_text` of each of its cells.

    Text, dates, integers and booleans are converted once per distinct value;
    floats through ``str`` per cell; any other dtype cell by cell.
    """
    dtype = column.dtype
    if isinstance(dtype, pd.StringDtype):  # missing cells are NaN or NA: ""
        return _factorized(column, str.strip)
    if isinstance(dtype, np.dtype) and dtype.kind == "O":
        values = column.to_numpy()
        if pd.api.types.infer_dtype(values, skipna=True) == "string":
            missing = np.flatnonzero(pd.isna(values))
            if len(missing):
                values = values.copy()
                values[missing] = [cell_text(v) for v in values[missing]]
            return _factorized(values, lambda u: u.strip() if type(u) is str else cell_text(u))
    elif isinstance(dtype, pd.DatetimeTZDtype) or (
        isinstance(dtype, np.dtype) and dtype.kind in "Miub"
    ):
        return _factorized(column, cell_text)
    elif isinstance(dtype, np.dtype) and dtype.kind == "f":
        return Text.of(["" if v != v else str(v) for v in column.to_numpy().tolist()])
    return Text.of([cell_text(v) for v in column])


def raw_text(cells: Sequence[str]) -> Text:
    """CSV cells (str), stripped."""
    return _factorized(obj(cells), str.strip)
