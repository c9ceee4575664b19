"""The column-wise ``load_events`` against the row-by-row reference, exactly.

:func:`load_events_rowwise` below is the loader as it was before the
column-wise path (kept here as the reference; ``benchmarks/events.py
--impl rowwise`` times it): every DataFrame cell through ``cell_text``, every
row through ``events._resolve_row`` (``event_time.resolve_day0``), ids checked
and derived in a loop. Both must give the same table (every column, value
and dtype) or the same issues (file, line, column, text).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstudy.day0 import cell_text
from eventstudy.errors import EventsFileError, InputIssue
from eventstudy.event_time import sessions
from eventstudy.events import (
    DATAFRAME_SOURCE,
    INPUT_COLUMNS,
    OUTPUT_COLUMNS,
    _fatal,
    _map_columns,
    _Raw,
    _read_csv,
    _resolve_row,
    load_events,
)

# --------------------------------------------------------------------------- reference


def _from_frame(frame: pd.DataFrame, name: str | None) -> _Raw:
    """The DataFrame as rows of ``cell_text`` of each cell (``itertuples``)."""
    source = name or DATAFRAME_SOURCE
    header = [str(c) for c in frame.columns]
    rows = [
        (pos + 2, [cell_text(v) for v in values])
        for pos, values in enumerate(frame.itertuples(index=False, name=None))
    ]
    return _Raw(source, header, rows)


def _records(raw: _Raw, mapping: dict[str, int]) -> tuple[list[dict[str, Any]], list[InputIssue]]:
    """Rows as ``{column: stripped text}`` with their line; ragged rows reported."""
    records: list[dict[str, Any]] = []
    issues: list[InputIssue] = []
    width = len(raw.header)
    for line, cells in raw.rows:
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            issues.append(
                InputIssue(
                    raw.source,
                    line,
                    None,
                    f"row has {len(cells)} fields but "
                    f"the header has {width}; quote values that contain the separator",
                )
            )
            continue
        record: dict[str, Any] = {
            col: (cells[pos].strip() if pos < len(cells) else "") for col, pos in mapping.items()
        }
        record["line"] = line
        records.append(record)
    return records, issues


def _check_ids(records: Sequence[dict[str, Any]], source: str) -> list[InputIssue]:
    first_line: dict[str, int] = {}
    issues: list[InputIssue] = []
    for rec in records:
        eid = rec.get("event_id", "")
        if not eid:
            continue
        if eid in first_line:
            issues.append(
                InputIssue(
                    source,
                    rec["line"],
                    "event_id",
                    f"duplicate event_id "
                    f"{eid!r} (lines {first_line[eid]} and {rec['line']}); event ids "
                    "must be unique",
                )
            )
        else:
            first_line[eid] = rec["line"]
    return issues


def _derive_ids(records: Sequence[dict[str, Any]]) -> None:
    """Fill blank event ids with ``<TICKER>_<YYYY-MM-DD>``, adding ``_2``, ``_3`` on clashes."""
    used = {rec["event_id"] for rec in records if rec.get("event_id")}
    for rec in records:
        if rec.get("event_id"):
            continue
        base = f"{rec['ticker']}_{rec['date']}"
        candidate, k = base, 1
        while candidate in used:
            k += 1
            candidate = f"{base}_{k}"
        rec["event_id"] = candidate
        used.add(candidate)


def _frame(records: Sequence[dict[str, Any]], extras: Sequence[str]) -> pd.DataFrame:
    columns = [*OUTPUT_COLUMNS, *extras]
    data: dict[str, Any] = {col: [rec[col] for rec in records] for col in columns}
    data["day0"] = np.array([d.to_datetime64() for d in data["day0"]], dtype="datetime64[ns]")
    data["line"] = np.array(data["line"], dtype="int64")
    frame = pd.DataFrame(data, columns=columns)
    text_cols = [c for c in columns if c not in ("day0", "line")]
    frame[text_cols] = frame[text_cols].astype("str")
    return frame


def load_events_rowwise(
    source: str | Path | pd.DataFrame, *, name: str | None = None
) -> pd.DataFrame:
    """``load_events`` as it was: row by row, the reference the column-wise path must equal."""
    if isinstance(source, pd.DataFrame):
        raw = _from_frame(source, name)
    else:
        raw = _read_csv(Path(source))
        if name:
            raw = _Raw(name, raw.header, raw.rows)
    mapping, issues = _map_columns(
        raw.source,
        raw.header,
        lambda pos: any(pos < len(r) and r[pos].strip() for _, r in raw.rows),
    )
    if issues:
        raise EventsFileError(issues)
    records, issues = _records(raw, mapping)
    if not records and not issues:
        _fatal(
            raw.source,
            "no events: the table has a header but no rows; add one row per event",
            line=2,
        )
    for rec in records:
        issues.extend(_resolve_row(rec, raw.source))
    issues.extend(_check_ids(records, raw.source))
    if issues:
        issues.sort(key=lambda i: i.line or 0)
        raise EventsFileError(issues)
    _derive_ids(records)
    extras = [c for c in mapping if c not in INPUT_COLUMNS]
    return _frame(records, extras)


# --------------------------------------------------------------------------- tables

TICKERS = [
    "MSFT",
    "msft",
    " aapl ",
    "BRK.B",
    "brk-b",
    "MC.PA",
    "mc.pa",
    "VOD.L",
    "7203.T",
    "0700.HK",
    "BHP.AX",
    "RY.TO",
    "^GSPC",
    "^n225",
    "SAP.DE",
    "spy",
]
SPECIAL_DAYS = [
    "2025-11-28",
    "2024-11-29",
    "2024-07-03",
    "2024-12-24",
    "2025-12-24",
    "2025-07-03",  # half
    "2025-07-04",
    "2025-12-25",
    "2025-01-01",
    "2024-01-01",
    "2025-04-18",
    "2025-05-26",  # shut
    "2025-09-13",
    "2025-09-14",
    "2020-05-23",
    "2025-09-11",
    "2025-09-12",
    "2025-01-02",
    "1970-01-02",
    "1997-01-06",
]
TIMINGS = [
    "",
    "",
    "unknown",
    "amc",
    "AMC",
    "after close",
    "after_close",
    "bmo",
    "Before Open",
    "pre-market",
    "during_market",
    "intraday",
    "dm",
    "n/a",
    " None ",
]
TIMES = [
    "",
    "",
    "",
    "9:30",
    "09:29",
    "09:30:00",
    "16:00",
    "15:59:59",
    "16:00:01",
    "13:00",
    "12:59",
    "13:00:00",
    "00:00",
    "23:59",
    "17:30",
    "15:30",
    "8:00",
    "10:15",
]
OFFSETS = [
    "Z",
    "z",
    "+00:00",
    "-04:00",
    "-05:00",
    "+01:00",
    "+02:00",
    "+09:00",
    "+05:30",
    "-00:00",
    "+14:00",
    "-11:30",
]
RARE = [
    "2025-09-11T16:30:00.5Z",
    "2025-09-11T20:30+0000",
    "2025-09-11T20:30+02",
    "2025-11-28T13:00:00.000-05:00",
    "1970-01-02T23:00Z",
    " 2025-09-11 ",
]


def issue_tuples(exc: EventsFileError) -> list[tuple[Any, ...]]:
    return [dataclasses.astuple(i) for i in exc.issues]


def same(source: Any, **kwargs: Any) -> pd.DataFrame | None:
    """Both loaders agree: equal tables, or equal issues (and message)."""
    try:
        expected = load_events_rowwise(source, **kwargs)
    except EventsFileError as exc:
        with pytest.raises(EventsFileError) as info:
            load_events(source, **kwargs)
        assert issue_tuples(info.value) == issue_tuples(exc)
        assert str(info.value) == str(exc)
        return None
    got = load_events(source, **kwargs)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got.columns) == list(expected.columns)
    assert [str(t) for t in got.dtypes] == [str(t) for t in expected.dtypes]
    assert got["day0"].dtype == np.dtype("datetime64[ns]") and got["line"].dtype == np.int64
    return got


def _date_text(rng: np.random.Generator, day: str) -> str:
    form = rng.integers(0, 10)
    if form <= 4:
        return day
    clock = f"{rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}"
    if rng.random() < 0.4:
        clock += f":{rng.integers(0, 60):02d}"
    sep = str(rng.choice(["T", "T", "t", " "]))
    if form <= 6:
        return f"{day}{sep}{clock}"
    return f"{day}{sep}{clock}{rng.choice(OFFSETS)}"


def random_rows(rng: np.random.Generator, n: int) -> list[dict[str, str]]:
    """Candidate rows mixing every form; some are invalid (filtered by the caller)."""
    start = np.datetime64("2009-01-01")
    days = np.datetime_as_string(start + rng.integers(0, 6400, n).astype("timedelta64[D]"))
    rows = []
    for i in range(n):
        day = str(rng.choice(SPECIAL_DAYS)) if rng.random() < 0.3 else str(days[i])
        date = str(rng.choice(RARE)) if rng.random() < 0.01 else _date_text(rng, day)
        pick = rng.random()
        event_id = "" if pick < 0.6 else (f"id{i}" if pick < 0.95 else "MSFT_2025-09-11")
        rows.append(
            {
                "event_id": event_id,
                "ticker": str(rng.choice(TICKERS)),
                "date": date,
                "time": str(rng.choice(TIMES)) if "T" not in date.upper()[10:11] else "",
                "timing": str(rng.choice(TIMINGS)),
                "benchmark": str(rng.choice(["", "", "", "^gspc", " ^FCHI ", "spy"])),
                "description": str(rng.choice(["", "deal", " spaced out ", "two\nlines"])),
                "Sector": str(rng.choice(["tech", "", "energy"])),
            }
        )
    return rows


def valid_table(seed: int, n: int) -> pd.DataFrame:
    """Random valid rows: each checked with the per-row path, given ids kept unique."""
    rng = np.random.default_rng(seed)
    keep, seen = [], set()
    for row in random_rows(rng, n):
        rec: dict[str, Any] = {k: v.strip() for k, v in row.items()}
        rec["line"] = 0
        if _resolve_row(rec, "check") or (row["event_id"] and row["event_id"] in seen):
            continue
        seen.add(row["event_id"])
        keep.append(row)
    frame = pd.DataFrame(keep, dtype=object)
    # Same ticker and date twice, blank ids: derived ids need _2, _3.
    twins = pd.DataFrame(
        [
            {
                **keep[0],
                "event_id": "",
                "ticker": "MSFT",
                "date": "2025-09-11",
                "time": "",
                "timing": t,
            }
            for t in ("amc", "bmo", "")
        ],
        dtype=object,
    )
    return pd.concat([frame, twins], ignore_index=True)


# --------------------------------------------------------------------------- valid tables


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return valid_table(seed=20251128, n=4000)


def test_random_valid_table_dataframe(table: pd.DataFrame) -> None:
    events = same(table)
    assert events is not None
    rules = " | ".join(events["day0_rule"])
    for part in (
        "half day: close 13:00",
        "non-session (Saturday",
        "non-session (Friday",
        "at/after the",
        "is before the",
        "after the close of",
        "before the open",
        "during market hours",
        "timing unknown",
    ):
        assert part in rules, part
    assert events["announced"].str.contains("given as").sum() > 50
    assert events["time"].str.len().eq(8).any()  # seconds kept
    assert set(events["exchange"]) >= {"XNYS", "XPAR", "XLON", "XTKS", "XHKG", "XASX", "XTSE"}
    assert (events["benchmark_source"] == "events file").any()
    assert events["event_id"].str.fullmatch(r"MSFT_2025-09-11_\d").sum() >= 3
    assert events["event_id"].is_unique


def test_random_valid_table_string_dtype(table: pd.DataFrame) -> None:
    same(table.astype("str"))


def test_random_valid_table_csv(table: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    table.to_csv(path, index=False)
    same(path)
    same(path, name="named.csv")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_more_random_valid_tables(seed: int) -> None:
    same(valid_table(seed, 600))


def _valid_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows the per-row path accepts on their own."""
    keep = []
    for row in frame.to_dict("records"):
        rec: dict[str, Any] = {k: str(v).strip() for k, v in row.items()}
        rec["line"] = 0
        keep.append(not _resolve_row(rec, "check"))
    return frame[keep].reset_index(drop=True)


