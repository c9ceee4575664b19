"""Prices from local files: one long or wide table, or a folder of per-ticker files.

``--prices PATH`` (``spec/INTERFACE.md``, "Prices from files") accepts

* one CSV / CSV.gz / Parquet table in **long** form
  ``date,ticker,adj_close[,close,open,high,low,volume]``; the ticker column may
  be called ``ticker``, ``symbol`` or ``Name``;
* one table in **wide** form ``date,<TICKER>,<TICKER>,...`` of adjusted closes
  (no ticker column and every other column numeric);
* one per-ticker **export** ``Date,Open,High,Low,Close[,Adj Close],Volume``
  (no ticker column but an ``Adj Close`` / ``Close`` column): the file name is
  the ticker, so ``MSFT.csv`` serves ``MSFT``;
* a **folder** of such exports, ``<TICKER>.csv`` (or ``.csv.gz``, ``.parquet``).
  File names match case-insensitively and ``GSPC.csv`` serves ``^GSPC`` when
  ``^GSPC.csv`` is absent.

Header names are case-insensitive and ``Adj Close``, ``adj_close``, ``adjclose``
and ``Adjusted Close`` are one column. A table is validated in full the first
time it is needed and then kept in the provider (each file is read once); in a
folder only the files of requested tickers are read. Every bad value raises
:class:`~eventstudy.errors.PricesFileError` with one line naming the file, the
line (header = line 1; ``row`` for Parquet), the column, the value and the fix.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import re
import time
import warnings
from collections.abc import Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from eventstudy.data.base import PriceSet
from eventstudy.errors import DataQualityWarning, PricesFileError

logger = logging.getLogger(__name__)

#: File endings read as price files, longest first (``.csv.gz`` before ``.csv``).
SUFFIXES: tuple[str, ...] = (".csv.gz", ".csv", ".parquet", ".pq")
#: Output columns, in order; ``adj_close`` always, the others when the source has them.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "adj_close",
    "close",
    "open",
    "high",
    "low",
    "volume",
    "dividends",
    "splits",
)
_STRICT = ("adj_close", "close")  # must be > 0 or empty, else the file is rejected
_LENIENT = ("open", "high", "low", "volume")  # bad signs are blanked with a note
_EMPTY_TOKENS = ("", "null", "nan", "na", "n/a", "none", "#n/a")
_ROLES = {
    "date": "date",
    "datetime": "date",
    "timestamp": "date",
    "ticker": "ticker",
    "symbol": "ticker",
    "name": "ticker",
    "adjclose": "adj_close",
    "adjustedclose": "adj_close",
    "close": "close",
    "open": "open",
    "high": "high",
    "low": "low",
    "volume": "volume",
    "dividends": "dividends",
    "stocksplits": "splits",
    "splits": "splits",
}
_DATE_RE = (
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_USE_YAHOO = "or use Yahoo (drop --prices)"


def _fail(
    file: object, message: str, where: str | None = None, column: str | None = None
) -> NoReturn:
    """Raise :class:`PricesFileError` as one line: ``file, line N, column 'C': message``."""
    head = str(file)
    if where:
        head += f", {where}"
    if column is not None:
        head += f", column '{column}'"
    raise PricesFileError(" ".join(f"{head}: {message}".split()))


def _role(name: str) -> str | None:
    """The meaning of a header name (``'Adj Close'`` -> ``'adj_close'``), if known."""
    return _ROLES.get(re.sub(r"[\s_.\-]+", "", name.lower()))


def _price_suffix(name: str) -> str | None:
    """The supported ending of a file name (case-insensitive), or ``None``."""
    lower = name.lower()
    return next((s for s in SUFFIXES if lower.endswith(s) and len(lower) > len(s)), None)


def _ticker_of(path: Path) -> str:
    """The ticker a file name stands for: ``msft.csv.gz`` -> ``MSFT``."""
    suffix = _price_suffix(path.name) or path.suffix
    return path.name[: len(path.name) - len(suffix)].strip().upper()


def _match(ticker: str, keys: Container[str]) -> str | None:
    """The key in ``keys`` serving ``ticker``: exact (any case), else without its caret."""
    key = ticker.strip().upper()
    if key in keys:
        return key
    if key.startswith("^") and key[1:] in keys:
        return key[1:]
    return None


def _short_list(items: Sequence[str], limit: int = 8) -> str:
    """``'a, b, c'`` or ``'a, b, ... and 12 more'``."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _plural(count: int, word: str) -> str:
    """``'1 row'``, ``'3 rows'``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


# --------------------------------------------------------------------------- reading


@dataclass
class _Raw:
    """A table as read: raw header names, values as text (CSV) or native (Parquet).

    The frame index holds each row's position in the file: the 1-based line for
    CSV (header = line 1), the 1-based row for Parquet (``unit`` says which).
    """

    file: Path
    header: list[str]
    frame: pd.DataFrame
    unit: str

    def where(self, position: object) -> str:
        """``'line 7'`` or ``'row 6'``."""
        return f"{self.unit} {position}"


#: Rows parsed at once from a CSV: memory is bounded by one chunk of text plus the
#: validated numbers, whatever the file's size.
CSV_CHUNK_ROWS = 500_000
_SCAN_BLOCK = 8 << 20


def _scan_bytes(path: Path) -> None:
    """Refuse, before parsing, what would make the CSV parser hold a huge field: NUL
    bytes (a binary or sparse file) and lines longer than ``PRICE_LINE_BYTES``.

    Reads the file in 8 MiB blocks (gzipped files: their decompressed stream).
    """
    import gzip

    from eventstudy.limits import hint, limit

    longest = limit("PRICE_LINE_BYTES")
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    line, since_newline, offset = 1, 0, 0
    try:
        with opener(path, "rb") as fh:
            while block := fh.read(_SCAN_BLOCK):
                data = np.frombuffer(block, dtype=np.uint8)
                nul = np.flatnonzero(data == 0)
                newlines = np.flatnonzero(data == 10)
                if len(nul):
                    at = int(nul[0])
                    where = line + int(np.searchsorted(newlines, at))
                    _fail(
                        path,
                        f"binary data (a NUL byte at byte {offset + at:,}), not CSV text; "
                        "give a CSV or Parquet price file",
                        f"line {where}",
                    )
                gaps = np.diff(np.r_[-1 - since_newline, newlines, len(data)]) - 1
                if int(gaps.max()) > longest:
                    k = int(np.argmax(gaps > longest))
                    _fail(
                        path,
                        f"a line longer than {longest:,} bytes {hint('PRICE_LINE_BYTES')}; a "
                        "price file has one short row per day (is it a CSV?)",
                        f"line {line + k}",
                    )
                since_newline = int(gaps[-1])  # bytes of the line still open
                line += len(newlines)
                offset += len(data)
    except (OSError, EOFError) as exc:
        _fail(path, f"cannot be read ({exc}); check the file is a CSV or a gzipped CSV")


def _csv_chunks(path: Path) -> Iterator[_Raw]:
    """The CSV (or CSV.gz) as text, :data:`CSV_CHUNK_ROWS` rows at a time, as
    :class:`_Raw` parts under the file's header; indexes are file line numbers
    (header = line 1) and blank lines are dropped."""
    _scan_bytes(path)
    header: list[str] | None = None
    try:
        reader = pd.read_csv(
            path,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
            compression="infer",
            chunksize=CSV_CHUNK_ROWS,
        )
        with reader:
            for table in reader:
                table = table.fillna("")
                for column in table.columns:
                    table[column] = table[column].str.strip()
                table.index = table.index + 1
                table = table[(table != "").any(axis=1)]
                if header is None:
                    if table.empty:
                        continue
                    header = [str(v) for v in table.iloc[0]]
                    table = table.iloc[1:]
                yield _Raw(path, header, table.set_axis(range(len(header)), axis=1), "line")
    except pd.errors.EmptyDataError:
        _fail(
            path,
            "the file is empty; it needs a header line such as "
            "'date,ticker,adj_close' (or 'Date,Adj Close' for one ticker) and one row per day",
        )
    except pd.errors.ParserError as exc:
        detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
        _fail(path, f"not a valid CSV ({detail}); every row needs the same columns as the header")
    except UnicodeDecodeError as exc:
        _fail(path, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV")
    except (OSError, EOFError) as exc:
        _fail(path, f"cannot be read ({exc}); check the file is a CSV or a gzipped CSV")
    if header is None:
        _fail(path, "the file is empty (blank lines only); it needs a header and one row per day")


def _parquet_frame(path: Path) -> pd.DataFrame:
    """The Parquet table as a frame: decimals become float64; nested, binary or other
    non-tabular columns are refused by name (they cannot hold a price or a date)."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    columns = []
    for spec, col in zip(table.schema, table.columns, strict=True):
        t = spec.type
        if pa.types.is_decimal(t):
            col = col.cast(pa.float64())
        elif (
            pa.types.is_nested(t)
            or pa.types.is_binary(t)
            or pa.types.is_large_binary(t)
            or pa.types.is_fixed_size_binary(t)
        ):
            _fail(
                path,
                f"column {spec.name!r} holds {t} values; a price file needs plain numbers "
                "and dates (re-save it with numeric and date columns)",
            )
        columns.append(col)
    fixed = pa.table(columns, names=table.column_names)
    frame = fixed.to_pandas()
    meta = table.schema.pandas_metadata or {}
    index = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    return frame.set_index(index) if index and set(index) <= set(frame.columns) else frame


