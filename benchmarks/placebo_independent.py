"""An independent check of the placebo table: ``t_cs`` and ``skew_t`` size and power
on the 505-stock universe, computed here from the price file with plain numpy.

Run after ``python benchmarks/placebo_acceptance.py OUT --prepare-only``::

    python benchmarks/placebo_independent.py /tmp/plc                # 4,000 trials
    python benchmarks/placebo_independent.py /tmp/plc --trials 1000 --seed 3

Shares no code with the package. Per trial, 50 events: a ticker drawn uniformly
from ``OUT/universe.txt`` and day 0 uniformly from the sessions of ``^GSPC``
whose estimation window ``[-250, -11]`` and event window ``[-10, +10]`` lie in
the data; a draw is taken again when it has fewer than 120 estimation returns
or a missing return in ``[-1, +1]`` (46 of 620,299 prices are missing). Simple
returns, market model by OLS on the estimation returns (``beta = cov/var``),
``AR = R - alpha - beta R_m``; ``CAR[-1,+1]`` the sum of three ARs; ``--inject``
adds to day 0's AR. Tests, two-sided at 5%:

* ``t_cs``: ``mean / (sd / sqrt(N))``, ``sd`` with ddof 1, Student t with ``N - 1``;
* ``skew_t``: ``sqrt(N) (S + g S^2/3 + g/(6N))``, ``S = mean/sd``, ``g`` the sample
  skewness ``sum(d^3)/(N sd^3)``; p from 999 resamples of the centred CARs with the
  same statistic, symmetric ``(#(|t_b| >= |t|) + 1)/(B + 1)``, and for comparison the
  normal p.

Prints the rates with their Clopper-Pearson 95% interval.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

N_EVENTS = 50
EST = (-250, -11)
EVENT_END = 10
MIN_EST = 120
REPS = 999


def load(out: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Stock returns ``T x K``, market returns ``T`` and the universe's tickers."""
    prices = pd.read_csv(out / "prices.csv", parse_dates=["date"])
    wide = prices.pivot(index="date", columns="ticker", values="adj_close").sort_index()
    rets = wide.pct_change(fill_method=None)
    market = rets.pop("^GSPC").to_numpy()
    universe = (out / "universe.txt").read_text(encoding="utf-8").split()
    return rets[universe].to_numpy(), market, universe


def draw_ars(r: np.ndarray, m: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n x 2`` abnormal returns: day 0's AR and the sum over ``[-1, +1]``."""
    n_t, n_k = r.shape
    valid = np.isfinite(r)
    first = valid.argmax(axis=0)
    last = n_t - 1 - valid[::-1].argmax(axis=0)
    out = np.empty((n, 2))
    got = 0
    while got < n:
        k = int(rng.integers(n_k))
        lo, hi = max(first[k] + 1 - EST[0], 1 - EST[0]), last[k] - EVENT_END
        if lo > hi:
            continue
        t0 = int(rng.integers(lo, hi + 1))
        y, x = r[t0 + EST[0] : t0 + EST[1] + 1, k], m[t0 + EST[0] : t0 + EST[1] + 1]
        ok = np.isfinite(y) & np.isfinite(x)
        window = r[t0 - 1 : t0 + 2, k]
        if ok.sum() < MIN_EST or not np.isfinite(window).all():
            continue
        y, x = y[ok], x[ok]
        beta = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
        alpha = y.mean() - beta * x.mean()
        ar = window - alpha - beta * m[t0 - 1 : t0 + 2]
        out[got] = ar[1], ar.sum()
        got += 1
    return out


def skew_adjusted(x: np.ndarray) -> np.ndarray:
    """Skewness-adjusted t of each row of ``x`` (rows: samples)."""
    n = x.shape[-1]
    mean = x.mean(axis=-1, keepdims=True)
    d = x - mean
    sd = np.sqrt((d**2).sum(axis=-1) / (n - 1))
    s = mean[..., 0] / sd
    g = (d**3).sum(axis=-1) / (n * sd**3)
    return np.sqrt(n) * (s + g * s * s / 3 + g / (6 * n))


def p_values(car: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per trial (rows of ``car``) the p-values of the tests."""
    trials, n = car.shape
    t = car.mean(axis=1) / (car.std(axis=1, ddof=1) / np.sqrt(n))
    sa = skew_adjusted(car)
    boot = np.empty(trials)
    for i in range(trials):
        d = car[i] - car[i].mean()
        tb = skew_adjusted(d[rng.integers(0, n, size=(REPS, n))])
        boot[i] = (np.count_nonzero(np.abs(tb) >= abs(sa[i])) + 1) / (REPS + 1)
    return {
        "t_cs": 2 * stats.t.sf(np.abs(t), n - 1),
        "skew_t (symmetric bootstrap p)": boot,
        "skew_t (normal p)": 2 * stats.norm.sf(np.abs(sa)),
    }


def cell(p: np.ndarray, level: float = 0.05) -> str:
    k, n = int((p < level).sum()), len(p)
    ci = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
    return f"{100 * k / n:.1f}% ({100 * ci.low:.1f}-{100 * ci.high:.1f})"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="folder prepared by placebo_acceptance.py")
    ap.add_argument("--trials", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--inject", type=float, nargs="+", default=[0.0, 0.005])
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    r, m, universe = load(args.out)
    rng = np.random.default_rng(args.seed)
    ars = draw_ars(r, m, args.trials * N_EVENTS, rng).reshape(args.trials, N_EVENTS, 2)
    print(
        f"{args.trials:,} trials of {N_EVENTS} events from {len(universe)} tickers, "
        f"seed {args.seed}; two-sided 5% (95% interval)\n"
    )
    head = "| test | " + " | ".join(
        f"{'size' if inj == 0 else f'power +{100 * inj:g}%'} {w}"
        for inj in args.inject
        for w in ("[0,0]", "[-1,+1]")
    )
    rows: dict[str, list[str]] = {}
    for inj in args.inject:
        for j in range(2):
            car = ars[:, :, j] + inj
            for name, p in p_values(car, rng).items():
                rows.setdefault(name, []).append(cell(p))
    print(head + " |")
    print("|---|" + "---:|" * (2 * len(args.inject)))
    for name, cells in rows.items():
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\n{time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
