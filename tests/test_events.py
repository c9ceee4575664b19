"""Loading and validating the events table (INTERFACE.md, events.csv)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventstudy.errors import EventsFileError, InputError, InputIssue
from eventstudy.events import (
    DATAFRAME_SOURCE,
    OUTPUT_COLUMNS,
    load_events,
    sanitize_event_id,
    unique_file_stems,
)

TS = pd.Timestamp


def write(tmp_path: Path, text: str, name: str = "events.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def issues_of(source: object, **kwargs: object) -> list[InputIssue]:
    with pytest.raises(EventsFileError) as info:
        load_events(source, **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, InputError)
    assert info.value.exit_code == 2
    return info.value.issues


def one_issue(source: object, line: int | None, column: str | None, pattern: str) -> InputIssue:
    """The single issue raised, checked for its place and message (text included)."""
    issues = issues_of(source)
    assert len(issues) == 1, issues
    issue = issues[0]
    assert (issue.line, issue.column) == (line, column), issue
    assert re.search(pattern, issue.message), issue.message
    text = str(issue)
    if line is not None:
        assert f"line {line}" in text
    if column is not None:
        assert f"column '{column}'" in text
    return issue


# --------------------------------------------------------------------------- good tables


def test_load_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        (
            " Ticker , DATE ,Time,TIMING,Sector,description\n"
            " msft , 2025-09-11 ,,AMC,tech, OpenAI deal \n"
            "MC.PA,2025-09-11T16:00:00Z,,,luxury,\n"
            "MSFT,2025-09-11,10:00,,tech,same day\n"
            "7203.T,2025-09-13,,bmo,auto,Saturday\n"
        ),
        bom=True,
    )
    events = load_events(path)
    assert list(events.columns) == [*OUTPUT_COLUMNS, "Sector"]
    assert events["event_id"].tolist() == [
        "MSFT_2025-09-11",
        "MC.PA_2025-09-11",
        "MSFT_2025-09-11_2",
        "7203.T_2025-09-13",
    ]
    assert events["ticker"].tolist() == ["MSFT", "MC.PA", "MSFT", "7203.T"]
    assert events["exchange"].tolist() == ["XNYS", "XPAR", "XNYS", "XTKS"]
    assert events["timing"].tolist() == ["after_close", "unknown", "unknown", "before_open"]
    assert events["time"].tolist() == ["", "18:00", "10:00", ""]
    assert events["day0"].tolist() == [
        TS("2025-09-12"),
        TS("2025-09-12"),
        TS("2025-09-11"),
        TS("2025-09-16"),
    ]
    assert events["day0"].dtype == np.dtype("datetime64[ns]")
    assert events["line"].tolist() == [2, 3, 4, 5]
    assert events["benchmark"].tolist() == ["^GSPC", "^FCHI", "^GSPC", "^N225"]
    assert set(events["benchmark_source"]) == {"exchange default"}
    assert events["description"].tolist() == ["OpenAI deal", "", "same day", "Saturday"]
    assert events["Sector"].tolist() == ["tech", "luxury", "tech", "auto"]
    assert events.loc[1, "announced"].startswith("2025-09-11 18:00 Europe/Paris")
    assert "after the close" in events.loc[0, "day0_rule"]


def test_string_columns_are_strings(tmp_path: Path) -> None:
    events = load_events(write(tmp_path, "ticker,date,code\nMSFT,2025-09-11,007\n"))
    assert events.loc[0, "code"] == "007"
    for col in ["event_id", "ticker", "date", "time", "timing", "announced", "code"]:
        assert pd.api.types.is_string_dtype(events[col]), col
    assert events["line"].dtype == np.dtype("int64")


def test_given_ids_benchmark_and_semicolons(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        (
            "Event_ID;ticker;date;benchmark\n"
            "deal;MSFT;2025-09-11;^ndx\n"
            ";MSFT;2025-09-11;\n"
            "MSFT_2025-09-11;AAPL;2025-09-12;\n"
        ),
    )
    events = load_events(path)
    # A derived id never takes an id given elsewhere in the file.
    assert events["event_id"].tolist() == ["deal", "MSFT_2025-09-11_2", "MSFT_2025-09-11"]
    assert events["benchmark"].tolist() == ["^NDX", "^GSPC", "^GSPC"]
    assert events["benchmark_source"].tolist() == [
        "events file",
        "exchange default",
        "exchange default",
    ]


def test_blank_lines_and_short_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ticker,date,timing,description\n\nMSFT,2025-09-11\n,,,\n"
        'AAPL,2025-09-11,amc,"two\nlines"\nIBM,2025-09-11,bmo\n',
    )
    events = load_events(path)
    assert events["ticker"].tolist() == ["MSFT", "AAPL", "IBM"]
    assert events["line"].tolist() == [3, 5, 7]
    assert events.loc[1, "description"] == "two\nlines"


def test_dataframe_input() -> None:
    frame = pd.DataFrame(
        {
            "Ticker": ["MSFT", "SAP.DE"],
            "Date": [TS("2025-09-11"), TS("2025-09-11 20:30", tz="UTC")],
            "timing": [None, np.nan],
            "weight": [1.5, 2],
        }
    )
    events = load_events(frame)
    assert events["day0"].tolist() == [TS("2025-09-11"), TS("2025-09-12")]
    assert events["line"].tolist() == [2, 3]
    assert events["time"].tolist() == ["", "22:30"]
    assert events["weight"].tolist() == ["1.5", "2.0"]


def test_dataframe_issue_lines_are_row_position_plus_two() -> None:
    frame = pd.DataFrame({"ticker": ["MSFT", "MSFT"], "date": ["2025-09-11", "nope"]})
    issue = one_issue(frame, 3, "date", "'nope' is not a date")
    assert issue.source == DATAFRAME_SOURCE
    assert issues_of(frame, name="my events")[0].source == "my events"


# --------------------------------------------------------------------------- file problems


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    issue = one_issue(path, None, None, "file not found")
    assert str(path) in issue.message


def test_empty_file(tmp_path: Path) -> None:
    one_issue(write(tmp_path, ""), 1, None, "empty: no events")


def test_header_only(tmp_path: Path) -> None:
    one_issue(write(tmp_path, "ticker,date\n"), 2, None, "no events")
    one_issue(pd.DataFrame(columns=["ticker", "date"]), 2, None, "no events")


def test_missing_required_column(tmp_path: Path) -> None:
    issue = one_issue(
        write(tmp_path, "Ticker,day,time\nMSFT,2025-09-11,\n"),
        1,
        "date",
        "required column 'date' is missing",
    )
    assert "found columns: Ticker, day, time" in issue.message


def test_duplicate_columns(tmp_path: Path) -> None:
    one_issue(
        write(tmp_path, "ticker,date,Date\nMSFT,2025-09-11,2025-09-12\n"),
        1,
        "Date",
        r"appears more than once \(columns 2 and 3\)",
    )


def test_reserved_column(tmp_path: Path) -> None:
    one_issue(
        write(tmp_path, "ticker,date,day0\nMSFT,2025-09-11,x\n"), 1, "day0", "written by the tool"
    )


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("ticker,date,description\nMSFT,2025-09-11,Soci\xe9t\xe9\n".encode("latin-1"))
    one_issue(path, None, None, "not UTF-8")


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    one_issue(
        write(tmp_path, "ticker,date\nMSFT,2025-09-11,oops\n"),
        2,
        None,
        "3 fields but the header has 2",
    )


# --------------------------------------------------------------------------- row problems


@pytest.mark.parametrize(
    ("row", "column", "pattern"),
    [
        (",2025-09-11,,", "ticker", "ticker is blank"),
        ("MS FT,2025-09-11,,", "ticker", "'MS FT' is not a ticker: it contains a space"),
        ("MSFT$,2025-09-11,,", "ticker", r"contains '\$'"),
        ("MS/FT,2025-09-11,,", "ticker", "contains '/'"),
        (
            "ABC.XYZ,2025-09-11,,",
            "ticker",
            r"unknown exchange suffix '\.XYZ'.*known suffixes: \.PA",
        ),
        ("^NOPE,2025-09-11,,", "ticker", "unknown index symbol"),
        ("MSFT,,,", "date", "date is blank; expected YYYY-MM-DD"),
        (
            "MSFT,2025-13-45,,",
            "date",
            "'2025-13-45' is not a date; expected YYYY-MM-DD or an ISO date-time",
        ),
        ("MSFT,11/09/2025,,", "date", "is not a date"),
        ("MSFT,2025-09-11,4pm,", "time", "'4pm' is not a time; expected HH:MM"),
        ("MSFT,2025-09-11,25:00,", "time", "is not a time"),
        (
            "MSFT,2025-09-11,,soon",
            "timing",
            "unknown timing 'soon'; expected one of before_open, during_market, after_close",
        ),
        ("MSFT,2025-09-11,17:00,before_open", "timing", "contradicts time 17:00"),
        ("MSFT,2025-09-11,12:00,amc", "timing", "'after_close' contradicts time 12:00"),
        ("MSFT,1960-01-04,,", "date", "outside the XNYS calendar"),
        ("MSFT,2099-01-02,,", "date", "outside the XNYS calendar"),
        ("MSFT,2025-09-11T20:30Z,15:00,", "time", "disagrees"),
    ],
)
def test_bad_row(tmp_path: Path, row: str, column: str, pattern: str) -> None:
    path = write(tmp_path, f"ticker,date,time,timing\nMSFT,2025-09-11,,\n{row}\n")
    issue = one_issue(path, 3, column, pattern)
    assert issue.source == str(path)


def test_bad_benchmark(tmp_path: Path) -> None:
    one_issue(
        write(tmp_path, "ticker,date,benchmark\nMSFT,2025-09-11,S&P 500\n"),
        2,
        "benchmark",
        "contains a space",
    )


def test_duplicate_event_id_names_both_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path, "event_id,ticker,date\na,MSFT,2025-09-11\nb,MSFT,2025-09-12\na,AAPL,2025-09-11\n"
    )
    issue = one_issue(path, 4, "event_id", "duplicate event_id 'a'")
    assert "lines 2 and 4" in issue.message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        (
            "event_id,ticker,date,time,timing\n"
            "x,MS FT,2025-13-45,25:00,soon\n"
            "x,ABC.XYZ,2025-09-11,,\n"
            "y,MSFT,2025-09-11,17:00,bmo\n"
            "z,MSFT,2025-09-11,,\n"
        ),
    )
    with pytest.raises(EventsFileError) as info:
        load_events(path)
    found = [(i.line, i.column) for i in info.value.issues]
    assert found == [
        (2, "ticker"),
        (2, "date"),
        (2, "time"),
        (2, "timing"),
        (3, "ticker"),
        (3, "event_id"),
        (4, "timing"),
    ]
    assert "and 6 more problem(s)" in str(info.value)


# --------------------------------------------------------------------------- file stems


@pytest.mark.parametrize(
    ("event_id", "stem"),
    [
        ("MSFT_2025-09-11", "MSFT_2025-09-11"),
        ("MC.PA_2025-09-11", "MC.PA_2025-09-11"),
        ("a/b\\c", "a_b_c"),
        ("deal: OpenAI & MSFT", "deal_OpenAI_MSFT"),
        ("Société Générale", "Societe_Generale"),
        ("..", "event"),
        (".", "event"),
        ("", "event"),
        ("...hidden", "hidden"),
        ("-rf", "rf"),
        ("trailing.", "trailing"),
        ("CON", "_CON"),
        ("nul.txt", "_nul.txt"),
        ("x" * 300, "x" * 100),
        ("日本", "_"),
    ],
)
def test_sanitize_event_id(event_id: str, stem: str) -> None:
    assert sanitize_event_id(event_id) == stem


def test_unique_file_stems_case_and_punctuation() -> None:
    stems = unique_file_stems(["A/B", "a_b", "a-b", "MSFT", "MSFT", "msft", "other"])
    assert set(stems) == {"A/B", "a_b", "a-b", "MSFT", "msft", "other"}
    assert stems["other"] == "other" and stems["a-b"] == "a-b"
    assert re.fullmatch(r"A_B-[0-9a-f]{8}", stems["A/B"])
    assert re.fullmatch(r"a_b-[0-9a-f]{8}", stems["a_b"])
    assert re.fullmatch(r"MSFT-[0-9a-f]{8}", stems["MSFT"])
    lowered = [s.lower() for s in stems.values()]
    assert len(set(lowered)) == len(lowered)


def test_unique_file_stems_is_stable_and_order_free() -> None:
    ids = ["A/B", "a_b", "x", "X"]
    assert unique_file_stems(ids) == unique_file_stems(list(reversed(ids)))


def test_unique_file_stems_hash_cannot_be_forged() -> None:
    first = unique_file_stems(["a/b", "a_b"])
    forged = first["a/b"]
    stems = unique_file_stems(["a/b", "a_b", forged])
    lowered = [s.lower() for s in stems.values()]
    assert len(set(lowered)) == 3


_SAFE = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,99}")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(min_size=0, max_size=150), max_size=20))
def test_unique_file_stems_properties(ids: list[str]) -> None:
    stems = unique_file_stems(ids)
    assert set(stems) == set(ids)
    lowered = [s.lower() for s in stems.values()]
    assert len(set(lowered)) == len(lowered)
    for stem in stems.values():
        assert _SAFE.fullmatch(stem), stem
        assert stem not in {".", ".."} and not stem.endswith(".")


# ------------------------------------------------------------ issue 8: no silent change


def test_unterminated_quote_is_an_error_on_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ticker,date,description\nMSFT,2019-07-22,first\n"
        'MSFT,2025-09-11,"MOU with OpenAI\nMSFT,2023-01-23,third phase\n',
    )
    one_issue(path, 3, None, "unterminated quote")


def test_multiline_quoted_field_is_one_record(tmp_path: Path) -> None:
    path = write(
        tmp_path, 'ticker,date,description\nMSFT,2025-09-11,"two\nlines"\nMSFT,2023-01-23,x\n'
    )
    ev = load_events(path)
    assert list(ev["description"]) == ["two\nlines", "x"]
    assert list(ev["line"]) == [2, 4]


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\u0085", "\x0c", "\x0b", "\x1c", "\x1e"])
def test_unicode_line_separators_stay_inside_their_field(tmp_path: Path, sep: str) -> None:
    path = write(
        tmp_path, f"ticker,date,description\nMSFT,2025-09-11,before{sep}after\nMSFT,2023-01-23,x\n"
    )
    ev = load_events(path)
    assert len(ev) == 2
    assert ev["description"].iloc[0] == f"before{sep}after"
    assert list(ev["line"]) == [2, 3]


def test_every_leading_bom_is_stripped(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbfevent_id,ticker,date\ne1,MSFT,2025-09-11\n")
    ev = load_events(path)
    assert list(ev["event_id"]) == ["e1"]
    assert "\ufeffevent_id" not in ev.columns


@pytest.mark.parametrize(
    "name",
    [
        "status",
        "Sigma",
        "reason",
        "alpha",
        "beta",
        "data_flags",
        "n_est",
        "r2",
        "model",
        "b_mkt_rf",
        "mu",
    ],
)
def test_output_column_names_are_refused_not_dropped(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, f"ticker,date,{name}\nMSFT,2025-09-11,x\n")
    one_issue(path, 1, name, f"rename it \\(e.g. 'user_{name.lower()}'\\)")


def test_same_ticker_and_day0_twice_is_reported_by_name() -> None:
    from eventstudy.duplicates import describe_duplicates, duplicate_events

    ev = load_events(
        pd.DataFrame(
            {
                "event_id": ["thu", "fri", "other", "later"],
                "ticker": ["MSFT", "MSFT", "AAPL", "MSFT"],
                "date": ["2025-09-11", "2025-09-11", "2025-09-11", "2025-09-15"],
                "timing": ["after_close", "amc", "after_close", "before_open"],
            }
        )
    )
    groups = duplicate_events(ev)
    assert groups == [("thu", "fri")]
    (text,) = describe_duplicates(ev, groups)
    assert "'thu', 'fri'" in text and "2025-09-12" in text and "MSFT" in text


def test_many_duplicate_groups_are_named_then_summarised() -> None:
    """Groups equal a plain dictionary grouping; beyond NAMED, one summary sentence."""
    from eventstudy.duplicates import NAMED, describe_duplicates, duplicate_events

    rng = np.random.default_rng(3)
    n = 400
    days = pd.bdate_range("2024-01-02", periods=30)
    ev = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(n)],
            "ticker": rng.choice(["A", "B", "C"], n),
            "day0": days[rng.integers(0, len(days), n)],
            "line": rng.permutation(n) + 2,
        }
    )
    by_key: dict[tuple[str, pd.Timestamp], list[tuple[int, str]]] = {}
    for r in ev.itertuples(index=False):
        by_key.setdefault((r.ticker, r.day0), []).append((r.line, r.event_id))
    expected = sorted((sorted(v) for v in by_key.values() if len(v) > 1), key=lambda g: g[0][0])
    groups = duplicate_events(ev)
    assert groups == [tuple(i for _, i in g) for g in expected]
    text = describe_duplicates(ev, groups)
    assert len(groups) > NAMED and len(text) == NAMED + 1
    assert str(len(groups) - NAMED) in text[-1]