def _read_parquet(path: Path) -> _Raw:
    """Read a Parquet table, the index (e.g. ``Date``) becoming a column."""
    try:
        table = _parquet_frame(path)
    except PricesFileError:
        raise
    except Exception as exc:  # pyarrow raises many types for a broken file
        reason = " ".join(str(exc).split()).split(". ")[0][:200] or type(exc).__name__
        _fail(
            path,
            f"cannot be read as Parquet ({reason}); re-save it with "
            "DataFrame.to_parquet or give a CSV file",
        )
    if not isinstance(table.index, pd.RangeIndex):
        table = table.reset_index()
    header = ["" if c is None else str(c).strip() for c in table.columns]
    table = table.set_axis(range(len(header)), axis=1).set_axis(np.arange(1, len(table) + 1))
    return _Raw(path, header, table, "row")


def _read_parts(path: Path) -> Iterator[_Raw]:
    """One price file by its ending, as :class:`_Raw` parts (CSV: chunks of rows;
    Parquet: one part). Header-only tables are rejected."""
    from eventstudy.limits import check_file_size

    check_file_size(path, "PRICE_FILE_BYTES", "price file")
    suffix = _price_suffix(path.name)
    if suffix in (".parquet", ".pq"):
        raw = _read_parquet(path)
        if raw.frame.empty:
            _fail(path, "the table has no rows; add one row per day")
        yield raw
        return
    rows = 0
    for raw in _csv_chunks(path):
        if raw.frame.empty:
            continue
        rows += len(raw.frame)
        yield raw
    if not rows:
        _fail(path, "no data rows below the header; add one row per day", "line 1")