@pytest.mark.parametrize(
    "ticker", ["MSFT", "MC.PA", "7203.T", "0700.HK", "VOD.L", "BHP.AX", "RY.TO"]
)
def test_open_and_close_boundaries(ticker: str) -> None:
    """A second either side of the open and the close, with every timing."""
    from eventstudy.event_time import _schedule, exchange_for_ticker

    sched = _schedule(exchange_for_ticker(ticker).mic)
    rows = []
    for day in ("2025-09-11", "2025-11-28", "2025-12-24", "2025-12-31"):
        pos = int(np.searchsorted(sched.labels, np.datetime64(day)))
        for edge in (sched.opens[pos], sched.closes[pos]):
            for delta in (-1, 0, 1):
                clock = (pd.Timestamp(edge) + pd.Timedelta(seconds=delta)).strftime("%H:%M:%S")
                for timing in ("before_open", "during_market", "after_close", "unknown"):
                    rows.append({"ticker": ticker, "date": day, "time": clock, "timing": timing})
                    rows.append(
                        {"ticker": ticker, "date": f"{day}T{clock}", "time": "", "timing": timing}
                    )
    frame = pd.DataFrame(rows, dtype=object)
    assert same(frame) is None  # contradictions: every issue identical
    valid = _valid_only(frame)
    assert 0 < len(valid) < len(frame)
    assert same(valid) is not None


