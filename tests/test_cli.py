"""The command line: exit codes, one-line errors, outputs, the bad-input corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from eventstudy.cli import main
from tests.conftest import CORPUS, ROOT

EVENTS_CORPUS = CORPUS / "events"
PRICES_CORPUS = CORPUS / "prices"


def _expected(folder: Path) -> list[tuple[str, str]]:
    rows = []
    for line in (folder / "EXPECTED.tsv").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, needle = line.split("\t")
            rows.append((name, needle))
    return rows


def invoke(*args: str):
    return CliRunner(env={"COLUMNS": "250"}).invoke(main, list(args), catch_exceptions=False)


def assert_clean_error(result, needle: str, source: str) -> None:
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert "Traceback" not in result.output + result.stderr
    first = err.splitlines()[0]
    assert first.startswith("error: ")
    assert source in first
    assert needle in err


def test_corpus_is_large_enough():
    events = _expected(EVENTS_CORPUS)
    prices = [p for p in PRICES_CORPUS.iterdir() if p.name != "EXPECTED.md"]
    assert len(events) + len(prices) >= 25
    for name, _ in events:
        assert (EVENTS_CORPUS / name).exists(), name


@pytest.mark.parametrize(("name", "needle"), _expected(EVENTS_CORPUS))
def test_bad_events_file_validate(name: str, needle: str):
    result = invoke("validate", str(EVENTS_CORPUS / name))
    assert_clean_error(result, needle, name)


@pytest.mark.parametrize(("name", "needle"), _expected(EVENTS_CORPUS)[:6])
def test_bad_events_file_run_writes_nothing(name: str, needle: str, tmp_path: Path):
    out = tmp_path / "out"
    result = invoke("run", str(EVENTS_CORPUS / name), "--prices", str(tmp_path), "--out", str(out))
    assert_clean_error(result, needle, name)
    assert not out.exists()


def test_validate_prints_day0_and_rule():
    result = invoke("validate", str(ROOT / "events.csv"))
    assert result.exit_code == 0, result.output
    assert "2025-09-12" in result.output
    assert "after the close of 2025-09-11" in result.output


def _synthetic_prices(
    tmp_path: Path, tickers=("AAA", "BBB"), start="2023-01-02", end="2024-06-28"
) -> Path:
    import exchange_calendars as xc
    import numpy as np

    sessions = xc.get_calendar("XNYS", start="2020-01-01").sessions_in_range(start, end)
    rng = np.random.default_rng(7)
    folder = tmp_path / "prices"
    folder.mkdir()
    m = rng.normal(0.0003, 0.01, len(sessions))
    pd.DataFrame({"Date": sessions.strftime("%Y-%m-%d"), "Close": 100 * np.cumprod(1 + m)}).to_csv(
        folder / "GSPC.csv", index=False
    )
    for t in tickers:
        r = 0.0002 + 1.1 * m + rng.normal(0, 0.015, len(sessions))
        pd.DataFrame(
            {"Date": sessions.strftime("%Y-%m-%d"), "Adj Close": 50 * np.cumprod(1 + r)}
        ).to_csv(folder / f"{t}.csv", index=False)
    return folder


def test_run_writes_every_table_and_exit_codes(tmp_path: Path):
    prices = _synthetic_prices(tmp_path)
    events = tmp_path / "events.csv"
    events.write_text(
        "event_id,ticker,date,timing,sector\n"
        "a,AAA,2024-03-14,after_close,tech\n"
        "b,BBB,2024-03-15,,energy\n"
        "c,ZZZ,2024-03-15,,none\n"  # no prices -> failed
        "d,AAA,2023-03-01,,tech\n"  # too little history -> skipped
        "e,BBB,2024-06-25,,energy\n"  # window past the data -> pending
    )
    out = tmp_path / "out"
    result = invoke(
        "run", str(events), "--prices", str(prices), "--out", str(out), "--format", "csv,parquet"
    )
    assert result.exit_code == 1, result.output  # one event failed
    for name in ("events", "ar", "car", "aar", "tests"):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.parquet").exists()
    ev = pd.read_csv(out / "events.csv").set_index("event_id")
    assert ev.loc["a", "day0"] == "2024-03-15"
    assert ev.loc["a", "sector"] == "tech"  # extra columns carried
    assert ev.loc["c", "status"] == "failed" and "'ZZZ'" in ev.loc["c", "reason"]
    assert ev.loc["d", "status"] == "skipped" and "estimation returns" in ev.loc["d", "reason"]
    assert ev.loc["e", "status"] == "pending"
    meta = json.loads((out / "run.json").read_text())
    assert meta["counts"] == {"ok": 2, "pending": 1, "skipped": 1, "failed": 1, "events": 5}
    assert meta["settings"]["model"] == "market"
    assert meta["return_column"]["AAA"] == "Adj Close"
    assert meta["return_column"]["^GSPC"] == "Close"
    assert not list(out.glob(".*.tmp"))
    assert "ZZZ" in result.output


def test_all_ok_exits_zero(tmp_path: Path):
    prices = _synthetic_prices(tmp_path)
    events = tmp_path / "events.csv"
    events.write_text("ticker,date\nAAA,2024-03-14\nBBB,2024-03-15\n")
    result = invoke(
        "run", str(events), "--prices", str(prices), "--out", str(tmp_path / "o"), "--format", "csv"
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--estimation-window", "-250", "-5"], "no look-ahead"),
        (["--event-window", "5", "-5"], "starts after it ends"),
        (["--car-window", "-20", "20"], "outside the event window"),
        (["--min-estimation", "1"], "at least 3"),
        (["--format", "pdf"], "unknown output format pdf"),
    ],
)
def test_bad_settings_exit_2(args, needle, tmp_path: Path):
    result = invoke("run", str(ROOT / "events.csv"), "--prices", str(tmp_path), *args)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_prices_and_offline_exclusive(tmp_path: Path):
    result = invoke("run", str(ROOT / "events.csv"), "--prices", str(tmp_path), "--offline")
    assert result.exit_code == 2


def test_bad_prices_file_exit_2(tmp_path: Path):
    events = tmp_path / "events.csv"
    events.write_text("ticker,date\nMSFT,2025-09-12\n")
    bad = tmp_path / "p.csv"
    shutil.copy(PRICES_CORPUS / "negative_price.csv", bad)
    result = invoke("run", str(events), "--prices", str(bad), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2, result.output
    assert "p.csv" in result.stderr and "Traceback" not in result.stderr


def test_help_has_examples():
    for cmd in ("run", "validate"):
        result = invoke(cmd, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output


def test_out_that_is_a_file_is_a_clean_error(tmp_path: Path):
    prices = _synthetic_prices(tmp_path)
    events = tmp_path / "events.csv"
    events.write_text("ticker,date\nAAA,2024-03-14\n")
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    result = invoke("run", str(events), "--prices", str(prices), "--out", str(blocker))
    assert result.exit_code == 2, result.output
    assert "is a file, not a folder" in result.stderr
