"""Number formats shared by the report's tables, charts and notebook summary.

Returns are shown in percent with an explicit sign (``+1.80%``), statistics
with two decimals, p-values with three (``<0.001`` below that). Tests compare
the displayed text with the CSV outputs at exactly these precisions.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

PCT_DIGITS = 2
STAT_DIGITS = 2
P_DIGITS = 3


def as_float(x: Any) -> float:
    """``float(x)``, NaN for anything missing or not a number."""
    if x is None or x is pd.NA or x is pd.NaT:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def finite(x: Any) -> bool:
    return math.isfinite(as_float(x))


def pct(x: Any, digits: int = PCT_DIGITS, sign: bool = True) -> str:
    """A decimal return as percent: ``0.018 -> '+1.80%'``; ``''`` when missing."""
    v = as_float(x)
    if not math.isfinite(v):
        return ""
    return f"{100 * v:{'+' if sign else ''}.{digits}f}%"


def num(x: Any, digits: int = STAT_DIGITS) -> str:
    """A plain number with ``digits`` decimals; ``''`` when missing."""
    v = as_float(x)
    return f"{v:.{digits}f}" if math.isfinite(v) else ""


def pval(p: Any) -> str:
    """A p-value with three decimals, ``<0.001`` below that; ``''`` when missing."""
    v = as_float(p)
    if not math.isfinite(v):
        return ""
    return "<0.001" if v < 0.0005 else f"{v:.{P_DIGITS}f}"


def p_class(p: Any) -> str:
    """CSS class of a p-value: ``p01``, ``p05``, ``p10`` or ``ns`` (``na`` if missing)."""
    v = as_float(p)
    if not math.isfinite(v):
        return "na"
    if v < 0.01:
        return "p01"
    if v < 0.05:
        return "p05"
    if v < 0.10:
        return "p10"
    return "ns"


def sort_key(x: Any) -> str:
    """The exact value for sorting (``data-v``): shortest round-trip float text."""
    v = as_float(x)
    return repr(v) if math.isfinite(v) else ""


def date(x: Any) -> str:
    """``YYYY-MM-DD`` of a timestamp or date-like value; ``''`` when missing."""
    if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return ""
    try:
        return pd.Timestamp(x).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(x)


def text(x: Any) -> str:
    """Any cell as text; missing values become ``''``."""
    if x is None or x is pd.NA or x is pd.NaT:
        return ""
    if isinstance(x, float) and math.isnan(x):
        return ""
    return str(x)


def window(start: Any, end: Any) -> str:
    """``[-1,+1]`` (relative days, inclusive)."""
    return f"[{int(start):+d},{int(end):+d}]".replace("+0,", "0,").replace(",+0]", ",0]")


def p_kind(alternative: str) -> str:
    """What a p-value of the run is: ``two-sided p-value`` or ``one-sided p-value
    (greater: H1 abnormal return > 0)``."""
    if alternative == "two-sided":
        return "two-sided p-value"
    sign = ">" if alternative == "greater" else "<"
    return f"one-sided p-value ({alternative}: H1 abnormal return {sign} 0)"


#: Tests whose statistic is a count or a rank sum: shown without decimals when whole.
COUNT_STATISTICS = frozenset({"sign_exact", "gen_sign_exact", "wilcoxon"})


def statistic(name: str, x: Any, digits: int = STAT_DIGITS) -> str:
    """A test statistic: a count (``sign_exact``: the positive CARs; ``wilcoxon``:
    W+, a rank sum, .5 with ties) as a whole number, the rest with ``digits``."""
    v = as_float(x)
    if name in COUNT_STATISTICS and math.isfinite(v) and float(v).is_integer():
        return f"{v:.0f}"
    return num(v, digits)
