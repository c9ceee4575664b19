"""Tests of :mod:`eventstudy.data.files`: long, wide and folder sources, bad input."""

from __future__ import annotations

import datetime as dt
import gzip
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eventstudy.data import files as files_module
from eventstudy.data.base import PriceProvider, PriceSet
from eventstudy.data.files import FilePriceProvider
from eventstudy.errors import DataQualityWarning, InputError, PricesFileError

CORPUS = Path(__file__).parent / "corpus" / "prices"
REAL_PRICES = Path(__file__).resolve().parents[2] / "shared" / "data" / "prices"
REAL_UNIVERSE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "universe"
    / "sp500_5yr_2013_2018.csv.gz"
)
START, END = dt.date(2000, 1, 1), dt.date(2030, 12, 31)

#: corpus entry -> substrings the error message must contain (besides the file name).
EXPECTED: dict[str, tuple[str, ...]] = {
    "bad_date.csv": ("line 3", "column 'Date'", "'12/09/2025' is not a date", "YYYY-MM-DD"),
    "impossible_date.csv": ("line 3", "'2025-02-30' is not a date"),
    "empty_date.csv": ("line 3", "the date is empty"),
    "negative_price.csv": ("line 4", "column 'Adj Close'", "-3.5 is not positive", "> 0"),
    "zero_price.csv": ("line 3", "column 'adj_close'", "price 0 is not positive"),
    "non_numeric.csv": ("line 3", "column 'Close'", "'abc' is not a number"),
    "infinite_price.csv": ("line 3", "'inf' is not a number"),
    "no_date_column.csv": ("line 1", "no date column", "'when'", "'Date'"),
    "semicolon_separated.csv": ("no date column", "';'"),
    "empty.csv": ("the file is empty",),
    "blank_lines_only.csv": ("the file is empty",),
    "header_only.csv": ("line 1", "no data rows"),
    "duplicate_dates.csv": ("lines 3 and 4", "duplicate date 2025-09-11"),
    "no_price_column.csv": ("line 1", "no price column", "Adj Close", "Close"),
    "wide_non_numeric.csv": ("line 3", "column 'SPY'", "'x' is not a number", "wide form"),
    "wide_duplicate_ticker.csv": ("line 1", "'msft' appears twice"),
    "long_duplicate_rows.csv": ("lines 2 and 5", "duplicate rows for MSFT on 2025-09-10"),
    "empty_ticker.csv": ("line 3", "column 'ticker'", "ticker is empty"),
    "two_adj_close_columns.csv": ("'Adj Close' and 'adj_close' both mean adj_close",),
    "too_many_fields.csv": ("not a valid CSV", "line 3"),
    "not_utf8.csv": ("not UTF-8",),
    "unsupported.txt": ("unsupported file type '.txt'", ".csv"),
    "not_parquet.parquet": ("cannot be read as Parquet",),
    "empty_folder": ("no price files", "README.md"),
    "folder_bad_file": ("MSFT.csv", "line 4", "column 'Close'", "-1 is not positive"),
}