def test_derived_ids_skip_given_ids_and_each_other() -> None:
    frame = pd.DataFrame(
        {
            "event_id": ["AAPL_2025-09-12", "", "X_2025-09-11_2", "", "", "", "x_2025-09-11", ""],
            "ticker": ["MSFT", "aapl", "MSFT", "x", "X", "X", "MSFT", "IBM"],
            "date": [
                "2025-09-11",
                "2025-09-12",
                "2025-09-11",
                "2025-09-11",
                "2025-09-11",
                "2025-09-11",
                "2025-09-12",
                "2025-09-12",
            ],
        },
        dtype=object,
    )
    events = same(frame)
    assert events is not None
    assert events["event_id"].tolist() == [
        "AAPL_2025-09-12",
        "AAPL_2025-09-12_2",
        "X_2025-09-11_2",
        "X_2025-09-11",
        "X_2025-09-11_3",
        "X_2025-09-11_4",
        "x_2025-09-11",
        "IBM_2025-09-12",
    ]


def test_rarer_forms_resolved_row_by_row() -> None:
    frame = pd.DataFrame({"ticker": ["MSFT"] * 6, "date": RARE})
    events = same(frame)
    assert events is not None and len(events) == len(RARE)


# --------------------------------------------------------------------------- DataFrame cells


