"""Load and validate the events table (INTERFACE.md, "events.csv (input)").

Every row is checked and every problem collected before anything is raised:
one :class:`~eventstudy.errors.EventsFileError` lists them all, each naming
the file, line, column and what was expected. A valid table comes back with
day 0 resolved on the ticker's exchange calendar (METHODS.md section 1).

The table is checked column by column (:mod:`eventstudy.day0`); only rows
with a problem, or with a rarer form of date or time, go through the per-row
checks (:func:`_resolve_row`), which write every message.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from eventstudy.day0 import (
    COLUMNS,
    Text,
    derived_ids,
    frame_text,
    id_issues,
    raw_text,
    resolve,
)
from eventstudy.day0 import TICKER_RE as _TICKER_RE
from eventstudy.duplicates import describe_duplicates, duplicate_events
from eventstudy.errors import EventsFileError, InputError, InputIssue
from eventstudy.event_time import (
    AnnouncementError,
    Exchange,
    exchange_for_ticker,
    normalize_timing,
    parse_date,
    parse_time,
    resolve_day0,
)
from eventstudy.schema import reserved_event_columns

logger = logging.getLogger(__name__)

__all__ = [
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "describe_duplicates",
    "duplicate_events",
    "load_events",
    "sanitize_event_id",
    "unique_file_stems",
]

#: Columns the events table may have (header names are case-insensitive).
INPUT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "ticker",
    "date",
    "time",
    "timing",
    "benchmark",
    "description",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("ticker", "date")
#: Columns of the loaded table, in order; the user's extra columns follow.
OUTPUT_COLUMNS: tuple[str, ...] = (
    *INPUT_COLUMNS,
    "exchange",
    "announced",
    "day0",
    "day0_rule",
    "line",
    "benchmark_source",
)
_RESERVED = (frozenset(OUTPUT_COLUMNS) - frozenset(INPUT_COLUMNS)) | reserved_event_columns()
DATAFRAME_SOURCE = "events DataFrame"

_TEXT_COLUMNS = tuple(c for c in OUTPUT_COLUMNS if c not in ("day0", "line"))

_TICKER_HELP = "expected a Yahoo Finance symbol such as MSFT, BRK-B, MC.PA, 7203.T or ^GSPC"
_MAX_TICKER = 32


@dataclass(frozen=True)
class _Raw:
    """An events table as text: header cells and (line, cells) rows."""

    source: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


@dataclass(frozen=True)
class _Table:
    """An events table as text columns (the rows of a CSV file that are not ragged)."""

    source: str
    header: list[str]
    lines: np.ndarray  # int64 line of every row
    text: Callable[[int], Text]  # stripped cells of the column at a header position
    has_values: Callable[[int], bool]  # any non-blank cell at a header position
    issues: list[InputIssue]  # rows with more fields than the header


# --------------------------------------------------------------------------- reading


def _fatal(
    source: str, message: str, line: int | None = None, column: str | None = None
) -> NoReturn:
    raise EventsFileError([InputIssue(source, line, column, message)])


def _sniff_delimiter(first_line: str) -> str:
    """``,`` unless the header only makes sense split on ``;`` or a tab."""
    if "," not in first_line:
        for candidate in (";", "\t"):
            if candidate in first_line:
                return candidate
    return ","


def _read_csv(path: Path) -> _Raw:
    """Read the file as the csv module and spreadsheets do.

    Records end only at ``\n``, ``\r\n`` or ``\r`` outside quotes (never at
    U+2028, U+0085 or a form feed, which stay inside their field); every
    leading byte-order mark is dropped; quotes are strict, so an unterminated
    quote is an error naming the line where its field starts instead of a
    field that swallows the rows below it.
    """
    source = str(path)
    if not path.exists():
        _fatal(source, f"file not found: {path}; give the path of an events CSV file")
    if not path.is_file():
        _fatal(source, f"{path} is not a file; give the path of an events CSV file")
    from eventstudy.limits import check_file_size

    check_file_size(path, "EVENTS_FILE_BYTES", "events file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        _fatal(source, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV")
    except OSError as exc:
        _fatal(source, f"cannot read the file ({exc.strerror}); check its permissions")
    text = text.lstrip("\ufeff")
    first = next((ln for ln in io.StringIO(text, newline="") if ln.strip()), "")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first), strict=True
    )
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    previous = 0
    try:
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank line, or only separators
            if header is None:
                header = cells
            else:
                rows.append((start, cells))
    except csv.Error as exc:
        _fatal(source, _csv_problem(str(exc)), line=previous + 1)
    if header is None:
        _fatal(
            source,
            "the file is empty: no events; expected a header such as "
            "'event_id,ticker,date,time,timing' and one row per event",
            line=1,
        )
    return _Raw(source, header, rows)


def _csv_problem(message: str) -> str:
    """A csv module error in words a spreadsheet user can act on."""
    if "unexpected end of data" in message:
        return (
            "unterminated quote: a quoted field starts on this line and is never "
            "closed, so it would swallow the rows below; close the quote (write a quote "
            'inside a field as "")'
        )
    if "expected after" in message:
        return (
            "a quote closes a field but text follows it; quote the whole field and "
            'double any quote inside it ("He said ""hi""")'
        )
    return f"not readable as CSV: {message}"