def write(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (parents created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def get(path: Path, tickers: list[str], start: dt.date = START, end: dt.date = END) -> PriceSet:
    """Prices from a fresh provider, with data-quality warnings ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return FilePriceProvider(path).get_prices(tickers, start, end)


def assert_frame_layout(frame: pd.DataFrame) -> None:
    """The layout PriceSet documents: date index, float columns, adj_close first."""
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "date"
    assert frame.index.tz is None
    assert frame.index.dtype == np.dtype("datetime64[ns]")
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert (frame.index == frame.index.normalize()).all()
    assert frame.columns[0] == "adj_close"
    assert all(dtype == np.dtype("float64") for dtype in frame.dtypes)
    assert not any(c.startswith("_") for c in frame.columns)


# --------------------------------------------------------------------------- bad input


def test_corpus_covers_every_file() -> None:
    assert {p.name for p in CORPUS.iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_input_raises_one_clear_line(name: str) -> None:
    with pytest.raises(PricesFileError) as info:
        FilePriceProvider(CORPUS / name).get_prices(["MSFT", "SPY"], START, END)
    message = str(info.value)
    assert "\n" not in message
    assert name in message
    for part in EXPECTED[name]:
        assert part in message, f"{part!r} not in {message!r}"
    assert isinstance(info.value, InputError) and info.value.exit_code == 2


def test_nonexistent_path(tmp_path: Path) -> None:
    with pytest.raises(PricesFileError, match="no such file or folder"):
        FilePriceProvider(tmp_path / "nowhere.csv")


def test_bad_line_number_counts_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path / "MSFT.csv", "Date,Close\n2025-09-10,1\n\n\n2025-09-11,oops\n")
    with pytest.raises(PricesFileError, match=r"line 5, column 'Close': 'oops'"):
        get(path, ["MSFT"])


def test_many_bad_values_are_counted(tmp_path: Path) -> None:
    path = write(tmp_path / "MSFT.csv", "Date,Close\n2025-09-10,a\n2025-09-11,b\n2025-09-12,c\n")
    with pytest.raises(PricesFileError, match=r"line 2.*'a'.*2 more rows with the same"):
        get(path, ["MSFT"])


def test_two_files_for_one_ticker(tmp_path: Path) -> None:
    write(tmp_path / "MSFT.csv", "Date,Close\n2025-09-10,1\n")
    write(tmp_path / "msft.csv.gz", "Date,Close\n2025-09-10,1\n")
    with pytest.raises(PricesFileError, match="both hold MSFT"):
        get(tmp_path, ["MSFT"])


# --------------------------------------------------------------------------- long form


def test_long_form_aliases_and_order(tmp_path: Path) -> None:
    path = write(
        tmp_path / "prices.csv",
        (
            "Symbol,DATE,Adj Close,close,Volume\n"
            "MSFT,2025-09-11,501.0,502.0,10\n"
            "spy,2025-09-10,652.21,653,20\n"
            "MSFT,2025-09-10,500.0,501.0,30\n"
        ),
    )
    prices = get(path, ["MSFT", "SPY", "NVDA"])
    msft = prices.frames["MSFT"]
    assert_frame_layout(msft)
    assert list(msft.columns) == ["adj_close", "close", "volume"]
    assert msft["adj_close"].tolist() == [500.0, 501.0]
    assert msft["close"].tolist() == [501.0, 502.0]
    assert prices.return_column == {"MSFT": "Adj Close", "SPY": "Adj Close"}
    assert prices.frames["SPY"]["adj_close"].tolist() == [652.21]
    assert "'NVDA'" in prices.missing["NVDA"] and "add rows for NVDA" in prices.missing["NVDA"]
    assert set(prices.frames) == {"MSFT", "SPY"}


def test_long_form_name_column_gzip_close_only(tmp_path: Path) -> None:
    path = tmp_path / "universe.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(
            "date,open,high,low,close,volume,Name\n"
            "2013-02-08,45.07,45.35,45.0,45.08,1824755,A\n"
            "2013-02-11,,,,44.6,2915405,A\n"
            "2013-02-08,10,11,9,10.5,100,NA\n"
        )
    prices = get(path, ["A", "NA"])
    assert prices.return_column == {"A": "close", "NA": "close"}
    assert prices.frames["A"]["adj_close"].tolist() == [45.08, 44.6]
    assert np.isnan(prices.frames["A"]["open"].iloc[1])
    assert any("no adjusted close" in note for note in prices.notes["A"])
    assert prices.frames["NA"]["close"].tolist() == [10.5]


def test_long_form_adj_close_empty_for_one_ticker_falls_back_to_close(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv", ("date,ticker,adj_close,close\n2025-09-10,A,1.5,2\n2025-09-10,B,,3\n")
    )
    prices = get(path, ["A", "B"])
    assert prices.return_column == {"A": "adj_close", "B": "close"}
    assert prices.frames["B"]["adj_close"].tolist() == [3.0]


def test_date_range_is_inclusive(tmp_path: Path) -> None:
    rows = "".join(f"2025-09-{d:02d},MSFT,{100 + d}\n" for d in range(8, 13))
    path = write(tmp_path / "p.csv", "date,ticker,adj_close\n" + rows)
    prices = get(path, ["MSFT"], dt.date(2025, 9, 9), dt.date(2025, 9, 11))
    assert prices.frames["MSFT"]["adj_close"].tolist() == [109.0, 110.0, 111.0]


def test_empty_price_rows_are_dropped_noted_and_warned(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.csv",
        (
            "date,ticker,adj_close\n2025-09-10,MSFT,1\n2025-09-11,MSFT,\n"
            "2025-09-12,MSFT,null\n2025-09-15,MSFT,2\n"
        ),
    )
    with pytest.warns(DataQualityWarning, match="2 rows"):
        prices = FilePriceProvider(path).get_prices(["MSFT"], START, END)
    assert len(prices.frames["MSFT"]) == 2
    assert any(
        "2 rows with an empty adj_close" in n and "lines 3, 4" in n for n in prices.notes["MSFT"]
    )


def test_no_rows_in_range_is_missing_with_the_range_held(tmp_path: Path) -> None:
    path = write(tmp_path / "MSFT.csv", "Date,Close\n2025-09-10,1\n2025-09-11,2\n")
    prices = get(path, ["MSFT"], dt.date(2020, 1, 1), dt.date(2020, 12, 31))
    assert "MSFT" not in prices.frames
    reason = prices.missing["MSFT"]
    assert "'MSFT' from 2020-01-01 to 2020-12-31" in reason
    assert "it has 2025-09-10 to 2025-09-11" in reason


def test_iso_datetimes_keep_the_local_date(tmp_path: Path) -> None:
    path = write(
        tmp_path / "MSFT.csv",
        (
            "Date,Close\n2025-03-07 00:00:00-05:00,1\n2025-03-10 00:00:00-04:00,2\n"
            "2025-03-11T16:00:00Z,3\n"
        ),
    )
    index = get(path, ["MSFT"]).frames["MSFT"].index
    days = [pd.Timestamp(d).date().isoformat() for d in index]
    assert days == ["2025-03-07", "2025-03-10", "2025-03-11"]


def test_non_positive_open_is_blanked_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path / "MSFT.csv", "Date,Open,Close\n2025-09-10,0,1\n2025-09-11,1,2\n")
    prices = get(path, ["MSFT"])
    assert np.isnan(prices.frames["MSFT"]["open"].iloc[0])
    assert any("blanked" in n and "line 2" in n for n in prices.notes["MSFT"])


# --------------------------------------------------------------------------- wide form


def test_wide_form(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wide.csv", ("date,MSFT,^GSPC,OPEN\n2025-09-10,500,6500,5\n2025-09-11,501,,6\n")
    )
    prices = get(path, ["MSFT", "^gspc", "open", "NVDA"])
    assert list(prices.frames["MSFT"].columns) == ["adj_close"]
    assert_frame_layout(prices.frames["MSFT"])
    assert prices.frames["^gspc"]["adj_close"].tolist() == [6500.0]
    assert prices.frames["open"]["adj_close"].tolist() == [5.0, 6.0]
    assert prices.return_column["MSFT"] == "adj_close"
    assert "add a NVDA column" in prices.missing["NVDA"]
    assert any("line 3" in n for n in prices.notes["^gspc"])


def test_wide_form_written_by_pandas(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"MSFT": [500.0, 501.0]}, index=pd.to_datetime(["2025-09-10", "2025-09-11"])
    )
    frame.to_csv(tmp_path / "wide.csv")  # header ",MSFT": unnamed date column
    assert get(tmp_path / "wide.csv", ["MSFT"]).frames["MSFT"]["adj_close"].sum() == 1001.0


# --------------------------------------------------------------------------- folders


def test_folder_per_ticker_exports(tmp_path: Path) -> None:
    write(
        tmp_path / "msft.CSV",
        ("Date,Open,High,Low,Close,Adj Close,Volume\n2025-09-10,1,2,0.5,1.5,1.4,100\n"),
    )
    write(tmp_path / "GSPC.csv", "Date,Close\n2025-09-10,6500\n")
    write(tmp_path / "notes.md", "not a price file\n")
    provider = FilePriceProvider(tmp_path)
    assert isinstance(provider, PriceProvider)
    assert provider.description == f"files: {tmp_path.resolve()} (folder of per-ticker CSV)"
    prices = provider.get_prices(["MSFT", "^GSPC", "NVDA", "^IXIC"], START, END)
    assert list(prices.frames["MSFT"].columns) == [
        "adj_close",
        "close",
        "open",
        "high",
        "low",
        "volume",
    ]
    assert prices.return_column == {"MSFT": "Adj Close", "^GSPC": "Close"}
    assert prices.frames["^GSPC"]["close"].tolist() == [6500.0]
    reason = prices.missing["NVDA"]
    assert "'NVDA'" in reason and "GSPC.csv, msft.CSV" in reason and "add NVDA.csv" in reason
    assert "drop --prices" in reason
    assert "IXIC.csv" in prices.missing["^IXIC"]
    assert prices.source == provider.description


def test_caret_file_is_preferred(tmp_path: Path) -> None:
    write(tmp_path / "GSPC.csv", "Date,Close\n2025-09-10,1\n")
    write(tmp_path / "^GSPC.csv", "Date,Close\n2025-09-10,2\n")
    assert get(tmp_path, ["^GSPC"]).frames["^GSPC"]["adj_close"].tolist() == [2.0]


def test_folder_reads_only_needed_files_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "MSFT.csv", "Date,Close\n2025-09-10,1\n")
    write(tmp_path / "BAD.csv", "Date,Close\nnot-a-date,1\n")
    calls: list[str] = []
    real_read = files_module._read_parts

    def counting_read(path: Path) -> object:
        calls.append(path.name)
        return real_read(path)

    monkeypatch.setattr(files_module, "_read_parts", counting_read)
    provider = FilePriceProvider(tmp_path)
    provider.get_prices(["MSFT"], START, END)
    provider.get_prices(["MSFT"], dt.date(2025, 1, 1), END)
    assert calls == ["MSFT.csv"]
    with pytest.raises(PricesFileError, match=r"BAD\.csv, line 2"):
        provider.get_prices(["BAD"], START, END)


def test_parquet_per_ticker_with_tz_aware_index(tmp_path: Path) -> None:
    index = pd.DatetimeIndex(["2025-09-10", "2025-09-11"], name="Date").tz_localize(
        "America/New_York"
    )
    frame = pd.DataFrame({"Close": [1.0, 2.0], "Volume": [10, 20]}, index=index)
    frame.to_parquet(tmp_path / "MSFT.parquet")
    provider = FilePriceProvider(tmp_path)
    assert "Parquet" in provider.description
    out = provider.get_prices(["MSFT"], START, END).frames["MSFT"]
    assert_frame_layout(out)
    assert [pd.Timestamp(d).date().isoformat() for d in out.index] == ["2025-09-10", "2025-09-11"]
    assert out["volume"].tolist() == [10.0, 20.0]


def test_parquet_long_form_and_bad_value(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"date": ["2025-09-10", "2025-09-10"], "ticker": ["A", "B"], "adj_close": [1.0, -2.0]}
    )
    frame.to_parquet(tmp_path / "long.parquet")
    with pytest.raises(PricesFileError, match=r"long.parquet, row 2, column 'adj_close'"):
        get(tmp_path / "long.parquet", ["A"])
    frame.assign(adj_close=[1.0, 2.0]).to_parquet(tmp_path / "ok.parquet")
    assert get(tmp_path / "ok.parquet", ["B"]).frames["B"]["adj_close"].tolist() == [2.0]


def test_single_export_file_serves_its_ticker(tmp_path: Path) -> None:
    path = write(tmp_path / "GSPC.csv", "Date,Open,Close\n2025-09-10,1,2\n")
    provider = FilePriceProvider(path)
    assert provider.description == f"files: {path.resolve()} (CSV file)"
    prices = provider.get_prices(["^GSPC", "MSFT"], START, END)
    assert prices.frames["^GSPC"]["adj_close"].tolist() == [2.0]
    assert "'MSFT'" in prices.missing["MSFT"]
    assert provider.description.endswith("(single-ticker CSV for GSPC)")


# --------------------------------------------------------------------------- real data


@pytest.mark.skipif(not REAL_PRICES.is_dir(), reason=f"real price folder {REAL_PRICES} absent")
def test_real_price_folder() -> None:
    prices = get(REAL_PRICES, ["MSFT", "^GSPC", "NVDA"], dt.date(2025, 9, 1), dt.date(2025, 9, 30))
    msft = prices.frames["MSFT"]
    assert_frame_layout(msft)
    assert msft.loc["2025-09-12", "close"] == pytest.approx(509.90)
    assert msft.loc["2025-09-12", "adj_close"] == pytest.approx(509.90)
    assert prices.frames["^GSPC"].loc["2025-09-12", "close"] == pytest.approx(6584.29)
    assert prices.return_column == {"MSFT": "Close", "^GSPC": "Close"}
    assert "NVDA" in prices.missing["NVDA"] and "MSFT.csv" in prices.missing["NVDA"]
    assert len(msft) == 21


@pytest.mark.slow
@pytest.mark.skipif(not REAL_UNIVERSE.is_file(), reason=f"universe file {REAL_UNIVERSE} absent")
def test_real_universe_long_file() -> None:
    provider = FilePriceProvider(REAL_UNIVERSE)
    prices = provider.get_prices(["AAPL", "APTV", "^GSPC"], START, END)
    assert len(prices.frames["AAPL"]) == 1259
    assert prices.frames["APTV"].index[0] == pd.Timestamp("2017-12-05")
    assert "'^GSPC'" in prices.missing["^GSPC"]
    assert "long-form CSV, 505 tickers" in provider.description


@pytest.mark.parametrize("layout", ["long file", "folder"])
@pytest.mark.parametrize("n_tickers", [3, 5, 6, 12])
def test_rows_without_a_price_warn_per_ticker_or_once_for_many(
    tmp_path: Path, layout: str, n_tickers: int
) -> None:
    tickers = [f"T{k:02d}" for k in range(n_tickers)]
    body = "2025-09-10,{t},1\n2025-09-11,{t},\n2025-09-12,{t},2\n"
    if layout == "long file":
        path = tmp_path / "p.csv"
        path.write_text(
            "date,ticker,adj_close\n" + "".join(body.format(t=t) for t in tickers),
            encoding="utf-8",
        )
    else:
        path = tmp_path / "px"
        path.mkdir()
        for t in tickers:
            (path / f"{t}.csv").write_text(
                "Date,Adj Close\n2025-09-10,1\n2025-09-11,\n2025-09-12,2\n", encoding="utf-8"
            )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        prices = FilePriceProvider(path).get_prices(tickers, START, END)
    texts = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert all(len(prices.frames[t]) == 2 for t in tickers)
    assert all(any("1 row with an empty" in n for n in prices.notes[t]) for t in tickers)
    if n_tickers <= files_module.DROPPED_WARNINGS:
        assert sorted(x.split(":")[0] for x in texts) == tickers
    else:
        assert len(texts) == 1
        (text,) = texts
        assert text.startswith(f"{n_tickers} tickers have rows without a price")
        assert "T00 1 row (" in text and "line 3" in text
        assert f"and {n_tickers - files_module.DROPPED_WARNINGS} more" in text
        assert "T11" not in text