def test_dataframe_cells_of_every_dtype() -> None:
    n = 6
    frame = pd.DataFrame(
        {
            "ticker": pd.Series(["MSFT", " aapl", "MC.PA", None, "SAP.DE", "7203.T"], dtype=object),
            "date": pd.to_datetime(
                [
                    "2025-09-11 00:00",
                    "2025-09-11 16:30",
                    "2025-11-28 00:00",
                    "2025-09-13 00:00",
                    "2025-12-24 12:00",
                    "2025-09-11 00:00",
                ]
            ),
            "aware": pd.to_datetime(["2025-09-11 20:30"] * n).tz_localize("UTC"),
            "objects": [
                pd.Timestamp("2025-01-01"),
                dt.date(2025, 1, 2),
                dt.time(9, 30),
                dt.time(9, 30, 5),
                np.nan,
                pd.NaT,
            ],
            "floats": [1.5, 2.0, np.nan, -0.0, 1e20, float("inf")],
            "ints": np.arange(n) - 2,
            "flags": [True, False, True, True, False, True],
            "cats": pd.Categorical(["a", "b", "a", None, "b", "a"]),
            "strings": pd.array(["x ", None, " y", "", "z", "x"], dtype="string"),
            "mixed": [1, "1", 1.0, None, "two", np.float32("nan")],
            "deltas": pd.to_timedelta(np.arange(n), unit="h"),
        }
    )
    frame.loc[3, "ticker"] = "IBM"
    same(frame)
    same(frame.rename(columns={"date": "Date", "ticker": " Ticker "}))
    # The same cells as the date column: tz-aware, object Timestamps, datetime.date.
    same(frame.assign(date=frame["aware"]))
    same(frame.assign(date=[pd.Timestamp("2025-09-11 10:00", tz="Europe/Paris")] * n))
    same(frame.assign(date=[dt.date(2025, 9, 11)] * n))
    same(frame.assign(date=pd.to_datetime(["2025-09-11"] * n).astype("datetime64[s]")))


