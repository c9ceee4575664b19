"""A placebo's rejection rates as a matrix: tests down, CAR windows across.

Each cell holds the rate at 5% (``placebo.csv``'s ``rate`` at ``level`` 0.05)
and its exact (Clopper-Pearson) 95% interval. In a size run (nothing
injected) a cell is flagged ``over`` when the interval lies above the size a
test of the right size has, ``under`` when it lies below. That reference is
the level, except for the two sign tests with ``p = 1/2``, which are discrete:
with ``N`` events and ``P(CAR > 0) = 1/2`` their exact size is

.. math::

    \\sum_{w :\\, p(w) < 0.05} \\binom{N}{w} 2^{-N}

with ``p(w)`` the test's own p-value of ``w`` positive CARs: the normal
approximation ``(w - N/2) / sqrt(N/4)`` for ``sign``, ``binomtest`` for
``sign_exact`` (6.49% and 3.28% at ``N = 50``, two-sided). ``N`` is the mean
number of pseudo-events per trial, rounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from eventstudy.report import fmt
from eventstudy.report.tables import TEST_LABELS

LEVEL = 0.05

#: The pooled per-event rows of ``placebo.csv``.
POOLED_LABELS = {
    "event_t": "Per-event t, pooled over pseudo-events",
    "event_sq": "Per-event sample quantile (SQ), pooled",
}

#: Tests whose reference size is their exact discrete size, not the level.
DISCRETE = ("sign", "sign_exact")


@dataclass(frozen=True)
class PlaceboCell:
    """One (test, window) cell: the 5% rate, its interval, the flag and a tooltip."""

    rate: str
    ci: str
    cls: str
    title: str


@dataclass(frozen=True)
class PlaceboMatrix:
    """``rows``: (statistic, display name, one cell per window)."""

    windows: list[str]
    rows: list[tuple[str, str, list[PlaceboCell]]]
    references: dict[str, float]
    flagged: bool


def discrete_size(stat: str, n: int, alternative: str, level: float = LEVEL) -> float | None:
    """Exact size of ``sign`` / ``sign_exact`` at ``n`` events with ``P(CAR > 0) = 1/2``
    (``None`` for other tests or ``n < 1``): the binomial mass of the counts it rejects."""
    if stat not in DISCRETE or n < 1:
        return None
    from scipy import stats

    from eventstudy.inference import alternative as alt
    from eventstudy.inference.extra import binom_two_sided

    w = np.arange(n + 1, dtype=float)
    nf = np.full_like(w, float(n))
    half = np.full_like(w, 0.5)
    if stat == "sign":
        z = (w - n / 2.0) / np.sqrt(n / 4.0)
        p = alt.from_two_sided(2.0 * stats.norm.sf(np.abs(z)), z, alternative)
    else:
        p = alt.binom_p(w, nf, half, alternative, binom_two_sided(w, nf, half))
    return float(stats.binom.pmf(w, n, 0.5)[p < level].sum())


def label(stat: str) -> str:
    """A statistic's display name (its code when it has none)."""
    return TEST_LABELS.get(stat) or POOLED_LABELS.get(stat) or stat


def placebo_matrix(table: Any, meta: dict[str, Any]) -> PlaceboMatrix:
    """The matrix of ``table`` (``placebo.csv``) for the run described by ``meta``."""
    from eventstudy.report.tables import records

    flagged = not meta.get("inject")
    n_events = round(float(meta.get("events_per_trial_mean") or 0))
    alternative = str(meta.get("alternative") or "two-sided")
    by: dict[tuple[str, int, int], dict[float, dict[str, Any]]] = {}
    windows: dict[tuple[int, int], None] = {}
    for r in records(table):
        a, b = int(r["start"]), int(r["end"])
        windows.setdefault((a, b), None)
        by.setdefault((str(r["statistic"]), a, b), {})[float(r["level"])] = r
    stats_order = list(dict.fromkeys(s for s, _, _ in by))
    known = [s for s in (*TEST_LABELS, *POOLED_LABELS) if s in stats_order]
    stats_order = known + [s for s in stats_order if s not in known]
    references = {
        s: ref for s in stats_order if (ref := discrete_size(s, n_events, alternative)) is not None
    }
    rows = []
    for s in stats_order:
        ref = references.get(s, LEVEL)
        cells = []
        for a, b in windows:
            levels = by.get((s, a, b))
            five = (levels or {}).get(LEVEL)
            if five is None or not np.isfinite(five["rate"]):
                cells.append(PlaceboCell("n/a", "", "na", "not computed"))
                continue
            lo, hi = float(five["ci_low"]), float(five["ci_high"])
            cls = ""
            if flagged and lo > ref:
                cls = "over"
            elif flagged and hi < ref:
                cls = "under"
            others = " · ".join(
                f"{100 * lv:g}%: {fmt.pct(r['rate'], 1, sign=False)}"
                for lv, r in sorted((levels or {}).items())
            )
            title = f"{others} · {int(five['trials'])} trials"
            if s in references:
                title += f" · exact size of the test at N = {n_events}: {100 * ref:.2f}%"
            cells.append(
                PlaceboCell(
                    fmt.pct(five["rate"], 1, sign=False),
                    f"{100 * lo:.1f}-{100 * hi:.1f}",
                    cls,
                    title,
                )
            )
        rows.append((s, label(s), cells))
    return PlaceboMatrix([fmt.window(a, b) for a, b in windows], rows, references, flagged)
