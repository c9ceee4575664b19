"""Prices -> returns on an exchange's trading sessions.

.. math:: R_t = P_t / P_{t-1} - 1 \\quad (\\text{or } \\ln(P_t / P_{t-1}))

between *consecutive sessions of the calendar*, not consecutive rows of the
data: a missing price makes the return of that session and of the next one
missing. Nothing is forward-filled and nothing is lumped across a gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def prices_on_sessions(prices: pd.Series, sessions: pd.DatetimeIndex) -> np.ndarray:
    """Prices aligned to ``sessions`` (NaN where the data has no price).

    Prices dated on a non-session are ignored here (the data checks report
    them).
    """
    idx = pd.DatetimeIndex(prices.index).as_unit("ns")
    values = prices.to_numpy(dtype="float64", na_value=np.nan)
    pos = sessions.get_indexer(idx)
    out = np.full(len(sessions), np.nan)
    ok = pos >= 0
    out[pos[ok]] = values[ok]
    return out


def session_returns(
    prices: pd.Series, sessions: pd.DatetimeIndex, return_type: str = "simple"
) -> np.ndarray:
    """Returns of ``prices`` on each session of ``sessions`` (first one NaN).

    ``return_type`` is ``"simple"`` (``P_t / P_{t-1} - 1``) or ``"log"``.
    """
    p = prices_on_sessions(prices, sessions)
    r = np.full(len(p), np.nan)
    if len(p) > 1:
        if return_type == "log":
            r[1:] = np.log(p[1:] / p[:-1])
        else:
            r[1:] = p[1:] / p[:-1] - 1.0
    return r


def last_price_position(prices: pd.Series, sessions: pd.DatetimeIndex) -> int:
    """Position in ``sessions`` of the last session with a price (-1 if none)."""
    p = prices_on_sessions(prices, sessions)
    finite = np.flatnonzero(np.isfinite(p))
    return int(finite[-1]) if finite.size else -1


def foreign_returns_on_sessions(
    returns: np.ndarray, own_sessions: pd.DatetimeIndex, target: pd.DatetimeIndex
) -> np.ndarray:
    """Re-index returns computed on ``own_sessions`` onto ``target`` sessions.

    Used for a benchmark that trades on another exchange than the stock: the
    benchmark's return on date ``t`` is its return over its own previous
    session; dates the benchmark did not trade are NaN.
    """
    pos = own_sessions.get_indexer(target)
    out = np.full(len(target), np.nan)
    ok = pos >= 0
    out[ok] = returns[pos[ok]]
    return out
