"""A damaged price cache: detected, explained, recoverable, never served from."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from eventstudy.cli import main
from eventstudy.data.cache import CacheCorruptError, CacheFileError, PriceCache
from tests.conftest import ROOT


def _filled(path: Path) -> PriceCache:
    cache = PriceCache(path)
    idx = pd.bdate_range("2018-01-01", "2025-12-31")
    for t in ("MSFT", "AAPL", "^GSPC"):
        frame = pd.DataFrame({"adj_close": np.linspace(10, 20, len(idx))}, index=idx)
        cache.write(t, frame, idx[0].date(), idx[-1].date())
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return cache


def _damage(path: Path, pages: list[int], seed: int) -> None:
    data = bytearray(path.read_bytes())
    rng = np.random.default_rng(seed)
    for p in pages:
        off = p * 4096
        if off < len(data):
            data[off : off + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("seed,pages", [(0, [3, 7, 12]), (1, [1]), (2, [5, 6, 7, 8]), (3, [20])])
def test_random_pages_are_detected_by_every_command(tmp_path, seed, pages):
    path = tmp_path / "prices.sqlite"
    _filled(path)
    _damage(path, pages, seed)
    runner = CliRunner()
    info = runner.invoke(main, ["cache", "info", "--cache", str(path)], catch_exceptions=False)
    run = runner.invoke(
        main,
        [
            "run",
            str(ROOT / "events.csv"),
            "--offline",
            "--cache",
            str(path),
            "-q",
            "--out",
            str(tmp_path / "o"),
        ],
        catch_exceptions=False,
    )
    for r in (info, run):
        assert "Traceback" not in r.output and "error: unexpected" not in r.output
    if info.exit_code == 0:  # the damage missed every page in use: the numbers are intact
        assert run.exit_code != 2 or "corrupt" not in run.output
        return
    assert info.exit_code == 2 and "is corrupt" in info.output and "cache clear" in info.output
    assert run.exit_code == 2 and "is corrupt" in run.output
    assert not (tmp_path / "o" / "car.csv").exists()  # no number served
    clear = runner.invoke(main, ["cache", "clear", "--cache", str(path)], catch_exceptions=False)
    assert clear.exit_code == 0 and "moved it to" in clear.output
    assert not path.exists() and list(tmp_path.glob("prices.sqlite.corrupt-*"))
    again = runner.invoke(main, ["cache", "info", "--cache", str(path)], catch_exceptions=False)
    assert again.exit_code == 0  # a fresh cache


def test_a_damaged_file_is_refused_through_the_api(tmp_path):
    path = tmp_path / "prices.sqlite"
    _filled(path)
    _damage(path, [2, 3], 7)
    with pytest.raises(CacheCorruptError, match="corrupt"):
        PriceCache(path).read("MSFT")


def test_a_file_that_is_not_sqlite_is_not_moved_by_clear(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("my notes, not a cache\n")
    with pytest.raises(CacheFileError, match="not an eventstudy price cache"):
        PriceCache(path)
    r = CliRunner().invoke(main, ["cache", "clear", "--cache", str(path)], catch_exceptions=False)
    assert r.exit_code == 2 and path.read_text() == "my notes, not a cache\n"


def test_a_lock_held_by_another_writer_is_not_called_corruption(tmp_path):
    path = tmp_path / "prices.sqlite"
    cache = _filled(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        busy = PriceCache(path, timeout=0.2)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            busy.clear("MSFT")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(cache.read("MSFT")) > 0
