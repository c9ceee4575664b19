"""Benchmark: render the HTML report of a synthetic study with 1,000 events.

Run from the repository root::

    python benchmarks/report.py                    # 1,000 events into a temporary folder
    python benchmarks/report.py --events 200 --out reports/bench --keep

Synthetic data (seeded ``numpy.random.Generator``): ``--events // 5`` stocks and
the index ``^GSPC`` on the XNYS sessions 2016-2020, market-model returns with
normal shocks; events spread over 2017-2020 (day 0 on a session, timing
``during_market``) with a description and a user column ``sector``. The study
itself is computed first and not timed; then, timed with ``time.perf_counter``:

* ``report_s``: :func:`eventstudy.report.write_report` (every event page,
  ``index.html`` and the assets, written atomically), wall clock and CPU
  (``time.process_time``: the wall time depends on the machine's load);
* ``index_s``: :func:`eventstudy.report.write_index` alone.

Printed: both times, the time per event page, the number of files, the total
size of the folder, the size of ``index.html`` and of the plotly.js asset.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import eventstudy as es  # noqa: E402
from eventstudy.event_time import sessions  # noqa: E402
from eventstudy.report import plotly_asset, write_index, write_report  # noqa: E402


def synthetic_study(n_events: int, seed: int) -> es.StudyResult:
    """A market-model study of ``n_events`` synthetic events (seeded)."""
    rng = np.random.default_rng(seed)
    cal = sessions("XNYS")
    days = cal[(cal >= "2016-01-01") & (cal <= "2020-12-31")]
    tickers = [f"S{i:04d}" for i in range(max(2, n_events // 5))]
    rm = 0.0003 + 0.01 * rng.standard_normal(len(days))
    index = 100 * np.cumprod(1 + rm)
    frames = [pd.DataFrame({"date": days, "ticker": "^GSPC", "adj_close": index})]
    for t in tickers:
        r = (rng.normal(0, 2e-4) + rng.uniform(0.5, 1.5) * rm
             + rng.uniform(0.01, 0.03) * rng.standard_normal(len(days)))
        p = 50 * np.cumprod(1 + r)
        frames.append(pd.DataFrame({"date": days, "ticker": t, "adj_close": p, "close": p}))
    pos = rng.integers(260, len(days) - 15, n_events)
    events = pd.DataFrame({
        "event_id": [f"E{i:06d}" for i in range(n_events)],
        "ticker": [tickers[i % len(tickers)] for i in range(n_events)],
        "date": [d.strftime("%Y-%m-%d") for d in days[pos]],
        "timing": "during_market",
        "description": [f"Synthetic announcement number {i}" for i in range(n_events)],
        "sector": [f"sector {i % 10}" for i in range(n_events)],
    })
    return es.EventStudy(events).run(prices=pd.concat(frames, ignore_index=True))


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="report folder [default: a temp dir]")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    res = synthetic_study(args.events, args.seed)
    study_s = time.perf_counter() - t0
    out = args.out or Path(tempfile.mkdtemp(prefix="eventstudy-report-bench-"))
    if out.exists() and args.out is not None:
        shutil.rmtree(out)
    t1, c1 = time.perf_counter(), time.process_time()
    index = write_report(res, out)
    report_s, report_cpu_s = time.perf_counter() - t1, time.process_time() - c1
    t2 = time.perf_counter()
    write_index(res, out)
    index_s = time.perf_counter() - t2
    n_files, total = folder_size(out)
    figures = {
        "events": args.events,
        "study_s": round(study_s, 2),
        "report_s": round(report_s, 2),
        "report_cpu_s": round(report_cpu_s, 2),
        "per_event_page_ms": round(1000 * report_s / max(args.events, 1), 1),
        "index_s": round(index_s, 2),
        "files": n_files,
        "folder_mb": round(total / 1e6, 1),
        "index_kb": round(index.stat().st_size / 1e3, 1),
        "plotly_js_mb": round((out / "assets" / plotly_asset()).stat().st_size / 1e6, 2),
        "events_pages_mb": round(sum(p.stat().st_size for p in (out / "events").glob("*.html"))
                                 / 1e6, 1),
    }
    print(f"{args.events} events: study {study_s:.1f} s (not timed below)")
    print(f"write_report: {report_s:.1f} s wall, {report_cpu_s:.1f} s CPU "
          f"({figures['per_event_page_ms']} ms per event page); write_index alone: {index_s:.2f} s")
    print(f"folder: {n_files} files, {figures['folder_mb']} MB (event pages "
          f"{figures['events_pages_mb']} MB, plotly.js {figures['plotly_js_mb']} MB, "
          f"index.html {figures['index_kb']} kB) in {out}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    if args.out is None and not args.keep:
        shutil.rmtree(out)
    return figures


if __name__ == "__main__":
    main()
