"""Benchmark: the HTML report of synthetic studies with 1,000 and 10,000 events.

Run from the repository root::

    python benchmarks/report.py                        # 1,000 and 10,000 events
    python benchmarks/report.py --events 200 --out reports/bench --keep

Synthetic data (seeded ``numpy.random.Generator``): ``events // 5`` stocks and
the index ``^GSPC`` on the XNYS sessions 2016-2020, market-model returns with
normal shocks; events spread over 2017-2020 (day 0 on a session, timing
``during_market``) with a description and a user column ``sector``. The study
itself is computed first and not timed. Then, for each size:

* ``prepare``: the compact per-event data of the report
  (:class:`eventstudy.report.book.ReportBook`: views of the result's tables,
  the vectorised regression diagnostics, window dates, chart numbers), once;
* ``pages``: writing every event page, sequentially (``workers=1``) and in
  parallel (forked worker processes, ``workers=None``); CPU per page is
  ``time.process_time`` of this process (sequential) or the workers' CPU
  (``os.times`` of the reaped children, parallel), divided by the pages;
* ``report``: :func:`eventstudy.report.write_report` end to end (prepare,
  pages, index, assets), sequential and parallel, wall clock;
* sizes: the report folder, the event pages, ``index.html``.

Wall times depend on the machine's load; CPU per page much less.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import eventstudy as es  # noqa: E402
from eventstudy.event_time import sessions  # noqa: E402
from eventstudy.report import write_index, write_report  # noqa: E402


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
        r = (
            rng.normal(0, 2e-4)
            + rng.uniform(0.5, 1.5) * rm
            + rng.uniform(0.01, 0.03) * rng.standard_normal(len(days))
        )
        p = 50 * np.cumprod(1 + r)
        frames.append(pd.DataFrame({"date": days, "ticker": t, "adj_close": p, "close": p}))
    pos = rng.integers(260, len(days) - 15, n_events)
    events = pd.DataFrame(
        {
            "event_id": [f"E{i:06d}" for i in range(n_events)],
            "ticker": [tickers[i % len(tickers)] for i in range(n_events)],
            "date": [d.strftime("%Y-%m-%d") for d in days[pos]],
            "timing": "during_market",
            "description": [f"Synthetic announcement number {i}" for i in range(n_events)],
            "sector": [f"sector {i % 10}" for i in range(n_events)],
        }
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # synthetic duplicates of ticker and day 0
        return es.EventStudy(events).run(prices=pd.concat(frames, ignore_index=True))


def folder_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def _pages(res: es.StudyResult, out: Path, workers: int | None) -> dict[str, float]:
    """Write every event page of ``res`` into ``out/events`` with ``workers``; timings."""
    import eventstudy.report as report
    from eventstudy.events import unique_file_stems
    from eventstudy.report.book import ReportBook
    from eventstudy.report.render import write_pages

    t0, c0 = time.perf_counter(), time.process_time()
    book = ReportBook(res).prepare()
    prepare_s, prepare_cpu = time.perf_counter() - t0, time.process_time() - c0
    (out / "events").mkdir(parents=True, exist_ok=True)
    stems = unique_file_stems(book.ids)
    targets = [(i, out / "events" / f"{stems[eid]}.html") for i, eid in enumerate(book.ids)]
    pages = report.event_pages(book)
    t1, c1, k1 = time.perf_counter(), time.process_time(), _children_cpu()
    procs = write_pages(pages, targets, workers)
    wall = time.perf_counter() - t1
    cpu = (time.process_time() - c1) + (_children_cpu() - k1)
    n = len(targets)
    return {
        "prepare_s": prepare_s,
        "prepare_cpu_s": prepare_cpu,
        "pages_s": wall,
        "cpu_ms_per_page": 1000 * cpu / max(n, 1),
        "processes": procs,
    }


def measure(n_events: int, seed: int, out: Path) -> dict[str, Any]:
    """Every figure of the module docstring for one study size."""
    t0 = time.perf_counter()
    res = synthetic_study(n_events, seed)
    study_s = time.perf_counter() - t0
    seq = _pages(res, out / "pages-seq", workers=1)
    par = _pages(res, out / "pages-par", workers=None)
    timings = {}
    for name, workers in (("sequential", 1), ("parallel", None)):
        folder = out / f"report-{name}"
        t1, c1, k1 = time.perf_counter(), time.process_time(), _children_cpu()
        write_report(res, folder, workers=workers)
        timings[name] = (time.perf_counter() - t1, time.process_time() - c1 + _children_cpu() - k1)
    t2 = time.perf_counter()
    write_index(res, out / "report-parallel")
    index_s = time.perf_counter() - t2
    n_files, total = folder_size(out / "report-parallel")
    pages_bytes = sum(p.stat().st_size for p in (out / "report-parallel" / "events").glob("*"))
    return {
        "events": n_events,
        "study_s": round(study_s, 1),
        "prepare_s": round(seq["prepare_s"], 2),
        "cpu_ms_per_page_sequential": round(seq["cpu_ms_per_page"], 2),
        "cpu_ms_per_page_parallel": round(par["cpu_ms_per_page"], 2),
        "pages_s_sequential": round(seq["pages_s"], 2),
        "pages_s_parallel": round(par["pages_s"], 2),
        "processes": int(par["processes"]),
        "report_s_sequential": round(timings["sequential"][0], 2),
        "report_cpu_s_sequential": round(timings["sequential"][1], 2),
        "report_s_parallel": round(timings["parallel"][0], 2),
        "report_cpu_s_parallel": round(timings["parallel"][1], 2),
        "index_s": round(index_s, 2),
        "files": n_files,
        "folder_mb": round(total / 1e6, 1),
        "event_pages_mb": round(pages_bytes / 1e6, 1),
        "page_kb": round(pages_bytes / max(n_events, 1) / 1e3, 1),
        "index_kb": round((out / "report-parallel" / "index.html").stat().st_size / 1e3, 1),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="work folder [default: a temp dir]")
    ap.add_argument("--keep", action="store_true", help="keep the work folder")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    root = args.out or Path(tempfile.mkdtemp(prefix="eventstudy-report-bench-"))
    results = []
    for n in args.events:
        out = root / f"n{n}"
        if out.exists():
            shutil.rmtree(out)
        f = measure(n, args.seed, out)
        results.append(f)
        print(
            f"{n} events (study {f['study_s']} s, not timed below; {f['processes']} worker "
            f"processes on {os.cpu_count()} CPUs)"
        )
        print(f"  prepare (vectorised, once): {f['prepare_s']} s")
        print(
            f"  event pages: {f['cpu_ms_per_page_sequential']} ms CPU per page sequential "
            f"({f['pages_s_sequential']} s wall), {f['cpu_ms_per_page_parallel']} ms "
            f"parallel ({f['pages_s_parallel']} s wall)"
        )
        print(
            f"  write_report: {f['report_s_sequential']} s wall sequential "
            f"({f['report_cpu_s_sequential']} s CPU), {f['report_s_parallel']} s parallel "
            f"({f['report_cpu_s_parallel']} s CPU); write_index alone {f['index_s']} s"
        )
        print(
            f"  folder: {f['files']} files, {f['folder_mb']} MB (event pages "
            f"{f['event_pages_mb']} MB, {f['page_kb']} kB each); index.html {f['index_kb']} kB"
        )
        if not args.keep:
            shutil.rmtree(out)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    if args.out is None and not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return results


if __name__ == "__main__":
    main()