# --------------------------------------------------------------------------- values


def _text(raw: _Raw, column: int, tokens: bool = True) -> pd.Series:
    """Column values as stripped text; missing values (and, if ``tokens``, ``null``,
    ``NaN``, ``N/A``...) as ``''``."""
    values = raw.frame[column]
    if not pd.api.types.is_string_dtype(values.dtype):
        values = values.astype("str").mask(values.isna())
    text = values.fillna("").str.strip()
    return text.mask(text.str.lower().isin(_EMPTY_TOKENS), "") if tokens else text


def _first_bad(
    raw: _Raw,
    bad: pd.Series,
    column: int,
    message: str,
    text: pd.Series | Callable[[], pd.Series],
) -> None:
    """Raise for the first flagged row: ``message`` may use ``{value}``.

    ``text`` may be a callable so that native (Parquet) columns are only
    turned into text when there is something to report.
    """
    if not bool(bad.any()):
        return
    if callable(text):
        text = text()
    flags = bad.to_numpy(dtype=bool)
    at = int(np.argmax(flags))
    more = int(flags.sum()) - 1
    tail = f" ({_plural(more, 'more row')} with the same problem)" if more else ""
    _fail(
        raw.file,
        message.format(value=text.iloc[at]) + tail,
        raw.where(bad.index[at]),
        raw.header[column],
    )


#: The nanosecond timestamps' range, in whole years.
_FIRST_DAY, _LAST_DAY = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")


def _dates(raw: _Raw, column: int) -> pd.Series:
    """Parse the date column to tz-naive normalised ``datetime64[ns]``.

    Accepts ``YYYY-MM-DD`` and ISO date-times (``2025-09-12 00:00:00-04:00``);
    the calendar date written in the file is kept (no conversion to UTC).
    """
    values = raw.frame[column]
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    text: pd.Series | Callable[[], pd.Series]
    if pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = values.dt.normalize()
        missing = parsed.isna()
        empty = missing
        text = functools.partial(values.astype, "str")
    else:
        text = _text(raw, column)
        looks_ok = text.str.fullmatch(_DATE_RE).fillna(False).astype(bool)
        parsed = pd.to_datetime(
            text.str.slice(0, 10).where(looks_ok), format="%Y-%m-%d", errors="coerce"
        )
        missing = parsed.isna()
        empty = missing & ((text == "") | (text == "NaT"))
    _first_bad(
        raw,
        empty,
        column,
        "the date is empty; give every row a date (YYYY-MM-DD) or delete the row",
        text,
    )
    _first_bad(raw, missing, column, "'{value}' is not a date; write dates as YYYY-MM-DD", text)
    far = (parsed < _FIRST_DAY) | (parsed > _LAST_DAY)
    _first_bad(
        raw,
        far,
        column,
        "'{value}' is outside the dates prices can have (1678-01-01 to 2261-12-31); fix the date",
        text,
    )
    return parsed.astype("datetime64[ns]")


