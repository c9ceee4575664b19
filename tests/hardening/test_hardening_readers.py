"""Fuzzed price files and batch configs: a result or one clear message (exit 2)."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventstudy.cli import main
from tests.conftest import ROOT, SAMPLE_PRICES

FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
cell = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12),
    st.sampled_from(["nan", "inf", "-inf", "1e308", "-0", "=1+1", "9999-12-31", "0000-00-00"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@FUZZ
@given(st.lists(st.lists(cell, min_size=2, max_size=3), min_size=1, max_size=6))
def test_fuzzed_price_rows_give_a_result_or_exit_2(tmp_path, rows):
    folder = tmp_path / "p"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    good = (SAMPLE_PRICES / "MSFT.csv").read_text().splitlines()
    lines = good[:200] + [",".join('"' + c.replace('"', '""') + '"' for c in r) for r in rows]
    (folder / "MSFT.csv").write_text("\n".join(lines) + "\n" + "\n".join(good[200:]) + "\n")
    shutil.copy(SAMPLE_PRICES / "GSPC.csv", folder / "GSPC.csv")
    ev = tmp_path / "e.csv"
    ev.write_text("event_id,ticker,date,timing,benchmark\ne,MSFT,2025-09-11,after_close,^GSPC\n")
    r = CliRunner().invoke(
        main,
        [
            "run",
            str(ev),
            "--prices",
            str(folder),
            "-q",
            "--format",
            "csv",
            "--out",
            str(tmp_path / "o"),
        ],
        catch_exceptions=False,
    )
    assert r.exit_code in (0, 1, 2), r.output
    assert "unexpected" not in r.output.replace("unexpected end of data", "")
    assert "Traceback" not in r.output
    if r.exit_code == 0:
        assert (tmp_path / "o" / "car.csv").exists()


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "model",
                "event_window",
                "car_windows",
                "min_estimation",
                "formats",
                "benchmark",
                "return_type",
                "estimation_window",
                "bogus",
            ]
        ),
        st.one_of(
            st.integers(-(2**70), 2**70).map(str),
            st.text(max_size=10).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
            st.just("[0, 1]"),
            st.just("[[0, 0], [-1, 1]]"),
            st.just("true"),
            st.just("{}"),
            st.just("[1e400, 2]"),
        ),
        max_size=4,
    )
)
def test_fuzzed_batch_configs_give_a_result_or_exit_2(tmp_path, keys):
    body = "\n".join(f"{k} = {v}" for k, v in keys.items())
    f = tmp_path / "b.toml"
    f.write_text(
        f'[studies.a]\nevents = "{ROOT / "events.csv"}"\noutput = "{tmp_path / "o"}"\n'
        f'prices = "{SAMPLE_PRICES}"\n{body}\n'
    )
    for extra in (["--dry-run"], []):
        r = CliRunner().invoke(main, ["batch", str(f), *extra], catch_exceptions=False)
        assert r.exit_code in (0, 1, 2), r.output
        assert "unexpected" not in r.output.replace("unexpected end of data", "")
        assert "Traceback" not in r.output


def _long_file(path, tickers=30, days=400, bad_line=None):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    dates = pd.bdate_range("2020-01-01", periods=days).strftime("%Y-%m-%d")
    rows = ["date,ticker,adj_close,close,volume"]
    for t in range(tickers):
        price = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, days)))
        rows += [
            f"{d},T{t:02d},{p:.6f},{p:.6f},{1000 + t}" for d, p in zip(dates, price, strict=True)
        ]
    rows.insert(len(rows) // 2, "")  # a blank line: line numbers must still count it
    if bad_line is not None:
        rows[bad_line - 1] = rows[bad_line - 1].replace(",T", ",T", 1).rsplit(",", 3)[0] + ",x,1,1"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_read_in_chunks_gives_what_one_read_gives(tmp_path, monkeypatch):
    """Large CSVs are validated chunk by chunk (memory: one chunk of text); the
    result, notes and line numbers are those of one read."""
    import datetime as dt

    import pandas as pd

    from eventstudy.data import files

    path = _long_file(tmp_path / "long.csv")
    start, end = dt.date(2020, 1, 1), dt.date(2022, 1, 1)
    whole = files.FilePriceProvider(path).get_prices(["T03", "T17", "T29"], start, end)
    monkeypatch.setattr(files, "CSV_CHUNK_ROWS", 997)  # 12 chunks, one cut mid-ticker
    parts = files.FilePriceProvider(path).get_prices(["T03", "T17", "T29"], start, end)
    for t in ("T03", "T17", "T29"):
        pd.testing.assert_frame_equal(parts.frames[t], whole.frames[t])
    assert parts.notes == whole.notes and parts.missing == whole.missing

    bad = _long_file(tmp_path / "bad.csv", bad_line=9001)  # in the 10th chunk
    import pytest

    from eventstudy.errors import PricesFileError

    with pytest.raises(PricesFileError, match=r"bad\.csv, line 9001, column 'adj_close': 'x'"):
        files.FilePriceProvider(bad).get_prices(["T00"], start, end)


def test_binary_sparse_and_one_line_files_are_refused_before_parsing(tmp_path):
    """A 200 MB sparse file (all NUL bytes) and a file of one 2 MB line were parsed as
    one huge CSV field (about 5x the file in memory); they are refused by a byte scan."""
    import pytest

    from eventstudy.data.files import FilePriceProvider
    from eventstudy.errors import PricesFileError

    sparse = tmp_path / "sparse.csv"
    with open(sparse, "wb") as fh:
        fh.write(b"date,ticker,adj_close\n2025-01-02,A,1\n")
        fh.truncate(200 << 20)  # a hole: no disk used
    with pytest.raises(PricesFileError, match=r"line 3: binary data \(a NUL byte at byte 37\)"):
        FilePriceProvider(sparse).get_prices(["A"], "2025-01-01", "2025-02-01")
    long = tmp_path / "long.csv"
    long.write_text("date,ticker,adj_close\n2025-01-02,A," + "1" * (2 << 20) + "\n")
    with pytest.raises(PricesFileError, match="line 2: a line longer than 1,048,576 bytes"):
        FilePriceProvider(long).get_prices(["A"], "2025-01-01", "2025-02-01")
    r = CliRunner().invoke(
        main,
        ["run", str(ROOT / "events.csv"), "--prices", str(sparse), "--out", str(tmp_path / "o")],
    )
    assert r.exit_code == 2 and "binary data" in r.output


def test_dates_beyond_the_timestamp_range_are_named(tmp_path):
    """Found by the price-row fuzzing: year 0 or 9999 overflowed the nanosecond
    timestamps (an unexpected OutOfBoundsDatetime, exit 1)."""
    import pytest

    from eventstudy.data.files import FilePriceProvider
    from eventstudy.errors import PricesFileError

    for day in ("0000-01-01", "1500-06-30", "9999-12-31"):
        f = tmp_path / "FAR.csv"
        f.write_text(f"Date,Adj Close\n2025-01-02,2\n{day},1\n")
        with pytest.raises(PricesFileError, match=f"line 3, column 'Date': '{day}' is outside"):
            FilePriceProvider(f).get_prices(["FAR"], "2025-01-01", "2025-02-01")


def test_the_line_length_scan_counts_lines_across_its_blocks(tmp_path, monkeypatch):
    """A line split over several 7-byte read blocks is measured exactly: the limit
    itself passes, one byte more is refused (with its line)."""
    import pytest

    from eventstudy.data import files
    from eventstudy.errors import PricesFileError

    monkeypatch.setattr(files, "_SCAN_BLOCK", 7)
    monkeypatch.setenv("EVENTSTUDY_LIMIT_PRICE_LINE_BYTES", "30")
    f = tmp_path / "p.csv"
    f.write_bytes(b"ab\n" + b"x" * 30 + b"\ncd\n")
    files._scan_bytes(f)
    f.write_bytes(b"ab\n" + b"x" * 31 + b"\ncd\n")
    with pytest.raises(PricesFileError, match="line 2: a line longer than 30 bytes"):
        files._scan_bytes(f)
