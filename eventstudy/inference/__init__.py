"""Per-event CAR statistics and the cross-sectional test battery (METHODS.md 4-5).

One module per family: :mod:`~eventstudy.inference.car` (per-event CAR, SE, t,
p), :mod:`~eventstudy.inference.battery` (the parametric and sign tests for
many windows at once), :mod:`~eventstudy.inference.rank` (Corrado and
Wilcoxon), :mod:`~eventstudy.inference.kp` (the Kolari-Pynnonen
cross-correlation), :mod:`~eventstudy.inference.extra` (the tests beyond
METHODS.md section 5: Brown-Warner crude dependence, GRANK, adjusted Patell,
skewness-adjusted t, exact binomial sign tests). Every test reports one
shape: name, statistic, p-value, null distribution, degrees of freedom and
``N``; all p-values are two-sided.
"""

from __future__ import annotations

from eventstudy.inference.battery import TEST_NAMES, Columns, TestColumn, battery
from eventstudy.inference.car import CarStats, car_stats, two_sided_normal, two_sided_t

__all__ = [
    "TEST_NAMES",
    "CarStats",
    "Columns",
    "TestColumn",
    "battery",
    "car_stats",
    "two_sided_normal",
    "two_sided_t",
]
