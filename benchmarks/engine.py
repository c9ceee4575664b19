"""Benchmark: the whole study through the API, at 1,000 to 1,000,000 events.

Run from the repository root::

    python benchmarks/engine.py                                  # the full table
    python benchmarks/engine.py --events 1000 10000 --layouts 500
    python benchmarks/engine.py --no-peer --json bench.json

What is timed (``time.perf_counter``, each configuration in a fresh child
process so that its peak memory is its own):

* ``end to end``: ``EventStudy(events_df)`` (events validated, day 0 resolved)
  plus ``.run(prices=long_prices_df)`` (prices validated and put on the
  calendar, panel, fits, CARs, the full test battery with KP, data checks,
  the result tables). Best of ``--repeat`` runs up to 10,000 events, one run
  above. Stage shares come from the run's own timings (``run.json``).
* ``peak memory``: the child's peak resident set (``ru_maxrss``), and the same
  less the resident set after the synthetic data was built (what the study
  adds).

Synthetic data (seeded ``numpy.random.Generator``): XNYS sessions 2010-2024,
``^GSPC`` with fat-tailed returns, stocks ``alpha + beta R_m`` + a sector
factor + Student-t noise, no missing prices (the peer cannot fit a window with
one). Layout ``500``: 500 stocks, events on random sessions 2011-2024 (many
overlapping: KP on every pair of overlapping windows). Layout ``one``: one
event per stock, each stock holding only the sessions its windows use (N
stocks). Market model, estimation [-250, -11], event window [-10, +10], the
five default CAR windows.

In the same run, at the sizes given by ``--compare`` (default 1,000 and
10,000, layout 500):

* a per-event statsmodels loop (OLS per event on a session x ticker return
  matrix built once; AR, the full prediction-error covariance, CAR/SE/t/p for
  the five windows), on the first ``--loop-events`` events, extrapolated per
  event;
* the PyPI package ``eventstudy`` 0.1a12 in its own virtual environment
  (``benchmarks/peer.py``), on the same returns and windows; its own
  computation is timed inside its process (its data preparation separately).

The day-0 AR of every event is checked against both (max abs diff).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

INDEX = "^GSPC"
EST, EVT = (-250, -11), (-10, 10)
CAR_WINDOWS = ((0, 0), (0, 1), (-1, 1), (-5, 5), (-10, 10))


# --------------------------------------------------------------------------- data


def sessions() -> pd.DatetimeIndex:
    from eventstudy.event_time import sessions as xnys

    s = xnys("XNYS")
    return s[(s >= "2010-01-01") & (s <= "2024-12-31")]


def synthetic(n_events: int, layout: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(events, long prices)`` for ``n_events`` in layout ``500`` or ``one``."""
    rng = np.random.default_rng(seed)
    days = sessions()
    t = len(days)
    rm = 0.0003 + 0.01 * rng.standard_t(4, t) / np.sqrt(2.0)
    index_px = 1000.0 * np.cumprod(1.0 + rm)
    p0 = rng.integers(262, t - 11, n_events)
    if layout == "500":
        n_stocks = 500
        beta = rng.uniform(0.4, 1.6, n_stocks)
        sector = 0.004 * rng.standard_normal((t, 10))
        noise = 0.02 * rng.standard_t(5, (t, n_stocks)) / np.sqrt(5 / 3)
        r = rm[:, None] * beta + sector[:, rng.integers(0, 10, n_stocks)] + noise
        px = 50.0 * np.cumprod(1.0 + np.clip(r, -0.5, 1.0), axis=0)
        tickers = np.array([f"S{k:03d}" for k in range(n_stocks)], dtype=object)
        long = pd.DataFrame(
            {
                "date": np.tile(days.to_numpy(), n_stocks),
                "ticker": np.repeat(tickers, t),
                "adj_close": px.T.ravel(),
            }
        )
        ev_tickers = tickers[rng.integers(0, n_stocks, n_events)]
    else:
        tickers = np.array([f"T{k:07d}" for k in range(n_events)], dtype=object)
        lo, hi = p0 - 262, p0 + 11
        counts = hi - lo
        owner = np.repeat(np.arange(n_events), counts)
        pos = (
            np.repeat(lo, counts)
            + np.arange(int(counts.sum()))
            - np.repeat(np.cumsum(counts) - counts, counts)
        )
        beta = rng.uniform(0.4, 1.6, n_events)
        r = rm[pos] * beta[owner] + 0.02 * rng.standard_normal(len(pos))
        r[np.r_[True, owner[1:] != owner[:-1]]] = 0.0
        px = 50.0 * np.exp(
            np.cumsum(np.log1p(r))
            - np.repeat(np.cumsum(np.log1p(r))[np.cumsum(counts) - counts], counts)
        )
        long = pd.DataFrame(
            {"date": days.to_numpy()[pos], "ticker": tickers[owner], "adj_close": px}
        )
        ev_tickers = tickers
    long = pd.concat(
        [long, pd.DataFrame({"date": days.to_numpy(), "ticker": INDEX, "adj_close": index_px})],
        ignore_index=True,
    )
    events = pd.DataFrame(
        {
            "event_id": [f"e{k}" for k in range(n_events)],
            "ticker": ev_tickers,
            "date": days[p0].strftime("%Y-%m-%d"),
            "timing": "during_market",
        }
    )
    return events, long


