"""Error of the approximate Kolari-Pynnonen correlation against the exact one.

Run from the repository root::

    python benchmarks/kp_approx.py                 # 10,000 events, 500 tickers
    python benchmarks/kp_approx.py --events 2000 --seed 3
    python benchmarks/kp_approx.py --cluster 0    # random dates only

The same synthetic study as ``benchmarks/engine.py`` (overlapping events of
500 stocks with a common sector factor) is run twice through the API: with
the default pair budget (``kp_max_pairs``: exact pair correlations) and with
``kp_max_pairs=0`` (the O(N x L) approximation from per-session sums of
standardised residuals). Printed per CAR window and for the day-by-day
statistics: the exact and approximate mean pair correlation ``r``, their
difference, and the largest differences in the KP statistic and its p-value.
With ``--cluster K`` (default 40) a second study puts the same events on K
dates (every ~4 months), where many windows overlap and ``r`` matters.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import engine as bench


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cluster", type=int, default=40)
    args = ap.parse_args(argv)
    events, long = bench.synthetic(args.events, "500", args.seed)
    compare(events, long, f"{args.events:,} events on random dates, seed {args.seed}")
    if args.cluster:
        days = bench.sessions()
        rng = np.random.default_rng(args.seed)
        picks = np.linspace(300, len(days) - 20, args.cluster).astype(int)
        events = events.assign(
            date=days[picks[rng.integers(0, args.cluster, len(events))]].strftime("%Y-%m-%d")
        )
        compare(events, long, f"{args.events:,} events on {args.cluster} dates, seed {args.seed}")
    return 0


def compare(events, long, title: str) -> None:
    """Run the study exactly and approximately; print the differences."""
    import eventstudy as es

    runs = {}
    for name, budget in (("exact", 5_000_000_000), ("approximate", 0)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            res = es.EventStudy(events, kp_max_pairs=budget).run(prices=long)
            runs[name] = (res, time.perf_counter() - t0)
    exact, t_exact = runs["exact"]
    approx, t_approx = runs["approximate"]
    assert exact.meta["kp_method"] == "exact", exact.meta["kp_method"]
    assert approx.meta["kp_method"] == "approximate", approx.meta["kp_method"]
    print(f"# KP approximation: {title}, 500 tickers")
    print(f"# run time: exact {t_exact:.2f} s, approximate {t_approx:.2f} s")
    print(f"{'window':>12} {'r exact':>12} {'r approx':>12} {'diff':>10}")
    r_e, r_a = exact.meta["kp_r"], approx.meta["kp_r"]
    diffs = []
    for key in r_e:
        d = r_a[key] - r_e[key]
        diffs.append(abs(d))
        if not key.startswith("day"):
            print(f"{key:>12} {r_e[key]:12.6f} {r_a[key]:12.6f} {d:10.2e}")
    print(f"max |r diff| over {len(diffs)} windows and days: {max(diffs):.2e}")
    te, ta = exact.tests, approx.tests
    for stat, col in (("kp", "value"), ("kp", "p_value")):
        a = te.loc[te["statistic"] == stat, col].to_numpy(float)
        b = ta.loc[ta["statistic"] == stat, col].to_numpy(float)
        print(f"max |{stat} {col} diff| (CAR windows): {np.nanmax(np.abs(a - b)):.2e}")
    ae, aa = exact.aar, approx.aar
    if "kp" in ae:
        print(f"max |kp diff| (single days): {np.nanmax(np.abs(ae['kp'] - aa['kp'])):.2e}")
    print()


if __name__ == "__main__":
    raise SystemExit(main())
