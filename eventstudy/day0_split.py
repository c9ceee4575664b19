"""Day 0 split into its overnight and intraday parts, each abnormal (``day0_split.csv``).

With daily open and close prices, day 0's return splits exactly into

.. math::

    1 + R_0 = (1 + R^{on})(1 + R^{id}), \\quad
    R^{on} = \\frac{O_0 f_0}{P_{-1}} - 1, \\quad R^{id} = \\frac{C_0}{O_0} - 1

with ``P`` the adjusted close, ``C, O`` the raw close and open and
``f_0 = P_0 / C_0`` the day's adjustment factor (1 where there is no adjusted
close, as for an index): the overnight part runs from the previous session's
close to day 0's open, the intraday part from the open to the close. Each part
is abnormal against the benchmark's own part:

.. math::

    AR^{on} = R^{on} - \\beta R_m^{on}, \\qquad AR^{id} = R^{id} - \\alpha - \\beta R_m^{id}

with the event's market-model ``alpha, beta`` (``alpha`` is a full session's
drift, put in the session part); ``market_adjusted``: ``alpha = 0, beta = 1``;
``constant_mean``: ``alpha = mu, beta = 0``; factor models (no overnight
factor returns): market-adjusted, said in ``split_model``. For an
``after_close`` announcement the overnight part is the reaction to the news.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["COLUMNS", "day0_split"]

COLUMNS = [
    "event_id",
    "ticker",
    "benchmark",
    "day0",
    "ret",
    "ret_overnight",
    "ret_intraday",
    "benchmark_overnight",
    "benchmark_intraday",
    "ar_overnight",
    "ar_intraday",
    "split_model",
    "note",
]


def _parts(frame: pd.DataFrame | None, days: np.ndarray) -> tuple[np.ndarray, ...]:
    """``R_0, R_on, R_id`` of one symbol on each of ``days`` (NaN where unknown)."""
    n = len(days)
    nan = np.full(n, np.nan)
    if frame is None or frame.empty or "open" not in frame:
        return nan, nan, nan
    idx = pd.DatetimeIndex(frame.index)
    adj = frame["adj_close"].to_numpy(dtype=float)
    close = frame["close"].to_numpy(dtype=float) if "close" in frame else adj
    opn = frame["open"].to_numpy(dtype=float)
    pos = idx.searchsorted(pd.DatetimeIndex(days))
    ok = (pos > 0) & (pos < len(idx))
    safe = np.clip(pos, 1, max(len(idx) - 1, 1))
    ok &= idx[np.minimum(safe, len(idx) - 1)] == pd.DatetimeIndex(days)
    p0, pm1 = adj[safe], adj[safe - 1]
    c0, o0 = close[safe], opn[safe]
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(np.isfinite(c0) & (c0 > 0), p0 / c0, np.nan)
        r0 = p0 / pm1 - 1.0
        r_on = o0 * factor / pm1 - 1.0
        r_id = c0 / o0 - 1.0
    bad = ~ok | ~np.isfinite(r_on) | ~np.isfinite(r_id) | (o0 <= 0)
    return (np.where(bad, np.nan, r0), np.where(bad, np.nan, r_on), np.where(bad, np.nan, r_id))


def day0_split(
    events: pd.DataFrame, prices: dict[str, pd.DataFrame] | object, model: str
) -> pd.DataFrame:
    """One row per event with numbers (``ok`` or ``pending``); ``note`` says why a split
    is missing. ``prices``: frames by symbol (``res.prices``)."""
    ev = events[events["status"].isin(["ok", "pending"])].reset_index(drop=True)
    n = len(ev)
    days = pd.DatetimeIndex(ev["day0"]).to_numpy(dtype="datetime64[ns]")
    parts = {name: np.full(n, np.nan) for name in ("r0", "r_on", "r_id", "m_on", "m_id")}
    for col, keys in (("ticker", ("r0", "r_on", "r_id")), ("benchmark", (None, "m_on", "m_id"))):
        symbols = ev[col].astype(str).to_numpy(dtype=object)
        for sym in pd.unique(symbols):
            rows = np.flatnonzero(symbols == sym)
            frame = prices.get(sym) if hasattr(prices, "get") else None
            got = _parts(frame, days[rows])
            for key, values in zip(keys, got, strict=True):
                if key is not None:
                    parts[key][rows] = values
    alpha, beta, how = _coefficients(ev, model)
    ar_on = parts["r_on"] - beta * parts["m_on"]
    ar_id = parts["r_id"] - alpha - beta * parts["m_id"]
    note = np.where(
        ~np.isfinite(parts["r_on"]),
        "no open price for day 0 (or no previous close)",
        np.where(~np.isfinite(parts["m_on"]), "no benchmark open price for day 0", ""),
    )
    return pd.DataFrame(
        {
            "event_id": ev["event_id"].astype(str).to_numpy(),
            "ticker": ev["ticker"].astype(str).to_numpy(),
            "benchmark": ev["benchmark"].astype(str).to_numpy(),
            "day0": pd.DatetimeIndex(ev["day0"]),
            "ret": parts["r0"],
            "ret_overnight": parts["r_on"],
            "ret_intraday": parts["r_id"],
            "benchmark_overnight": parts["m_on"],
            "benchmark_intraday": parts["m_id"],
            "ar_overnight": ar_on,
            "ar_intraday": ar_id,
            "split_model": how,
            "note": note,
        },
        columns=COLUMNS,
    )


def _coefficients(ev: pd.DataFrame, model: str) -> tuple[np.ndarray, np.ndarray, str]:
    n = len(ev)

    def col(name: str, default: float) -> np.ndarray:
        if name in ev:
            return ev[name].to_numpy(dtype=float, na_value=np.nan)
        return np.full(n, default)

    if model in ("market", "scholes_williams", "dimson", "garch"):
        return col("alpha", np.nan), col("beta", np.nan), f"{model} (alpha in the session)"
    if model == "constant_mean":
        return col("mu", np.nan), np.zeros(n), "constant mean (in the session)"
    if model == "market_adjusted":
        return np.zeros(n), np.ones(n), "market adjusted"
    return np.zeros(n), np.ones(n), "market adjusted (factor models have no overnight factors)"