def _text_to_float(text: pd.Series) -> pd.Series:
    """Text to float64 (NaN where not a number): Arrow's fast cast, pandas when it fails."""
    try:
        cast = pc.cast(pa.array(text.array), pa.float64())
        return pd.Series(cast.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return pd.to_numeric(text, errors="coerce").astype("float64")


def _numbers(raw: _Raw, column: int, hint: str = "") -> pd.Series:
    """Parse a numeric column to float64; empty stays NaN, text raises."""
    values = raw.frame[column]
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
        text: pd.Series | Callable[[], pd.Series] = functools.partial(values.astype, "str")
        bad = numbers.notna() & ~np.isfinite(numbers)
    else:
        text = _text(raw, column)
        numbers = _text_to_float(text.mask(text == ""))
        bad = (text != "") & (numbers.isna() | ~np.isfinite(numbers))
    _first_bad(
        raw,
        bad,
        column,
        "'{value}' is not a number; write plain numbers like "
        "509.90 and leave a missing price empty" + hint,
        text,
    )
    return numbers


def _positive(raw: _Raw, column: int, numbers: pd.Series) -> None:
    """Reject a zero or negative price in a column used for returns or display."""
    _first_bad(
        raw,
        numbers <= 0,
        column,
        "price {value} is not positive; prices must be > 0: fix the value or leave it empty",
        functools.partial(raw.frame[column].astype, "str"),
    )


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Layout:
    """Which column is what: ``form`` is ``long``, ``wide`` or ``single``."""

    form: str
    date: int
    ticker: int | None = None
    roles: dict[str, int] = field(default_factory=dict)
    tickers: dict[str, int] = field(default_factory=dict)


def _date_column(raw: _Raw) -> int:
    """Position of the date column (a date header, or an unnamed first column)."""
    found = [i for i, name in enumerate(raw.header) if _role(name) == "date"]
    if len(found) > 1:
        names = " and ".join(f"'{raw.header[i]}'" for i in found)
        _fail(raw.file, f"columns {names} both look like the date; keep one", "line 1")
    if found:
        return found[0]
    if raw.header and raw.header[0] == "":
        return 0
    hint = ""
    if any(sep in raw.header[0] for sep in ";\t|"):
        hint = " (the header looks separated by ';' or tabs: save it comma-separated)"
    columns = _short_list([repr(h) for h in raw.header])
    _fail(
        raw.file,
        f"no date column (columns: {columns}){hint}; name the date column 'date' or 'Date'",
        "line 1",
    )


def _role_columns(raw: _Raw, skip: int) -> dict[str, int]:
    """``role -> position`` for the known price/ticker columns; a role named twice raises."""
    roles: dict[str, int] = {}
    for position, name in enumerate(raw.header):
        role = _role(name)
        if position == skip or role is None or role == "date":
            continue
        if role in roles:
            other = raw.header[roles[role]]
            _fail(raw.file, f"columns '{other}' and '{name}' both mean {role}; keep one", "line 1")
        roles[role] = position
    return roles


def _wide_tickers(raw: _Raw, date: int) -> dict[str, int]:
    """``TICKER -> position`` of a wide table's columns (unnamed columns are ignored)."""
    tickers: dict[str, int] = {}
    for position, name in enumerate(raw.header):
        if position == date:
            continue
        if name == "":
            logger.warning("%s: ignoring unnamed column %d", raw.file, position + 1)
            continue
        key = name.upper()
        if key in tickers:
            _fail(raw.file, f"ticker column '{name}' appears twice; keep one", "line 1")
        tickers[key] = position
    if not tickers:
        _fail(
            raw.file,
            "no price column (only a date); add 'Adj Close' (or 'Close' / "
            "'adj_close'), or one column of adjusted closes per ticker",
            "line 1",
        )
    return tickers


def _layout(raw: _Raw, per_ticker: bool) -> _Layout:
    """Decide long / wide / single-ticker form from the header.

    Long when there is a ticker column; single-ticker when the file sits in a
    folder, or has an ``Adj Close`` / ``Close`` column, or at least two of
    ``Open, High, Low, Volume``; wide otherwise (every other column a ticker).
    """
    date = _date_column(raw)
    roles = _role_columns(raw, date)
    prices = {r: p for r, p in roles.items() if r != "ticker"}
    has_price = "adj_close" in roles or "close" in roles
    looks_single = has_price or sum(r in roles for r in _LENIENT) >= 2
    if "ticker" in roles and not per_ticker:
        form = "long"
    elif per_ticker or looks_single:
        form = "single"
    else:
        return _Layout("wide", date, tickers=_wide_tickers(raw, date))
    if not has_price:
        columns = _short_list([repr(h) for h in raw.header])
        _fail(
            raw.file,
            f"no price column (columns: {columns}); add 'Adj Close' (or 'Close' / 'adj_close')",
            "line 1",
        )
    return _Layout(form, date, roles.get("ticker") if form == "long" else None, prices)


# --------------------------------------------------------------------------- parsing


def _value_columns(raw: _Raw, layout: _Layout) -> pd.DataFrame:
    """Validated numeric columns by role; bad OHL/volume signs blanked and counted."""
    columns: dict[str, pd.Series] = {}
    blanked = pd.Series(0, index=raw.frame.index, dtype="int64")
    for role, position in layout.roles.items():
        numbers = _numbers(raw, position)
        if role in _STRICT:
            _positive(raw, position, numbers)
        elif role in _LENIENT:
            bad = numbers < 0 if role == "volume" else numbers <= 0
            blanked = blanked + bad.astype("int64")
            numbers = numbers.mask(bad)
        columns[role] = numbers
    frame = pd.DataFrame(columns, index=raw.frame.index)
    frame["_blanked"] = blanked
    return frame


def _long_frame(raw: _Raw, layout: _Layout, single_ticker: str) -> pd.DataFrame:
    """One validated long frame: ``_ticker, date``, role columns, ``_line``, ``_blanked``."""
    frame = _value_columns(raw, layout)
    if layout.ticker is None:
        frame.insert(0, "_ticker", single_ticker)
    else:
        tickers = _text(raw, layout.ticker, tokens=False)
        _first_bad(
            raw,
            tickers == "",
            layout.ticker,
            "the ticker is empty; fill it in or delete the row",
            tickers,
        )
        frame.insert(0, "_ticker", tickers.str.upper())
    frame.insert(1, "date", _dates(raw, layout.date))
    frame["_line"] = raw.frame.index.to_numpy()
    return frame


def _wide_frame(raw: _Raw, layout: _Layout) -> pd.DataFrame:
    """A wide table stacked to the long layout (one ``adj_close`` column)."""
    dates = _dates(raw, layout.date)
    hint = (
        "; with no ticker column this file is read as wide form (date, then one "
        "column of adjusted closes per ticker): add a 'ticker' column for long form"
    )
    parts = []
    for ticker, position in layout.tickers.items():
        numbers = _numbers(raw, position, hint)
        _positive(raw, position, numbers)
        parts.append(
            pd.DataFrame(
                {
                    "_ticker": ticker,
                    "date": dates,
                    "adj_close": numbers,
                    "_blanked": 0,
                    "_line": raw.frame.index.to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _check_duplicates(raw: _Raw, frame: pd.DataFrame, form: str) -> None:
    """Raise when two rows hold the same ticker and date (frame sorted stably)."""
    same = frame["_ticker"].eq(frame["_ticker"].shift()) & frame["date"].eq(frame["date"].shift())
    if not bool(same.any()):
        return
    lines = frame["_line"].to_numpy()
    hits = np.flatnonzero(same.to_numpy())
    at = hits[np.argmin(lines[hits])]
    first, second = sorted((int(lines[at - 1]), int(lines[at])))
    day = frame["date"].iloc[at].date().isoformat()
    if form == "long":
        ticker = frame["_ticker"].iloc[at]
        what = f"duplicate rows for {ticker} on {day}; keep one row per ticker and date"
    else:
        what = f"duplicate date {day}; keep one row per date"
    _fail(raw.file, what, f"{raw.unit}s {first} and {second}")


# --------------------------------------------------------------------------- series


#: Above this many tickers with dropped rows, one warning names the first few.
DROPPED_WARNINGS = 5
_DROPPED = re.compile(
    r"^(\d+ rows?) with an empty .+? dropped \((.*)\); each missing session is a gap$"
)


def warn_dropped(dropped: dict[str, str], stacklevel: int = 2) -> None:
    """One :class:`DataQualityWarning` per ticker whose rows without a price were
    dropped, or, for more than :data:`DROPPED_WARNINGS` tickers, one warning that
    counts them and names the first few (every ticker's rows stay in its notes)."""
    if len(dropped) <= DROPPED_WARNINGS:
        for ticker, text in dropped.items():
            warnings.warn(f"{ticker}: {text}", DataQualityWarning, stacklevel=stacklevel)
        return
    shown = []
    for ticker, text in list(dropped.items())[:DROPPED_WARNINGS]:
        m = _DROPPED.match(text)
        shown.append(f"{ticker} {m.group(1)} ({m.group(2)})" if m else f"{ticker}: {text}")
    warnings.warn(
        f"{len(dropped)} tickers have rows without a price, dropped (each missing session "
        f"is a gap): {'; '.join(shown)}; and {len(dropped) - DROPPED_WARNINGS} more "
        "(every ticker's rows are in its data notes)",
        DataQualityWarning,
        stacklevel=stacklevel,
    )


@dataclass(frozen=True)
class _Series:
    """One ticker's validated prices, all dates, before windowing."""

    frame: pd.DataFrame  # date index; adj_close (NaN = empty), other roles, _line, _blanked
    return_column: str
    file: Path
    unit: str
    notes: tuple[str, ...] = ()

    def _at(self, lines: list[str]) -> str:
        """``'line 7'`` or ``'lines 7, 9, 12'``."""
        return f"{_plural(len(lines), self.unit).split(' ', 1)[1]} {_short_list(lines, 5)}"

    def coverage(self) -> str:
        """``'1986-03-13 to 2026-02-06'``: first and last dates with a price."""
        priced = self.frame.index[self.frame["adj_close"].notna().to_numpy()]
        if priced.empty:
            return f"no date with a {self.return_column} price"
        return f"{priced[0].date()} to {priced[-1].date()}"

    def window(self, start: dt.date, end: dt.date) -> _Window:
        """Rows in ``[start, end]`` with a price, and notes on what was left out."""
        index = self.frame.index
        part = self.frame[(index >= pd.Timestamp(start)) & (index <= pd.Timestamp(end))]
        notes = list(self.notes)
        dropped = None
        empty = part["adj_close"].isna()
        if bool(empty.any()):
            lines = [str(v) for v in part.loc[empty, "_line"]]
            dropped = (
                f"{_plural(len(lines), 'row')} with an empty {self.return_column} "
                f"dropped ({self.file.name} {self._at(lines)}); "
                "each missing session is a gap"
            )
            notes.append(dropped)
        blanked = part["_blanked"] > 0
        if bool(blanked.any()):
            lines = [str(v) for v in part.loc[blanked, "_line"]]
            notes.append(
                f"zero or negative open/high/low/volume blanked in {self.file.name} "
                f"({self._at(lines)})"
            )
        out = part.loc[~empty, [c for c in OUTPUT_COLUMNS if c in part.columns]].copy()
        return _Window(out, notes, dropped)


@dataclass(frozen=True)
class _Window:
    """What :meth:`_Series.window` hands back."""

    frame: pd.DataFrame
    notes: list[str]
    dropped: str | None


def _series(frame: pd.DataFrame, layout: _Layout, raw: _Raw) -> _Series:
    """Build a ticker's series; return column = Adj Close, failing that Close."""
    part = frame.drop(columns="_ticker").set_index("date")
    part.index.name = "date"
    notes: tuple[str, ...] = ()
    if layout.form == "wide":
        return _Series(part, "adj_close", raw.file, raw.unit)
    if "adj_close" in part.columns and bool(part["adj_close"].notna().any()):
        column = raw.header[layout.roles["adj_close"]]
    else:
        column = raw.header[layout.roles["close" if "close" in layout.roles else "adj_close"]]
        if "close" in part.columns:
            part["adj_close"] = part["close"]
            notes = (
                f"returns use {column} from {raw.file.name} (no adjusted close): "
                "dividends may be missing from the returns",
            )
    return _Series(part, column, raw.file, raw.unit, notes)


@dataclass
class _Table:
    """A validated price table: per-ticker row ranges of one sorted frame."""

    raw: _Raw
    layout: _Layout
    frame: pd.DataFrame
    bounds: dict[str, tuple[int, int]]
    built: dict[str, _Series] = field(default_factory=dict)

    def series(self, key: str) -> _Series:
        """The series of ticker ``key`` (built on first use, then kept)."""
        if key not in self.built:
            first, stop = self.bounds[key]
            self.built[key] = _series(self.frame.iloc[first:stop], self.layout, self.raw)
        return self.built[key]


def _sorted_by_ticker_and_date(frame: pd.DataFrame, codes: np.ndarray, uniques: Any) -> bool:
    """True when ``frame`` is already in (ticker, date) order, so a stable sort would keep
    it as it is (``codes, uniques``: ``pd.factorize`` of its tickers, first-seen order)."""
    if len(codes) < 2:
        return True
    if not (bool(np.all(codes[1:] >= codes[:-1])) and pd.Index(uniques).is_monotonic_increasing):
        return False
    d = frame["date"].to_numpy()
    return bool(np.all((d[1:] >= d[:-1]) | (codes[1:] != codes[:-1])))


def _load(path: Path, per_ticker: bool) -> _Table:
    """Read and validate one file in full."""
    began = time.perf_counter()
    layout: _Layout | None = None
    parts: list[pd.DataFrame] = []
    rows = 0
    raw: _Raw | None = None
    for raw in _read_parts(path):  # validated chunk by chunk: the text is not kept
        if layout is None:
            layout = _layout(raw, per_ticker)
        if layout.form == "wide":
            parts.append(_wide_frame(raw, layout))
        else:
            parts.append(_long_frame(raw, layout, _ticker_of(path)))
        rows += len(raw.frame)
    assert raw is not None and layout is not None  # _read_parts yields or raises
    raw = _Raw(path, raw.header, raw.frame.iloc[:0], raw.unit)
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    del parts
    codes, uniques = pd.factorize(frame["_ticker"])
    if not _sorted_by_ticker_and_date(frame, codes, uniques):  # files usually are: no copy
        frame = frame.sort_values(["_ticker", "date"], kind="stable", ignore_index=True)
        codes, uniques = pd.factorize(frame["_ticker"])
    _check_duplicates(raw, frame, layout.form)
    starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
    stops = np.r_[starts[1:], len(frame)]
    names = [str(uniques[codes[a]]) for a in starts]
    bounds = {n: (int(a), int(b)) for n, a, b in zip(names, starts, stops, strict=True)}
    logger.info(
        "read %s: %d rows, %s form, %d ticker(s) in %.2fs",
        path,
        rows,
        layout.form,
        len(bounds),
        time.perf_counter() - began,
    )
    return _Table(raw, layout, frame, bounds)


# --------------------------------------------------------------------------- provider


class FilePriceProvider:
    """Serve daily prices from a local file or folder (implements ``PriceProvider``).

    Parameters
    ----------
    path
        A CSV / CSV.gz / Parquet table (long, wide or single-ticker form) or a
        folder of per-ticker files ``<TICKER>.csv``; see the module docstring.

    Raises
    ------
    PricesFileError
        When ``path`` does not exist, has an unsupported ending, or is a folder
        without price files. Bad contents raise from :meth:`get_prices`.

    Examples
    --------
    >>> provider = FilePriceProvider("data/prices")          # doctest: +SKIP
    >>> prices = provider.get_prices(["MSFT", "^GSPC"], dt.date(2025, 1, 2),
    ...                              dt.date(2025, 9, 30))   # doctest: +SKIP
    >>> prices.adj_close("MSFT")                             # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().resolve()
        self._files: dict[str, list[Path]] = {}
        self._tables: dict[Path, _Table] = {}
        self._columns: Any = None
        if not self.path.exists():
            _fail(self.path, "no such file or folder; check the path given to --prices")
        self._is_folder = self.path.is_dir()
        if self._is_folder:
            self._files = self._scan_folder()
        elif _price_suffix(self.path.name) is None:
            _fail(
                self.path,
                f"unsupported file type '{self.path.suffix or self.path.name}'; "
                "give a .csv, .csv.gz or .parquet file, or a folder of <TICKER>.csv files",
            )

    def __repr__(self) -> str:
        return f"FilePriceProvider({str(self.path)!r})"

    @property
    def is_folder(self) -> bool:
        """Whether the source is a folder of per-ticker files."""
        return self._is_folder

    @property
    def description(self) -> str:
        """E.g. ``files: /abs/prices (folder of per-ticker CSV)``; refined once read."""
        if self.is_folder:
            kinds = sorted(
                {
                    "Parquet" if p.name.lower().endswith((".parquet", ".pq")) else "CSV"
                    for paths in self._files.values()
                    for p in paths
                }
            )
            return f"files: {self.path} (folder of per-ticker {' and '.join(kinds)})"
        kind = "Parquet" if self.path.name.lower().endswith((".parquet", ".pq")) else "CSV"
        table = self._tables.get(self.path)
        if table is None:
            return f"files: {self.path} ({kind} file)"
        if table.layout.form == "single":
            return f"files: {self.path} (single-ticker {kind} for {next(iter(table.bounds))})"
        return f"files: {self.path} ({table.layout.form}-form {kind}, {len(table.bounds)} tickers)"

    def get_prices(self, tickers: Sequence[str], start: dt.date, end: dt.date) -> PriceSet:
        """Prices of ``tickers`` for dates in ``[start, end]`` (both inclusive).

        Parameters
        ----------
        tickers
            Symbols as in the events table (``MSFT``, ``^GSPC``); matched
            case-insensitively, ``^X`` also served by ``X``.
        start, end
            First and last calendar date wanted.

        Returns
        -------
        PriceSet
            One frame per ticker with at least one price in the range; every
            other ticker is in ``missing`` with a reason naming it and the fix.
            Rows without a price are dropped and counted in ``notes`` (a
            :class:`DataQualityWarning` is also issued).

        Raises
        ------
        PricesFileError
            When a file that is needed cannot be read as prices.
        """
        if not self.is_folder:
            return self._from_one_file(list(dict.fromkeys(tickers)), start, end)
        prices = PriceSet()
        dropped: dict[str, str] = {}
        for ticker in dict.fromkeys(tickers):
            series = self._find(ticker)
            if series is None:
                prices.missing[ticker] = self._missing_reason(ticker)
                logger.debug("no file prices for %s", ticker)
                continue
            window = series.window(start, end)
            if window.frame.empty:
                prices.missing[ticker] = (
                    f"no prices for '{ticker}' from {start} to {end} in {series.file} (it has "
                    f"{series.coverage()}); add those dates {_USE_YAHOO}"
                )
                continue
            prices.add(ticker, window.frame)
            prices.return_column[ticker] = series.return_column
            if window.notes:
                prices.notes[ticker] = window.notes
            if window.dropped:
                dropped[ticker] = window.dropped
        warn_dropped(dropped, stacklevel=3)
        prices.source = self.description
        return prices

    def _from_one_file(self, tickers: list[str], start: dt.date, end: dt.date) -> PriceSet:
        """One long, wide or single-ticker file: vectorised selections of its rows."""
        from eventstudy.data.file_rows import file_columns, select

        table = self._table(self.path)
        if self._columns is None:
            self._columns = file_columns(table)
        cols = self._columns
        wanted: dict[str, str] = {}
        prices = PriceSet(table=None)
        for ticker in tickers:
            key = _match(ticker, table.bounds)
            if key is None:
                prices.missing[ticker] = self._missing_reason(ticker)
            else:
                wanted[ticker] = key
        sel = select(cols, wanted, start, end, self.path.name, table.raw.unit)
        for ticker in sel.empty:
            k = pd.Index(cols.keys).get_loc(wanted[ticker])
            a, b = int(cols.starts[k]), int(cols.starts[k + 1])
            priced = cols.days[a:b][np.isfinite(cols.price[a:b])]
            cover = (
                f"{priced[0]} to {priced[-1]}"
                if len(priced)
                else f"no date with a {cols.column[wanted[ticker]]} price"
            )
            prices.missing[ticker] = (
                f"no prices for '{ticker}' from {start} to {end} in {self.path} (it has "
                f"{cover}); add those dates {_USE_YAHOO}"
            )
        served = set(sel.table.tickers.tolist())
        result = PriceSet(
            table=sel.table,
            missing=prices.missing,
            source=self.description,
            return_column={t: cols.column[wanted[t]] for t in served},
            notes={t: n for t, n in sel.notes.items() if t in served},
        )
        warn_dropped({t: text for t, text in sel.dropped.items() if t in served}, stacklevel=4)
        return result

    # ------------------------------------------------------------------ helpers

    def _scan_folder(self) -> dict[str, list[Path]]:
        """``TICKER -> files`` for the price files directly in the folder."""
        files: dict[str, list[Path]] = {}
        for entry in sorted(self.path.iterdir()):
            if entry.is_file() and not entry.name.startswith(".") and _price_suffix(entry.name):
                files.setdefault(_ticker_of(entry), []).append(entry)
        if not files:
            others = sorted(p.name for p in self.path.iterdir())
            found = f" (found: {_short_list(others, 5)})" if others else " (it is empty)"
            _fail(
                self.path,
                f"the folder holds no price files{found}; add one file per "
                "ticker such as MSFT.csv with Date and Adj Close (or Close) columns",
            )
        return files

    def _table(self, path: Path) -> _Table:
        """The validated table of ``path``, read on first use."""
        if path not in self._tables:
            self._tables[path] = _load(path, per_ticker=self.is_folder)
        return self._tables[path]

    def _find(self, ticker: str) -> _Series | None:
        """The series serving ``ticker``, or ``None`` when the source lacks it."""
        if self.is_folder:
            key = _match(ticker, self._files)
            if key is None:
                return None
            paths = self._files[key]
            if len(paths) > 1:
                names = " and ".join(p.name for p in paths)
                _fail(self.path, f"{names} both hold {key}; keep one of them")
            table = self._table(paths[0])
            return table.series(next(iter(table.bounds)))
        table = self._table(self.path)
        key = _match(ticker, table.bounds)
        return None if key is None else table.series(key)

    def _missing_reason(self, ticker: str) -> str:
        """Why ``ticker`` is missing and what to do, naming what the source holds."""
        name = ticker.strip()
        if self.is_folder:
            files = _short_list([p.name for paths in self._files.values() for p in paths])
            alt = f" (or {name[1:]}.csv)" if name.startswith("^") else ""
            return (
                f"no prices for '{ticker}' in {self.path} (files: {files}); "
                f"add {name}.csv{alt} {_USE_YAHOO}"
            )
        table = self._tables[self.path]
        held = _short_list(sorted(table.bounds))
        fix = {
            "long": f"add rows for {name}",
            "wide": f"add a {name} column",
            "single": "use a long file or a folder of per-ticker files",
        }[table.layout.form]
        return f"no prices for '{ticker}' in {self.path} (tickers: {held}); {fix} {_USE_YAHOO}"