def _frame_table(frame: pd.DataFrame, name: str | None) -> _Table:
    """The DataFrame column by column (line = row position + 2)."""
    cache: dict[int, Text] = {}

    def text(pos: int) -> Text:
        if pos not in cache:
            cache[pos] = frame_text(frame.iloc[:, pos])
        return cache[pos]

    def has_values(pos: int) -> bool:
        values = text(pos)
        return bool((values.values != "")[values.codes].any())

    return _Table(
        name or DATAFRAME_SOURCE,
        [str(c) for c in frame.columns],
        np.arange(2, len(frame) + 2, dtype=np.int64),
        text,
        has_values,
        [],
    )


def _csv_table(raw: _Raw) -> _Table:
    """The rows of a CSV file as columns; rows with extra non-blank fields reported."""
    width = len(raw.header)
    issues: list[InputIssue] = []
    lines: list[int] = []
    rows: list[list[str]] = []
    for line, cells in raw.rows:
        if len(cells) != width:
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                issues.append(
                    InputIssue(
                        raw.source,
                        line,
                        None,
                        f"row has {len(cells)} fields "
                        f"but the header has {width}; quote values that contain the "
                        "separator",
                    )
                )
                continue
            cells = cells[:width] + [""] * (width - len(cells))
        lines.append(line)
        rows.append(cells)
    columns = list(zip(*rows, strict=True)) if rows else [()] * width

    def text(pos: int) -> Text:
        return raw_text(columns[pos])

    def has_values(pos: int) -> bool:
        return any(pos < len(r) and r[pos].strip() for _, r in raw.rows)

    return _Table(raw.source, raw.header, np.array(lines, dtype=np.int64), text, has_values, issues)


# --------------------------------------------------------------------------- header


def _header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _map_columns(
    source: str, header: Sequence[str], has_values: Callable[[int], bool]
) -> tuple[dict[str, int], list[InputIssue]]:
    """Output column name -> position in the header, and header problems."""
    issues: list[InputIssue] = []
    mapping: dict[str, int] = {}
    seen: dict[str, int] = {}
    for pos, cell in enumerate(header):
        name = cell.strip()
        key = _header_key(name)
        if not name:
            if has_values(pos):
                issues.append(
                    InputIssue(
                        source,
                        1,
                        None,
                        f"column {pos + 1} has values but no header name; give it a name",
                    )
                )
            continue
        if key in seen:
            issues.append(
                InputIssue(
                    source,
                    1,
                    name,
                    f"column '{name}' appears more than "
                    f"once (columns {seen[key] + 1} and {pos + 1}); keep one",
                )
            )
            continue
        seen[key] = pos
        if key in _RESERVED:
            issues.append(
                InputIssue(
                    source,
                    1,
                    name,
                    f"column '{name}' is written by the "
                    f"tool into every output; rename it (e.g. 'user_{key}') or drop it",
                )
            )
            continue
        mapping[key if key in INPUT_COLUMNS else name] = pos
    found = ", ".join(c.strip() for c in header if c.strip()) or "(none)"
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            issues.append(
                InputIssue(
                    source,
                    1,
                    required,
                    f"required column '{required}' is missing; found columns: {found}",
                )
            )
    return mapping, issues


# --------------------------------------------------------------------------- rows


def _check_symbol(text: str, column: str, source: str, line: int) -> InputIssue | None:
    if not text:
        return InputIssue(source, line, column, f"{column} is blank; {_TICKER_HELP}")
    bad = sorted({ch for ch in text if not re.match(r"[A-Za-z0-9.\-=&^]", ch)})
    if bad:
        shown = ", ".join("a space" if ch.isspace() else repr(ch) for ch in bad)
        return InputIssue(
            source, line, column, f"{text!r} is not a ticker: it contains {shown}; {_TICKER_HELP}"
        )
    if len(text) > _MAX_TICKER or not _TICKER_RE.match(text.upper()):
        return InputIssue(source, line, column, f"{text!r} is not a ticker; {_TICKER_HELP}")
    return None


