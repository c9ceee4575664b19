"""Per-event CAR statistics (METHODS.md section 4).

.. math::

    CAR = \\sum_{t \\in w} AR_t, \\qquad SE = \\sqrt{1' V_w 1}, \\qquad
    t = SCAR = CAR / SE, \\qquad p = 2 P(T_d > |t|)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special


def two_sided_t(stat: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """``2 P(T_df > |stat|)`` (the regularised incomplete beta function, vectorised)."""
    stat = np.asarray(stat, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        x = df / (df + stat * stat)
        p = special.betainc(df / 2.0, 0.5, x)
    return np.where(np.isinf(stat) & (df > 0), 0.0, p)


def two_sided_normal(stat: np.ndarray | float) -> np.ndarray:
    """``2 P(Z > |stat|)``."""
    return special.erfc(np.abs(np.asarray(stat, dtype=float)) / np.sqrt(2.0))


@dataclass(frozen=True)
class CarStats:
    """Per-event CAR over one window: ``car, se, t, p, scar`` (N,)."""

    car: np.ndarray
    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    scar: np.ndarray


def car_stats(ar: np.ndarray, car_var: np.ndarray, dof: np.ndarray, cols: np.ndarray) -> CarStats:
    """``CAR = sum AR``; ``SE = sqrt(1'V_w 1)``; ``t = SCAR = CAR/SE``; p from ``t_d``.

    A window with any missing AR has no CAR (NaN).
    """
    window = ar[:, cols]
    complete = np.isfinite(window).all(axis=1)
    car = np.where(complete, window.sum(axis=1), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(complete, np.sqrt(car_var), np.nan)
        t = car / se
    p = np.where(np.isfinite(t), two_sided_t(t, np.where(dof > 0, dof, 1)), np.nan)
    return CarStats(car=car, se=se, t=t, p=p, scar=t)
