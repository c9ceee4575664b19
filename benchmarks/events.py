"""Benchmark: loading and validating events tables and resolving day 0.

Run from the repository root::

    python benchmarks/events.py                      # every case, vectorised load_events
    python benchmarks/events.py --impl rowwise --skip-million   # the per-row loader
    python benchmarks/events.py --cases frame_10k,csv_10k --repeat 7

Synthetic tables (seeded ``numpy.random.Generator``, no network): 500 US
tickers, announcement dates uniform over the calendar days of 2011-2024
(weekends and holidays included), unique event ids. Cases:

==============  =============================================================
``frame_10k``   DataFrame, 10,000 rows: ``event_id, ticker, date, timing``
                with timings mixed ``after_close / before_open /
                during_market / unknown``
``frame_1m``    the same with 1,000,000 rows
``csv_10k``     the ``frame_10k`` table written to a CSV file and loaded
                from the file
``time_10k``    DataFrame, 10,000 rows with a local ``time`` HH:MM on every
                row (timing consistent with it, or ``unknown``)
``offset_10k``  DataFrame, 10,000 rows whose ``date`` is an ISO date-time
                with a UTC offset or ``Z``
==============  =============================================================

Each case is run once to warm up (exchange calendars are cached per process),
then ``--repeat`` times (``frame_1m``: warmed up on a 100-row table, then at
most 3 runs); the best and the median
wall-clock time (``time.perf_counter``) are printed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eventstudy import events as events_module  # noqa: E402

TIMINGS = np.array(["after_close", "before_open", "during_market", "unknown"], dtype=object)
CASES = ("frame_10k", "frame_1m", "csv_10k", "time_10k", "offset_10k")


def _tickers(rng: np.random.Generator, n: int = 500) -> np.ndarray:
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    found: dict[str, None] = {}
    while len(found) < n:
        size = int(rng.integers(2, 5))
        found["".join(rng.choice(letters, size))] = None
    return np.array(list(found), dtype=object)


def _days(rng: np.random.Generator, n: int) -> np.ndarray:
    lo, hi = np.datetime64("2011-01-01"), np.datetime64("2024-12-31")
    return lo + rng.integers(0, int((hi - lo).astype(int)) + 1, n).astype("timedelta64[D]")


def _base(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    ids = np.char.add("e", np.char.zfill(np.arange(n).astype(str), 7)).astype(object)
    tickers = _tickers(rng)[rng.integers(0, 500, n)]
    return {"event_id": ids, "ticker": tickers}


def timing_table(n: int, seed: int = 0) -> pd.DataFrame:
    """``event_id, ticker, date, timing``: dates as text, timings mixed."""
    rng = np.random.default_rng(seed)
    data = _base(n, rng)
    data["date"] = np.datetime_as_string(_days(rng, n), unit="D").astype(object)
    data["timing"] = TIMINGS[rng.integers(0, 4, n)]
    return pd.DataFrame(data)


def time_table(n: int, seed: int = 1) -> pd.DataFrame:
    """Every row with a local time HH:MM; the timing agrees with it or is unknown."""
    rng = np.random.default_rng(seed)
    data = _base(n, rng)
    data["date"] = np.datetime_as_string(_days(rng, n), unit="D").astype(object)
    minutes = rng.integers(0, 24 * 60, n)
    data["time"] = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in minutes], dtype=object)
    timing = np.where(
        minutes < 9 * 60 + 30, "before_open", np.where(minutes >= 16 * 60, "after_close", "unknown")
    )
    data["timing"] = np.where(rng.random(n) < 0.5, timing, "unknown").astype(object)
    return pd.DataFrame(data)


def offset_table(n: int, seed: int = 2) -> pd.DataFrame:
    """Every date an ISO date-time with a UTC offset (or ``Z``)."""
    rng = np.random.default_rng(seed)
    data = _base(n, rng)
    stamps = _days(rng, n).astype("datetime64[s]") + rng.integers(0, 86400, n).astype(
        "timedelta64[s]"
    )
    text = np.datetime_as_string(stamps, unit="s").astype(object)
    offsets = np.array(["Z", "+00:00", "-04:00", "-05:00", "+02:00", "+09:00"], dtype=object)
    data["date"] = text + offsets[rng.integers(0, len(offsets), n)]
    return pd.DataFrame(data)


def _timed(fn: Callable[[], object], repeat: int, warm_up: bool) -> tuple[float, float]:
    if warm_up:
        fn()  # calendars and schedules are cached after the first call
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen cases and print one line per case."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--impl",
        choices=("vectorised", "rowwise"),
        default="vectorised",
        help="load_events (default) or the per-row reference",
    )
    parser.add_argument(
        "--cases", default=",".join(CASES), help=f"comma-separated subset of {', '.join(CASES)}"
    )
    parser.add_argument("--skip-million", action="store_true", help="leave out frame_1m")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    load: Callable[..., pd.DataFrame] = events_module.load_events
    if args.impl == "rowwise":  # the reference of the equivalence tests (needs hypothesis)
        from tests.test_events_vectorised import load_events_rowwise

        load = load_events_rowwise
    cases = [c for c in args.cases.split(",") if c]
    if args.skip_million:
        cases = [c for c in cases if c != "frame_1m"]
    makers: dict[str, Callable[[], pd.DataFrame]] = {
        "frame_10k": lambda: timing_table(10_000),
        "frame_1m": lambda: timing_table(1_000_000),
        "csv_10k": lambda: timing_table(10_000),
        "time_10k": lambda: time_table(10_000),
        "offset_10k": lambda: offset_table(10_000),
    }
    print(f"impl={args.impl}  (best / median of the runs after a warm-up)")
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            table = makers[case]()
            source: pd.DataFrame | Path = table
            if case == "csv_10k":
                source = Path(tmp) / "events.csv"
                table.to_csv(source, index=False)
            repeat = min(args.repeat, 3) if case == "frame_1m" else args.repeat
            if case == "frame_1m":  # warm the calendar caches on a small table instead
                load(timing_table(100))
            best, median = _timed(lambda src=source: load(src), repeat, warm_up=case != "frame_1m")
            print(
                f"{case:<11} best {best * 1000:10.1f} ms   median {median * 1000:10.1f} ms"
                f"   {best / len(table) * 1e6:7.2f} us/row   ({repeat} runs)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