def check_symbol(text: str, column: str) -> str | None:
    """Why ``text`` is not a usable ticker symbol (``None`` if it is)."""
    issue = _check_symbol(text, column, "", 0)
    return issue.message if issue is not None else None


def _check_fields(rec: dict[str, Any], source: str) -> tuple[Exchange | None, list[InputIssue]]:
    """Checks that need no calendar; returns the exchange when the ticker is usable."""
    line = rec["line"]
    issues: list[InputIssue] = []
    exchange: Exchange | None = None
    bad_ticker = _check_symbol(rec["ticker"], "ticker", source, line)
    if bad_ticker is not None:
        issues.append(bad_ticker)
    else:
        try:
            exchange = exchange_for_ticker(rec["ticker"])
        except InputError as exc:
            issues.append(InputIssue(source, line, "ticker", str(exc)))
    if rec.get("benchmark"):
        bad_bench = _check_symbol(rec["benchmark"], "benchmark", source, line)
        if bad_bench is not None:
            issues.append(bad_bench)
    checks = (("date", parse_date), ("time", parse_time), ("timing", normalize_timing))
    for column, check in checks:
        if column == "date" or rec.get(column):
            try:
                check(rec.get(column, ""))
            except ValueError as exc:
                issues.append(InputIssue(source, line, column, str(exc)))
    return exchange, issues


def _resolve_row(rec: dict[str, Any], source: str) -> list[InputIssue]:
    """Validate one row and fill its computed fields in place."""
    exchange, issues = _check_fields(rec, source)
    if issues or exchange is None:
        return issues
    try:
        day0 = resolve_day0(
            rec["date"], rec.get("time") or None, rec.get("timing") or None, exchange=exchange
        )
    except AnnouncementError as exc:
        return [InputIssue(source, rec["line"], exc.column, str(exc))]
    given_benchmark = rec.get("benchmark", "")
    rec.update(
        ticker=rec["ticker"].upper(),
        date=day0.date,
        time=day0.time,
        timing=day0.timing,
        benchmark=given_benchmark.upper() or exchange.default_benchmark,
        benchmark_source="events file" if given_benchmark else "exchange default",
        description=rec.get("description", ""),
        exchange=exchange.mic,
        announced=day0.announced,
        day0=day0.day0,
        day0_rule=day0.rule,
    )
    return []


# --------------------------------------------------------------------------- columns


def _output(
    columns: dict[str, Text], extras: Sequence[str], day0: np.ndarray, lines: np.ndarray
) -> pd.DataFrame:
    data: dict[str, Any] = {c: columns[c].to_pandas() for c in (*_TEXT_COLUMNS, *extras)}
    data["day0"] = day0.view("datetime64[ns]")
    data["line"] = lines
    return pd.DataFrame(data, columns=[*OUTPUT_COLUMNS, *extras])


# --------------------------------------------------------------------------- public


