"""Per-event CAR statistics (METHODS.md section 4).

.. math::

    CAR = \\sum_{t \\in w} AR_t, \\qquad SE = \\sqrt{1' V_w 1}, \\qquad
    t = SCAR = CAR / SE, \\qquad p = 2 P(T_d > |t|)

(``greater``: ``p = P(T_d > t)``; ``less``: ``P(T_d < t)``.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special


def two_sided_t(stat: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """``2 P(T_df > |stat|) = I_x(df/2, 1/2)``, ``x = df / (df + t^2)`` (the regularised
    incomplete beta function, vectorised; ``1 - I_{1-x}(1/2, df/2)`` where ``x > 1/2``)."""
    stat = np.asarray(stat, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        t2 = stat * stat
        x = df / (df + t2)
        # Near p = 1 (small |t|), 1 - x = t^2 / (df + t^2) is exact where x is not.
        p = np.where(
            x > 0.5,
            1.0 - special.betainc(0.5, df / 2.0, t2 / (df + t2)),
            special.betainc(df / 2.0, 0.5, x),
        )
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


def car_stats(
    ar: np.ndarray,
    car_var: np.ndarray,
    dof: np.ndarray,
    cols: np.ndarray,
    alternative: str = "two-sided",
) -> CarStats:
    """``CAR = sum AR``; ``SE = sqrt(1'V_w 1)``; ``t = SCAR = CAR/SE``; p from ``t_d``
    (two-sided, or one-sided for ``alternative`` ``greater`` / ``less``).

    A window with any missing AR has no CAR (NaN).
    """
    window = ar[:, cols]
    complete = np.isfinite(window).all(axis=1)
    car = np.where(complete, window.sum(axis=1), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(complete, np.sqrt(car_var), np.nan)
        t = car / se
    p = np.where(np.isfinite(t), two_sided_t(t, np.where(dof > 0, dof, 1)), np.nan)
    if alternative != "two-sided":
        from eventstudy.inference.alternative import from_two_sided

        p = from_two_sided(p, t, alternative)
    return CarStats(car=car, se=se, t=t, p=p, scar=t)