# --------------------------------------------------------------------------- bad tables

BAD_ROWS = [
    # (ticker, date, time, timing, benchmark, event_id)
    ("", "2025-09-11", "", "", "", ""),
    ("MS FT", "2025-09-11", "", "", "", ""),
    ("MSFT$", "2025-09-11", "", "", "", ""),
    ("ABC.XYZ", "2025-09-11", "", "", "", ""),
    ("^NOPE", "2025-09-11", "", "", "", ""),
    ("A" * 33, "2025-09-11", "", "", "", ""),
    ("-MSFT", "2025-09-11", "", "", "", ""),
    ("MSFT", "2025-09-11", "", "", "S&P 500", ""),
    ("MSFT", "2025-09-11", "", "", "^", ""),
    ("MSFT", "", "", "", "", ""),
    ("MSFT", "2025-13-45", "", "", "", ""),
    ("MSFT", "2025-02-29", "", "", "", ""),
    ("MSFT", "0000-01-01", "", "", "", ""),
    ("MSFT", "11/09/2025", "", "", "", ""),
    ("MSFT", "٢٠٢٥-٠٩-١١", "", "", "", ""),
    ("MSFT", "2025-09-11T25:00Z", "", "", "", ""),
    ("MSFT", "2025-09-11T10:00+24:00", "", "", "", ""),
    ("MSFT", "2025-09-11T10:60", "", "", "", ""),
    ("MSFT", "2025-09-11", "4pm", "", "", ""),
    ("MSFT", "2025-09-11", "24:00", "", "", ""),
    ("MSFT", "2025-09-11", "9:60", "", "", ""),
    ("MSFT", "2025-09-11", "١٠:٠٠", "", "", ""),
    ("MSFT", "2025-09-11", "", "soon", "", ""),
    ("MSFT", "2025-09-11", "09:30", "before_open", "", ""),
    ("MSFT", "2025-09-11", "17:00", "bmo", "", ""),
    ("MSFT", "2025-09-11", "15:59", "amc", "", ""),
    ("MSFT", "2025-09-11", "09:29", "during_market", "", ""),
    ("MSFT", "2025-09-11", "16:00", "dm", "", ""),
    ("MSFT", "2025-11-28", "13:30", "during_market", "", ""),
    ("MC.PA", "2025-09-11T08:00Z", "", "after_close", "", ""),
    ("MSFT", "2025-09-11T20:30Z", "15:00", "", "", ""),
    ("MSFT", "2025-09-11T16:30", "16:31", "", "", ""),
    ("MSFT", "1960-01-04", "", "", "", ""),
    ("MSFT", "2099-01-02", "", "", "", ""),
    ("7203.T", "1990-01-04", "", "", "", ""),
    ("MSFT", "1500-01-01T10:00Z", "", "", "", ""),
    ("MSFT", "", "25:00", "soon", "bad bench", "dup"),
    ("MSFT", "2025-09-11", "", "", "", "dup"),
    ("MSFT", "2025-09-12", "", "", "", "dup"),
]


def _bad_frame(rows: list[tuple[str, ...]]) -> pd.DataFrame:
    cols = ["ticker", "date", "time", "timing", "benchmark", "event_id"]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], dtype=object)


def test_bad_rows_of_every_kind_give_identical_issues(tmp_path: Path) -> None:
    last = sessions("XNYS")[-1]
    rows = [
        ("MSFT", "2025-09-11", "", "", "", "ok"),
        *BAD_ROWS,
        ("MSFT", f"{last:%Y-%m-%d}", "", "amc", "", ""),
        ("MSFT", f"{last:%Y-%m-%d}", "20:00", "", "", ""),
    ]
    frame = _bad_frame(rows)
    assert same(frame) is None
    with pytest.raises(EventsFileError) as info:
        load_events(frame)
    assert len({i.line for i in info.value.issues}) == len(rows) - 2  # all but 'ok', 'dup'
    for k in range(1, len(rows)):  # every bad row alone, with a good one
        same(_bad_frame([rows[0], rows[k]]))
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    same(path)