# --------------------------------------------------------------------------- child


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def child(n_events: int, layout: str, seed: int, repeat: int) -> dict[str, Any]:
    """One configuration, in this process: data, warm-up, timed runs."""
    import eventstudy as es

    warnings.simplefilter("ignore")
    t_data = time.perf_counter()
    events, long = synthetic(n_events, layout, seed)
    data_s = time.perf_counter() - t_data
    small_ev, small_px = synthetic(50, "500", seed + 1)
    es.EventStudy(small_ev).run(prices=small_px)  # warm-up: calendars, imports
    base_rss = _current_rss_mb()
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        study = es.EventStudy(events)
        t1 = time.perf_counter()
        res = study.run(prices=long)
        t2 = time.perf_counter()
        runs.append((t2 - t0, t1 - t0, dict(res.meta["timings_s"])))
        if n_events >= 100_000:
            break
        del res, study
    best = min(runs, key=lambda r: r[0])
    counts = None
    if runs:
        counts = {"price_rows": len(long)}
    return {
        "events": n_events,
        "layout": layout,
        "wall_s": best[0],
        "load_s": best[1],
        "stages_s": best[2],
        "runs": [r[0] for r in runs],
        "data_s": data_s,
        "peak_rss_mb": _rss_mb(),
        "base_rss_mb": base_rss,
        **(counts or {}),
    }


# --------------------------------------------------------------------------- comparisons


def statsmodels_loop(events: pd.DataFrame, long: pd.DataFrame) -> tuple[float, pd.Series]:
    """Seconds for the per-event OLS loop over ``events`` and its day-0 ARs."""
    import statsmodels.api as sm

    t0 = time.perf_counter()
    wide = long.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    ret = wide.pct_change(fill_method=None)
    pos = {d: k for k, d in enumerate(ret.index)}
    r = ret.to_numpy()
    col = {c: k for k, c in enumerate(ret.columns)}
    m = r[:, col[INDEX]]
    est = np.arange(EST[0], EST[1] + 1)
    evt = np.arange(EVT[0], EVT[1] + 1)
    ar0 = {}
    for row in events.itertuples(index=False):
        p = pos[pd.Timestamp(row.date)]
        y, x = r[p + est, col[row.ticker]], m[p + est]
        fit = sm.OLS(y, sm.add_constant(x)).fit()
        xs = sm.add_constant(m[p + evt], has_constant="add")
        ar = r[p + evt, col[row.ticker]] - xs @ fit.params
        v = xs @ fit.cov_params() @ xs.T + fit.scale * np.eye(len(evt))
        for a, b in CAR_WINDOWS:
            c = (evt >= a) & (evt <= b)
            car, se = ar[c].sum(), np.sqrt(v[np.ix_(c, c)].sum())
            _ = 2 * (1 - abs(car / se))  # t and p are part of the per-event work
        ar0[row.event_id] = ar[evt == 0][0]
    return time.perf_counter() - t0, pd.Series(ar0)


def compare(
    n_events: int, seed: int, loop_events: int, peer: bool, repeat: int = 3
) -> dict[str, Any]:
    """Our end-to-end time (best of ``repeat``, as in the main table, and the first
    run), the loop's and the peer's, on the same 500-ticker data."""
    import eventstudy as es

    warnings.simplefilter("ignore")
    events, long = synthetic(n_events, "500", seed)
    es.EventStudy(events.head(50)).run(prices=long)  # warm-up
    ours_runs = []
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        res = es.EventStudy(events).run(prices=long)
        ours_runs.append(time.perf_counter() - t0)
    ours_s = min(ours_runs)
    ours = res.ar[res.ar["rel_day"] == 0].set_index("event_id")["ar"]
    ours.index = ours.index.astype(str)
    sub = events.head(loop_events)
    loop_s, loop_ar = statsmodels_loop(sub, long)
    out: dict[str, Any] = {
        "events": n_events,
        "ours_s": ours_s,
        "ours_first_s": ours_runs[0],
        "loop_events": len(sub),
        "loop_s": loop_s,
        "loop_per_event_ms": 1e3 * loop_s / len(sub),
        "loop_max_abs_diff_ar0": float(np.max(np.abs(loop_ar - ours.loc[loop_ar.index]))),
    }
    if peer:
        from peer import run_peer

        events_peer = events.rename(columns={"date": "day0"})[["event_id", "ticker", "day0"]]
        pr = run_peer(events_peer, long, EST, EVT)
        theirs = pr.results.set_index("event_id")["ar0"]
        common = theirs.index.intersection(ours.index)
        out.update(
            {
                "peer_compute_s": pr.compute_seconds,
                "peer_total_s": pr.total_seconds,
                "peer_events": pr.n_computed,
                "peer_max_abs_diff_ar0": float(
                    np.max(np.abs(theirs.loc[common] - ours.loc[common]))
                ),
            }
        )
    return out


