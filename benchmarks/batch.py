"""Benchmark: a 10,000-event batch study, full run versus incremental update.

Run from the repository root::

    python benchmarks/batch.py                      # 10,000 events, html if available
    python benchmarks/batch.py --html none          # tables only (csv)
    python benchmarks/batch.py --html stub          # a trivial page writer: batch overhead
    python benchmarks/batch.py --events 1000 --json batch-bench.json

Synthetic data from ``benchmarks/engine.py`` (seeded ``numpy.random.Generator``):
``--stocks`` stocks plus ``^GSPC`` on the XNYS sessions 2010-2024, written as one
long-form Parquet price file (the batch reads it through the ordinary
``prices = "..."`` source), and ``--events`` + 10 events (market model,
default windows). Timed in one process with ``time.perf_counter``, through
:func:`eventstudy.batch.run_batch` (what ``eventstudy batch`` calls):

1. ``first``: no state yet, every event computed and every page written;
2. ``unchanged``: the same config again (no prices read, nothing computed);
3. ``append10``: 10 events appended to the events file;
4. ``full``: ``--full`` on the 10,010 events (everything recomputed and written;
   ``--skip-full`` leaves it out and compares with ``first``).

``--html``: ``real`` renders with ``eventstudy.report`` (about 0.1 s a page
here, so ``first`` and ``full`` take many minutes at 10,000 events); ``stub``
writes a one-line page per event (measures the batch's own staging and
hard-linking of 10,000 pages); ``none`` writes tables only; ``auto`` (default)
is ``real`` when the report package is importable, else ``none``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
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

from eventstudy.atomic import write_text  # noqa: E402
from eventstudy.batch import load_config, run_batch  # noqa: E402
from eventstudy.events import unique_file_stems  # noqa: E402


def _engine_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "benchmarks" / "engine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stub_writer(
    res: Any,
    out_dir: Path,
    *,
    event_ids: list[str] | None = None,
    self_contained: bool = False,
    cdn: bool = False,
) -> Path:
    """A one-line page per event: the cost of the batch's own page handling."""
    stems = unique_file_stems(res.events["event_id"].astype(str))
    wanted = stems if event_ids is None else {e: stems[e] for e in event_ids}
    status = dict(zip(res.events["event_id"], res.events["status"], strict=True))
    for eid, stem in wanted.items():
        write_text(Path(out_dir) / "events" / f"{stem}.html", f"<p>{eid}: {status[eid]}</p>\n")
    write_text(Path(out_dir) / "index.html", f"<p>{len(stems)} events</p>\n")
    return Path(out_dir) / "index.html"


def build(work: Path, n_events: int, n_stocks: int, seed: int, formats: list[str]) -> dict:
    bench = _engine_bench()
    rng = np.random.default_rng(seed)
    sessions, wide, tickers = bench.synthetic_market(n_stocks, rng)
    long = bench.long_prices(wide)
    long.to_parquet(work / "prices.parquet", index=False)
    events = bench.synthetic_events(n_events + 10, sessions, tickers, rng)
    events_path = work / "events.csv"
    events.iloc[:n_events].to_csv(events_path, index=False)
    cfg = work / "batch.toml"
    fmts = ", ".join(f'"{f}"' for f in formats)
    cfg.write_text(
        f'[studies.bench]\nevents = "events.csv"\nprices = "prices.parquet"\n'
        f'output = "out"\nformats = [{fmts}]\nfail_on = "never"\n'
    )
    return {"config": cfg, "events": events, "events_path": events_path, "price_rows": len(long)}


def timed(label: str, cfg: Path, writer: Any, **kw: Any) -> dict:
    t0 = time.perf_counter()
    result = run_batch(load_config(cfg), report_writer=writer, **kw)
    wall = time.perf_counter() - t0
    o = result.outcomes[0]
    if o.outcome == "error":
        raise SystemExit(f"{label}: {o.message}")
    row = {
        "run": label,
        "wall_s": round(wall, 3),
        "outcome": o.outcome,
        "events": o.events,
        "recomputed": o.recomputed,
        "pages_written": o.rendered,
        "provider_calls": o.provider_calls,
        **{k: round(v, 3) for k, v in o.timings.items() if k != "total_s"},
    }
    print(f"  {label:<10} {wall:8.2f} s  {o.line()}", flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--stocks", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20251)
    ap.add_argument("--html", choices=["auto", "real", "stub", "none"], default="auto")
    ap.add_argument("--json", type=Path, default=None, help="Write the figures here.")
    ap.add_argument("--workdir", type=Path, default=None, help="Keep the files here.")
    ap.add_argument(
        "--skip-full",
        action="store_true",
        help="Skip run 4 (--full); the first run is then the full-run figure.",
    )
    args = ap.parse_args(argv)

    has_report = importlib.util.find_spec("eventstudy.report") is not None
    mode = ("real" if has_report else "none") if args.html == "auto" else args.html
    if mode == "real" and not has_report:
        raise SystemExit("--html real: the report package eventstudy.report is not importable")
    formats = ["csv", "html"] if mode != "none" else ["csv"]
    writer = stub_writer if mode == "stub" else None
    work = args.workdir or Path(tempfile.mkdtemp(prefix="eventstudy-batch-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"batch benchmark: {args.events} events (+10), {args.stocks} stocks, formats "
        f"{','.join(formats)}, html pages: {mode}; files in {work}",
        flush=True,
    )
    t0 = time.perf_counter()
    data = build(work, args.events, args.stocks, args.seed, formats)
    print(f"  data built in {time.perf_counter() - t0:.1f} s ({data['price_rows']:,} price rows)")

    rows = [timed("first", data["config"], writer), timed("unchanged", data["config"], writer)]
    data["events"].to_csv(data["events_path"], index=False)  # the 10 extra events appended
    rows.append(timed("append10", data["config"], writer))
    if not args.skip_full:
        rows.append(timed("full", data["config"], writer, full=True))

    full, inc = rows[-1] if not args.skip_full else rows[0], rows[2]
    print(
        f"\nfull run ({full['run']}) {full['wall_s']:.2f} s vs incremental (+10 events) "
        f"{inc['wall_s']:.2f} s: {full['wall_s'] / inc['wall_s']:.1f}x; pages written "
        f"{full['pages_written']} vs {inc['pages_written']}"
    )
    print(pd.DataFrame(rows).set_index("run").T.to_string())
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "events": args.events,
                    "stocks": args.stocks,
                    "seed": args.seed,
                    "html": mode,
                    "formats": formats,
                    "python": platform.python_version(),
                    "machine": platform.machine(),
                    "runs": rows,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