def test_csv_layout_problems_give_identical_issues(tmp_path: Path) -> None:
    cases = {
        "ragged": "ticker,date\nMSFT,2025-09-11,oops\nMSFT,2025-09-11,,\nAAPL,bad\nMSFT\n",
        "blank_header": "ticker,,date\nMSFT,x,2025-09-11\n",
        "blank_header_empty": "ticker,,date\nMSFT,,2025-09-11\n",
        "header_only": "ticker,date\n",
        "only_ragged": "ticker,date\nMSFT,2025-09-11,x\n",
        "dupes": "event_id,ticker,date\na,MSFT,2025-09-11\n a ,MSFT,2025-09-12\na,X,bad\n",
        "reserved": "ticker,date,day0,Status\nMSFT,2025-09-11,x,y\n",
        "missing": "Ticker,day\nMSFT,2025-09-11\n",
        "semicolons": "ticker;date;timing\nMSFT;2025-09-11;amc\nmc.pa;2025-09-11T16:00Z;\n",
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(text)
        same(path)


def test_dataframe_layout_problems_give_identical_issues() -> None:
    same(pd.DataFrame(columns=["ticker", "date"]))
    same(pd.DataFrame({"ticker": ["MSFT"], "": ["x"], "date": ["2025-09-11"]}))
    same(pd.DataFrame({"ticker": ["MSFT"], "": [None], "date": ["2025-09-11"]}))
    same(pd.DataFrame([["MSFT", "2025-09-11", "2025-09-12"]], columns=["ticker", "date", "Date"]))
    same(pd.DataFrame())


# --------------------------------------------------------------------------- properties

_DATE_FORMS = st.sampled_from(
    [
        "{d}",
        "{d}T{t}",
        "{d} {t}",
        "{d}T{t}Z",
        "{d}T{t}{o}",
        "{d}t{t}z",
        " {d} ",
        "{d}T{t}:07",
        "{d}T{t}.25Z",
        "{d}x",
    ]
)
_DAY = st.dates(min_value=dt.date(1960, 1, 1), max_value=dt.date(2030, 12, 31))
_CLOCK = st.times().map(lambda t: t.strftime("%H:%M"))


@st.composite
def _row(draw: st.DrawFn) -> dict[str, str]:
    date = draw(_DATE_FORMS).format(
        d=draw(_DAY).isoformat(), t=draw(_CLOCK), o=draw(st.sampled_from(OFFSETS))
    )
    return {
        "event_id": draw(st.sampled_from(["", "", "", "a", "b", "MSFT_2025-09-11"])),
        "ticker": draw(st.sampled_from([*TICKERS, "", "MS FT", "ABC.XYZ", "^NOPE", "x" * 40])),
        "date": draw(
            st.one_of(
                st.just(date),
                st.sampled_from(SPECIAL_DAYS),
                st.text("0123456789-:TZ+ ", max_size=12),
            )
        ),
        "time": draw(
            st.one_of(st.sampled_from(TIMES), _CLOCK, st.text("0123456789: ", max_size=6))
        ),
        "timing": draw(st.sampled_from([*TIMINGS, "soon", "After-Hours", "PRE MARKET"])),
        "benchmark": draw(st.sampled_from(["", "", "^gspc", "S&P", "^FTSE"])),
    }


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_row(), min_size=1, max_size=8), st.booleans())
def test_vectorised_equals_rowwise(rows: list[dict[str, str]], as_str: bool) -> None:
    frame = pd.DataFrame(rows, dtype=object)
    same(frame.astype("str") if as_str else frame)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_row(), min_size=1, max_size=8))
def test_vectorised_equals_rowwise_valid_rows_only(rows: list[dict[str, str]]) -> None:
    """The same rows with the invalid ones dropped, so that the outputs are compared."""
    valid = _valid_only(pd.DataFrame(rows, dtype=object))
    valid = valid[~(valid["event_id"].ne("") & valid["event_id"].duplicated())]
    if len(valid):
        assert same(valid) is not None
