"""Acceptance experiment of issue 10: ``eventstudy placebo`` on the real 505-stock universe.

Run from the repository root::

    python benchmarks/placebo_acceptance.py /tmp/plc                 # prepare + 3 runs
    python benchmarks/placebo_acceptance.py /tmp/plc --trials 200    # quicker look
    python benchmarks/placebo_acceptance.py /tmp/plc --prepare-only

Reads only ``../shared/data`` (never writes there); everything goes to OUT:

* ``OUT/prices.csv``: long ``ticker,date,adj_close`` of the 505 stocks of
  ``universe/sp500_5yr_2013_2018.csv.gz`` (2013-02-08..2018-02-07; that file has no
  adjusted close, so ``close``, split- but not dividend-adjusted, is used) with the
  price set missing on every session whose simple return is beyond +-25% (spin-offs,
  bad prints: the issue's "returns beyond +-25% set missing"; the engine then drops
  that session's and the next session's return), plus ``^GSPC`` from
  ``prices_legacy/GSPC_1999_2018.csv`` (``Adj Close`` = ``Close``, a price index) on
  the same dates;
* ``OUT/universe.txt``: the 505 tickers;
* ``OUT/events.csv``: 50 events (seed 2024), random tickers of the universe on random
  sessions whose whole estimation and event windows fit in the data, benchmark
  ``^GSPC``;
* ``OUT/size``, ``OUT/power``, ``OUT/cluster``: the three placebo runs (1,000 trials,
  ``--car-window 0 0 --car-window -1 1``, seed 1): (a) size, (b) ``--inject 0.005``,
  (c) ``--cluster`` (all pseudo-events of a trial on one day).

Prints the markdown table of the 5% rejection rates (two-sided) with the
Clopper-Pearson interval, the commands and the wall time of each run, and the
exact discrete size of the sign tests at N = 50 (what they should match).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CUT = 0.25
N_EVENTS = 50


def prepare(out: Path, data: Path = DATA, seed: int = 2024) -> dict[str, Path]:
    """Write prices.csv, universe.txt and events.csv into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    if data.resolve() in (out.resolve(), *out.resolve().parents):
        raise SystemExit(f"refusing to write into the shared data folder {data}")
    uni = pd.read_csv(
        data / "universe" / "sp500_5yr_2013_2018.csv.gz", usecols=["date", "close", "Name"]
    )
    uni = uni.rename(columns={"Name": "ticker", "close": "adj_close"})
    uni["date"] = pd.to_datetime(uni["date"])
    uni = uni.sort_values(["ticker", "date"], kind="stable").reset_index(drop=True)
    ret = uni.groupby("ticker", sort=False)["adj_close"].pct_change()
    beyond = ret.abs() > CUT
    uni.loc[beyond, "adj_close"] = np.nan
    gspc = pd.read_csv(data / "prices_legacy" / "GSPC_1999_2018.csv", usecols=["Date", "Adj Close"])
    gspc = gspc.rename(columns={"Date": "date", "Adj Close": "adj_close"})
    gspc["date"] = pd.to_datetime(gspc["date"])
    first, last = uni["date"].min(), uni["date"].max()
    gspc = gspc[(gspc["date"] >= first) & (gspc["date"] <= last)].assign(ticker="^GSPC")
    prices = pd.concat([uni, gspc[["date", "adj_close", "ticker"]]], ignore_index=True)
    prices = prices[["ticker", "date", "adj_close"]]
    paths = {
        "prices": out / "prices.csv",
        "universe": out / "universe.txt",
        "events": out / "events.csv",
    }
    prices.to_csv(paths["prices"], index=False, date_format="%Y-%m-%d")
    tickers = sorted(uni["ticker"].unique())
    paths["universe"].write_text("\n".join(tickers) + "\n", encoding="utf-8")
    # 50 events: a random ticker on a random session of the GSPC dates whose estimation
    # window [-250, -11] (plus the session before) and event window [-10, +10] fit.
    days = pd.DatetimeIndex(sorted(gspc["date"]))
    rng = np.random.default_rng(seed)
    spans = uni.dropna().groupby("ticker")["date"].agg(["min", "max"])
    rows = []
    while len(rows) < N_EVENTS:
        t = tickers[int(rng.integers(len(tickers)))]
        lo = max(days.searchsorted(spans.loc[t, "min"]) + 251, 251)
        hi = days.searchsorted(spans.loc[t, "max"], side="right") - 1 - 10
        if lo > hi:
            continue
        rows.append({"ticker": t, "date": f"{days[int(rng.integers(lo, hi + 1))]:%Y-%m-%d}"})
    events = pd.DataFrame(rows).assign(benchmark="^GSPC")
    events.to_csv(paths["events"], index=False)
    print(
        f"prepared {out}: {len(prices):,} price rows, {int(beyond.sum())} prices set missing "
        f"(|return| > {CUT:.0%}), {len(tickers)} tickers, {len(events)} events",
        file=sys.stderr,
    )
    return paths