# --------------------------------------------------------------------------- main


def _spawn(args: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode < 0:  # killed: on this machine, the kernel's OOM killer
        return {"error": f"killed by signal {-done.returncode} (out of memory?)"}
    if done.returncode:
        return {"error": " ".join((done.stderr or done.stdout).strip().splitlines()[-1:])}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _share(stages: dict[str, float], wall: float) -> str:
    keep = {
        k.removeprefix("engine_").removesuffix("_s"): v
        for k, v in stages.items()
        if k != "compute_s"
    }
    top = sorted(keep.items(), key=lambda kv: -kv[1])[:5]
    return ", ".join(f"{k} {100 * v / wall:.0f}%" for k, v in top)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, nargs="+", default=[1000, 10_000, 100_000, 1_000_000])
    ap.add_argument("--layouts", nargs="+", default=["500", "one"], choices=["500", "one"])
    ap.add_argument("--compare", type=int, nargs="*", default=[1000, 10_000])
    ap.add_argument("--loop-events", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-peer", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--child", nargs=2, metavar=("N", "LAYOUT"), help=argparse.SUPPRESS)
    ap.add_argument("--compare-child", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        print(json.dumps(child(int(a.child[0]), a.child[1], a.seed, a.repeat)))
        return 0
    if a.compare_child:
        print(json.dumps(compare(a.compare_child, a.seed, a.loop_events, not a.no_peer, a.repeat)))
        return 0
    print(
        f"# eventstudy engine benchmark on {platform.node()} ({platform.processor() or '?'}, "
        f"python {platform.python_version()}), seed {a.seed}",
        flush=True,
    )
    rows = []
    print(
        f"{'events':>9} {'layout':>6} {'wall s':>8} {'us/event':>9} {'peak MB':>8} "
        f"{'+study MB':>9}  stage shares",
        flush=True,
    )
    for n in a.events:
        for layout in a.layouts:
            r = _spawn(
                ["--child", str(n), layout, "--seed", str(a.seed), "--repeat", str(a.repeat)]
            )
            r.setdefault("events", n)
            r.setdefault("layout", layout)
            rows.append(r)
            if "error" in r:
                print(f"{n:>9,} {layout:>6}  failed: {r['error']}", flush=True)
                continue
            print(
                f"{n:>9,} {layout:>6} {r['wall_s']:>8.3f} {1e6 * r['wall_s'] / n:>9.1f} "
                f"{r['peak_rss_mb']:>8.0f} {r['peak_rss_mb'] - r['base_rss_mb']:>9.0f}  "
                f"load {100 * r['load_s'] / r['wall_s']:.0f}%, "
                f"{_share(r['stages_s'], r['wall_s'])}",
                flush=True,
            )
    comparisons = []
    for n in a.compare:
        args = [
            "--compare-child",
            str(n),
            "--seed",
            str(a.seed),
            "--loop-events",
            str(a.loop_events),
            "--repeat",
            str(a.repeat),
        ] + (["--no-peer"] if a.no_peer else [])
        c = _spawn(args)
        comparisons.append(c)
        if "error" in c:
            print(f"comparison at {n:,} failed: {c['error']}", flush=True)
            continue
        loop_total = c["loop_per_event_ms"] * n / 1e3
        line = (
            f"{n:>9,} events: ours {c['ours_s']:.3f} s end to end (best of {a.repeat}; "
            f"first run {c['ours_first_s']:.3f} s); statsmodels loop "
            f"{c['loop_per_event_ms']:.2f} ms/event (on {c['loop_events']}) -> "
            f"{loop_total:.1f} s, ratio {loop_total / c['ours_s']:.1f}x "
            f"(max |dAR0| {c['loop_max_abs_diff_ar0']:.1e})"
        )
        if "peer_compute_s" in c:
            line += (
                f"; eventstudy 0.1a12 {c['peer_compute_s']:.2f} s compute / "
                f"{c['peer_total_s']:.2f} s with its data preparation -> ratio "
                f"{c['peer_compute_s'] / c['ours_s']:.1f}x / "
                f"{c['peer_total_s'] / c['ours_s']:.1f}x (max |dAR0| "
                f"{c['peer_max_abs_diff_ar0']:.1e})"
            )
        print(line, flush=True)
    if a.json:
        a.json.write_text(json.dumps({"runs": rows, "comparisons": comparisons}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