def load_events(
    source: str | os.PathLike[str] | pd.DataFrame, *, name: str | None = None
) -> pd.DataFrame:
    """Load an events table, validate every row and resolve each event's day 0.

    Parameters
    ----------
    source : str, path-like or pandas.DataFrame
        A CSV file (UTF-8, a BOM is fine; ``;`` or tab separators are
        detected) or a DataFrame with the same columns. Header names are
        case-insensitive (``Ticker``, `` DATE ``); cells are stripped.
        Required: ``ticker``, ``date``. Optional: ``event_id``, ``time``,
        ``timing``, ``benchmark``, ``description``. Other columns are carried.
    name : str, optional
        Name used for the source in messages (default: the file path, or
        ``"events DataFrame"``).

    Returns
    -------
    pandas.DataFrame
        One row per event, columns :data:`OUTPUT_COLUMNS` then the extra
        columns in their original spelling. ``date``/``time`` are the local
        announcement date and time on the exchange (a UTC date-time is
        converted); ``timing`` is normalised (blank -> ``unknown``);
        ``benchmark`` falls back to the exchange's index, with
        ``benchmark_source`` saying which; ``day0`` is ``datetime64[ns]``;
        ``line`` is the file line (DataFrame: row position + 2).

    Raises
    ------
    EventsFileError
        With every problem found (``.issues``): missing or empty file,
        missing/duplicate columns, bad tickers, dates, times, timings,
        contradictions, duplicate ids, unknown exchanges, dates outside the
        calendar.
    """
    if isinstance(source, pd.DataFrame):
        table = _frame_table(source, name)
    else:
        raw = _read_csv(Path(source))
        table = _csv_table(_Raw(name, raw.header, raw.rows) if name else raw)
    mapping, issues = _map_columns(table.source, table.header, table.has_values)
    if issues:
        raise EventsFileError(issues)
    n, issues = len(table.lines), list(table.issues)
    from eventstudy.limits import LimitError, hint, limit

    if n > limit("EVENTS"):
        raise LimitError(
            f"{table.source}: {n:,} events, more than one run takes {hint('EVENTS')}; "
            "split the file into several studies (a batch config runs them in turn)"
        )
    if not n and not issues:
        _fatal(
            table.source,
            "no events: the table has a header but no rows; add one row per event",
            line=2,
        )
    cols = {col: table.text(pos) for col, pos in mapping.items()}
    res = resolve(cols, n)
    done: list[int] = []
    filled: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    for i in np.flatnonzero(~res.ok).tolist():  # problems, and rarer forms: row by row
        rec: dict[str, Any] = {col: values[i] for col, values in cols.items()}
        rec["line"] = int(table.lines[i])
        row_issues = _resolve_row(rec, table.source)
        issues.extend(row_issues)
        if not row_issues:
            done.append(i)
            for col, values in filled.items():
                values.append(rec[col])
            res.day0[i] = rec["day0"].as_unit("ns").value
    blank = Text.constant(n, "")
    ids = cols.get("event_id", blank)
    issues.extend(id_issues(ids, table.lines, table.source))
    if issues:
        issues.sort(key=lambda i: i.line or 0)
        raise EventsFileError(issues)
    if done:
        for col, values in filled.items():
            res.columns[col].put(np.array(done), np.arange(len(done)), values)
    columns = {
        **cols,
        "description": cols.get("description", blank),
        **{c: res.columns[c].text() for c in COLUMNS},
    }
    columns["event_id"] = derived_ids(ids, columns["ticker"], columns["date"])
    extras = [c for c in mapping if c not in INPUT_COLUMNS]
    logger.info("loaded %d event(s) from %s", n, table.source)
    return _output(columns, extras, res.day0, table.lines)


# --------------------------------------------------------------------------- file names

_MAX_STEM = 100
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
)


def sanitize_event_id(event_id: str) -> str:
    """Turn an event id into a safe file-name stem.

    Accents are dropped (``Société`` -> ``Societe``); any character other than
    ASCII letters, digits, ``-``, ``_`` and ``.`` becomes ``_``; runs of ``_``
    or ``.`` collapse to one; no leading ``.`` or ``-`` and no trailing ``.``;
    at most 100 characters; Windows device names get a leading ``_``; never
    empty (``"event"``).
    """
    decomposed = unicodedata.normalize("NFKD", str(event_id))
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9._-]", "_", text)
    text = re.sub(r"_+", "_", re.sub(r"\.+", ".", text))
    text = text.lstrip(".-")[:_MAX_STEM].rstrip(".")
    if not text:
        return "event"
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text[: _MAX_STEM - 1]
    return text


def _hashed(stem: str, event_id: str, n_hex: int) -> str:
    digest = hashlib.sha256(event_id.encode("utf-8")).hexdigest()[:n_hex]
    return f"{stem[: _MAX_STEM - n_hex - 1].rstrip('.')}-{digest}"


def unique_file_stems(ids: Iterable[str]) -> dict[str, str]:
    """Map event ids to file-name stems that never collide, even case-insensitively.

    Each stem is :func:`sanitize_event_id`; ids whose stems would clash
    (ignoring case, e.g. ``A/B`` and ``a_b``) all get ``-`` plus a short
    SHA-256 of the original id appended, so the result does not depend on row
    order.

    Parameters
    ----------
    ids : iterable of str
        Event ids (duplicates are ignored).

    Returns
    -------
    dict
        ``{event_id: stem}``.
    """
    distinct = list(dict.fromkeys(str(i) for i in ids))
    base = {eid: sanitize_event_id(eid) for eid in distinct}
    n_hex = dict.fromkeys(distinct, 0)
    while True:
        stems = {eid: _hashed(base[eid], eid, n) if n else base[eid] for eid, n in n_hex.items()}
        counts = Counter(s.lower() for s in stems.values())
        clashing = [eid for eid, s in stems.items() if counts[s.lower()] > 1]
        if not clashing:
            return stems
        for eid in clashing:
            n_hex[eid] = min(64, max(8, 2 * n_hex[eid]))