def sign_sizes(n: int = N_EVENTS, level: float = 0.05) -> dict[str, float]:
    """Exact size of the sign tests at ``n`` events if P(CAR > 0) = 1/2."""
    w = np.arange(n + 1)
    pmf = stats.binom.pmf(w, n, 0.5)
    z = (w - n / 2) / np.sqrt(n / 4)
    normal = 2 * stats.norm.sf(np.abs(z)) < level
    exact = np.array([stats.binomtest(int(k), n, 0.5).pvalue < level for k in w])
    return {"sign": float(pmf[normal].sum()), "sign_exact": float(pmf[exact].sum())}


EXPERIMENTS = {
    "size": [],
    "power": ["--inject", "0.005"],
    "cluster": ["--cluster"],
}


def run(out: Path, paths: dict[str, Path], trials: int, seed: int, extra: list[str]) -> dict:
    results = {}
    for name, flags in EXPERIMENTS.items():
        cmd = [
            "eventstudy",
            "placebo",
            str(paths["events"]),
            "--prices",
            str(paths["prices"]),
            "--universe",
            str(paths["universe"]),
            "--trials",
            str(trials),
            "--seed",
            str(seed),
            "--car-window",
            "0",
            "0",
            "--car-window",
            "-1",
            "1",
            *flags,
            *extra,
            "--out",
            str(out / name),
            "--quiet",
        ]
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "eventstudy", *cmd[1:]], check=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        table = pd.read_csv(out / name / "placebo.csv")
        results[name] = {"cmd": shlex.join(cmd), "wall": wall, "table": table}
        print(f"{name}: {wall:.1f} s", file=sys.stderr)
    return results


def markdown(results: dict) -> str:
    keys = None
    cols = {}
    for name, res in results.items():
        t = res["table"]
        t = t[t["level"] == 0.05].set_index(["start", "end", "statistic"])
        cols[name] = t
        keys = t.index if keys is None else keys
    assert keys is not None
    head = "| window | test | " + " | ".join(f"{n} 5% (95% CI)" for n in cols) + " |"
    lines = [head, "|---|---|" + "---:|" * len(cols)]
    for a, b, stat in keys:
        cells = []
        for t in cols.values():
            if (a, b, stat) not in t.index:
                cells.append("")
                continue
            r = t.loc[(a, b, stat)]
            cells.append(
                f"{100 * r['rate']:.1f}% ({100 * r['ci_low']:.1f}-{100 * r['ci_high']:.1f})"
            )
        lines.append(f"| [{a:+d},{b:+d}] | {stat} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="folder for the data and the runs (not ../shared)")
    ap.add_argument("--trials", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prepare-only", action="store_true")
    ap.add_argument("--data", type=Path, default=DATA, help="the shared data folder (read only)")
    ap.add_argument("extra", nargs="*", help="more placebo options after --, e.g. -- --workers 2")
    args = ap.parse_args(argv)
    paths = prepare(args.out, args.data)
    if args.prepare_only:
        return
    results = run(args.out, paths, args.trials, args.seed, args.extra)
    print(markdown(results))
    print()
    for name, res in results.items():
        print(f"- {name} ({res['wall']:.1f} s): `{res['cmd']}`")
    sizes = sign_sizes()
    print(
        f"- exact discrete 5% size at N = {N_EVENTS} if P(CAR > 0) = 1/2: "
        f"sign (normal approximation) {100 * sizes['sign']:.2f}%, "
        f"sign_exact (binomtest) {100 * sizes['sign_exact']:.2f}%"
    )


if __name__ == "__main__":
    main()
