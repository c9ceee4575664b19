"""The report's only door to the result's long tables: compact per-event arrays.

Every other module of the report reads ``res.estimation``, ``res.ar``,
``res.car`` and ``res.prices`` through these views only, so that a result
backed by the engine's arrays needs nothing but a new implementation of the
``from_result`` constructors below.

Contract
--------
All per-event arrays have one row per event **in the order of**
``res.events`` (row ``i`` is ``res.events.iloc[i]``, id ``event_ids[i]``);
an event without rows in a table has an all-NaN (or all-False) row. Numbers
are float64 decimals (``0.018`` is 1.8%), dates ``datetime64[ns]`` (NaT
where unused). Each long table is read once; rows are placed by one
factorize of its ``event_id`` column and (for the estimation window) one
sort, never by per-event filtering. Views are read-only.

:class:`EstimationView` (``EstimationView.from_result(res)``)
    ``event_ids`` (N,), ``model``, ``n`` (N,) int: rows used by the fit.
    Rows are left-aligned in date order: row ``i`` uses columns ``0..n[i]-1``
    of ``dates``, ``ret``, ``y``, ``benchmark``, ``fitted``, ``resid`` (N, L),
    NaN (NaT) beyond. ``ret`` is the stock return, ``y`` the regression's
    dependent variable (``ret``; ``ret - RF`` for factor models), ``fitted``
    the engine's expected return on the scale of ``ret`` and ``resid`` the
    engine's residual ``ret - fitted``. ``x`` (N, L, k) are the regressors,
    first column the constant (``market``: ``[1, R_m]``; ``constant_mean``:
    ``[1]``; factor models: ``[1, factors...]``; ``market_adjusted``: k = 0),
    NaN beyond ``n``; ``None`` when the result does not carry them (a factor
    model without its factor columns).
:class:`EventWindowView` (``EventWindowView.from_result(res)``)
    The rows of ``res.ar`` on the event window ``days`` (D,): ``present``
    (N, D) bool, ``date`` (N, D) and the float columns ``ret``,
    ``benchmark_ret``, ``expected``, ``ar``, ``se``, ``car`` (N, D);
    ``car_se`` (N, D) or ``None`` when the result has no SE of the
    cumulative AR; ``x`` (N, D, k) the event-window regressors as in
    :class:`EstimationView` (``None`` when not recoverable).
:class:`CarView` (``CarView.from_result(res)``)
    The rows of ``res.car`` on the study's CAR ``windows`` (W,): ``present``
    (N, W) bool and ``car``, ``se``, ``t``, ``p_value``, ``scar`` (N, W).
:class:`PriceView` (``PriceView.from_result(res)``)
    Per ticker the sorted dates and ``close`` / ``adj_close`` arrays:
    ``has(ticker)``, ``column(ticker)`` (``"close"`` when it has a value,
    else ``"adj_close"``) and ``slice(ticker, lo, hi)`` -> ``(dates,
    values)`` of that column between two dates (inclusive).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from eventstudy.result import StudyResult

__all__ = ["CarView", "EstimationView", "EventWindowView", "PriceView", "event_ids"]

NAT = np.datetime64("NaT", "ns")


def event_ids(res: StudyResult) -> np.ndarray:
    """The event ids of ``res.events`` as an array of ``str`` (the order of every view)."""
    return np.asarray(res.events["event_id"].astype(str).to_numpy(), dtype=object)


def positions(ids: np.ndarray, column: pd.Series) -> np.ndarray:
    """Row position in ``ids`` of each value of ``column`` (``-1``: not an event), one factorize."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    where = pd.Index(ids).get_indexer(pd.Index(uniques).astype(str))
    out = np.where(codes >= 0, where[np.maximum(codes, 0)], -1)
    return np.asarray(out, dtype=np.int64)


def _floats(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df:
        return np.full(len(df), np.nan)
    return np.asarray(df[name].to_numpy(dtype=float, na_value=np.nan), dtype=float)


def _dates(df: pd.DataFrame, name: str = "date") -> np.ndarray:
    if name not in df:
        return np.full(len(df), NAT)
    return np.asarray(pd.DatetimeIndex(df[name]).as_unit("ns").to_numpy(), dtype="datetime64[ns]")


def _factor_column(df: pd.DataFrame, name: str) -> str | None:
    for c in (name, name.lower(), name.upper()):
        if c in df.columns:
            return c
    return None


def _regressor_columns(model: str, df: pd.DataFrame) -> list[str] | None:
    """Non-constant regressor columns of ``model`` in ``df`` (``None``: not recoverable)."""
    from eventstudy.settings import FACTOR_MODELS

    if model == "market":
        return ["benchmark_ret"] if "benchmark_ret" in df.columns else None
    if model in ("constant_mean", "market_adjusted"):
        return []
    if model in ("scholes_williams", "dimson", "garch"):
        return None  # not one OLS fit on [1, R_m]
    cols = [_factor_column(df, f) for f in FACTOR_MODELS.get(model, ())]
    if not cols or any(c is None for c in cols):
        return None
    return [c for c in cols if c]


def _design(model: str, df: pd.DataFrame) -> np.ndarray | None:
    """``(rows, k)`` regressors of ``df`` with the constant first (``(rows, 0)``: none)."""
    cols = _regressor_columns(model, df)
    if cols is None:
        return None
    if model == "market_adjusted":
        return np.zeros((len(df), 0))
    return np.column_stack([np.ones(len(df)), *(_floats(df, c) for c in cols)])


def _scatter(
    shape: tuple[int, ...],
    rows: np.ndarray,
    cols: np.ndarray,
    values: np.ndarray,
    fill: object = np.nan,
) -> np.ndarray:
    out = np.full(shape + values.shape[1:], fill, dtype=values.dtype)
    out[rows, cols] = values
    return out


@dataclass(frozen=True)
class EstimationView:
    """Estimation-window rows per event, left-aligned (see the module docstring)."""

    event_ids: np.ndarray
    model: str
    n: np.ndarray
    dates: np.ndarray
    ret: np.ndarray
    y: np.ndarray
    benchmark: np.ndarray
    fitted: np.ndarray
    resid: np.ndarray
    x: np.ndarray | None

    @classmethod
    def from_result(cls, res: StudyResult) -> EstimationView:
        from eventstudy.settings import FACTOR_MODELS

        ids, model = event_ids(res), res.settings.model
        est = res.estimation  # read once: it may be built lazily
        n_ev = len(ids)
        if est is None or est.empty or "event_id" not in est:
            return cls.empty(ids, model)
        pos = positions(ids, est["event_id"])
        rel = est["rel_day"].to_numpy(dtype=np.int64) if "rel_day" in est else np.zeros(len(est))
        keep = pos >= 0
        key = pos * (1 << 32) + (rel - rel.min() if len(rel) else rel)
        order = np.flatnonzero(keep)
        if len(order) > 1 and not np.all(np.diff(key[order]) > 0):
            order = order[np.argsort(key[order], kind="stable")]
        p = pos[order]
        n = np.bincount(p, minlength=n_ev)
        start = np.concatenate([[0], np.cumsum(n)[:-1]])
        col = np.arange(len(p)) - start[p]
        shape = (n_ev, int(n.max()) if len(p) else 0)
        ret = _floats(est, "ret")[order]
        y = ret
        if model in FACTOR_MODELS:
            rf = _factor_column(est, "RF")
            y = ret - _floats(est, rf)[order] if rf else np.full(len(order), np.nan)
        x = _design(model, est)
        if model in FACTOR_MODELS and _factor_column(est, "RF") is None:
            x = None

        def put(values: np.ndarray) -> np.ndarray:
            return _scatter(shape, p, col, values)

        return cls(
            event_ids=ids,
            model=model,
            n=n.astype(np.int64),
            dates=_scatter(shape, p, col, _dates(est)[order], NAT),
            ret=put(ret),
            y=put(y),
            benchmark=put(_floats(est, "benchmark_ret")[order]),
            fitted=put(_floats(est, "expected")[order]),
            resid=put(_floats(est, "resid")[order]),
            x=put(x[order]) if x is not None else None,
        )

    @classmethod
    def empty(cls, ids: np.ndarray, model: str) -> EstimationView:
        n_ev = len(ids)
        nan = np.full((n_ev, 0), np.nan)
        return cls(
            ids,
            model,
            np.zeros(n_ev, dtype=np.int64),
            np.full((n_ev, 0), NAT),
            nan,
            nan,
            nan,
            nan,
            nan,
            np.zeros((n_ev, 0, 0)) if model == "market_adjusted" else None,
        )

    def rows(self, i: int) -> slice:
        """The used columns of row ``i``: ``view.ret[i, view.rows(i)]``."""
        return slice(0, int(self.n[i]))


AR_COLUMNS = ("ret", "benchmark_ret", "expected", "ar", "se", "car")


@dataclass(frozen=True)
class EventWindowView:
    """``res.ar`` on the event window, one row per event (see the module docstring)."""

    days: np.ndarray
    present: np.ndarray
    date: np.ndarray
    ret: np.ndarray
    benchmark_ret: np.ndarray
    expected: np.ndarray
    ar: np.ndarray
    se: np.ndarray
    car: np.ndarray
    car_se: np.ndarray | None
    x: np.ndarray | None

    @classmethod
    def from_result(cls, res: StudyResult) -> EventWindowView:
        ids, days = event_ids(res), np.asarray(res.settings.event_days, dtype=np.int64)
        ar = res.ar
        shape = (len(ids), len(days))
        if ar is None or ar.empty or "event_id" not in ar:
            nan = np.full(shape, np.nan)
            return cls(
                days,
                np.zeros(shape, bool),
                np.full(shape, NAT),
                nan,
                nan,
                nan,
                nan,
                nan,
                nan,
                nan,
                _empty_x(res.settings.model, shape),
            )
        pos = positions(ids, ar["event_id"])
        col = ar["rel_day"].to_numpy(dtype=np.int64) - days[0]
        keep = (pos >= 0) & (col >= 0) & (col < len(days))
        p, c = pos[keep], col[keep]

        def put(values: np.ndarray, fill: object = np.nan) -> np.ndarray:
            return _scatter(shape, p, c, values[keep], fill)

        x = _design(res.settings.model, ar)
        return cls(
            days=days,
            present=put(np.ones(len(ar), bool), False),
            date=put(_dates(ar), NAT),
            **{name: put(_floats(ar, name)) for name in AR_COLUMNS},
            car_se=put(_floats(ar, "car_se")) if "car_se" in ar else None,
            x=put(x) if x is not None else None,
        )


def _empty_x(model: str, shape: tuple[int, int]) -> np.ndarray | None:
    k = {"market": 2, "constant_mean": 1, "market_adjusted": 0}.get(model)
    return None if k is None else np.full((*shape, k), np.nan)


CAR_COLUMNS = ("car", "se", "t", "p_value", "scar", "sq_p")


@dataclass(frozen=True)
class CarView:
    """``res.car`` per event and CAR window (see the module docstring)."""

    windows: list[tuple[int, int]]
    present: np.ndarray
    car: np.ndarray
    se: np.ndarray
    t: np.ndarray
    p_value: np.ndarray
    scar: np.ndarray
    sq_p: np.ndarray

    @classmethod
    def from_result(cls, res: StudyResult) -> CarView:
        ids = event_ids(res)
        wins = [(int(a), int(b)) for a, b in res.settings.car_windows]
        shape = (len(ids), len(wins))
        car = res.car
        if car is None or car.empty or "event_id" not in car:
            nan = np.full(shape, np.nan)
            return cls(wins, np.zeros(shape, bool), nan, nan, nan, nan, nan, nan)
        pos = positions(ids, car["event_id"])
        wkey = pd.MultiIndex.from_arrays(
            [car["start"].astype(np.int64), car["end"].astype(np.int64)]
        )
        col = pd.MultiIndex.from_tuples(wins).get_indexer(wkey) if wins else np.full(len(car), -1)
        keep = (pos >= 0) & (col >= 0)
        p, c = pos[keep], col[keep]

        def put(values: np.ndarray, fill: object = np.nan) -> np.ndarray:
            return _scatter(shape, p, c, values[keep], fill)

        return cls(
            wins,
            put(np.ones(len(car), bool), False),
            **{name: put(_floats(car, name)) for name in CAR_COLUMNS},
        )


@dataclass(frozen=True)
class _Series:
    dates: np.ndarray
    values: np.ndarray
    column: str


class PriceView:
    """Close (or adjusted close) prices per ticker, sorted by date."""

    def __init__(self, series: dict[str, _Series]) -> None:
        self._series = series

    @classmethod
    def from_result(cls, res: StudyResult) -> PriceView:
        series: dict[str, _Series] = {}
        for ticker, frame in (res.prices or {}).items():
            if frame is None or frame.empty:
                continue
            close = (
                frame["close"].to_numpy(dtype=float, na_value=np.nan)
                if ("close" in frame.columns)
                else None
            )
            if close is not None and not np.isnan(close).all():
                col, values = "close", close
            elif "adj_close" in frame.columns:
                col, values = "adj_close", frame["adj_close"].to_numpy(dtype=float, na_value=np.nan)
            else:
                continue
            idx = frame.index
            if idx.dtype != "datetime64[ns]":
                idx = pd.DatetimeIndex(idx).as_unit("ns")
            dates = np.asarray(idx.to_numpy(), dtype="datetime64[ns]")
            if not idx.is_monotonic_increasing:
                order = np.argsort(dates, kind="stable")
                dates, values = dates[order], values[order]
            series[str(ticker)] = _Series(dates, values, col)
        return cls(series)

    def has(self, ticker: str) -> bool:
        """Whether ``ticker`` has a price series."""
        return str(ticker) in self._series

    def column(self, ticker: str) -> str:
        """``"close"`` or ``"adj_close"``: the column :meth:`slice` returns."""
        s = self._series.get(str(ticker))
        return s.column if s is not None else "close"

    def series(self, ticker: str) -> tuple[np.ndarray, np.ndarray]:
        """``(dates, values)`` of ``ticker``'s whole series (empty if none)."""
        s = self._series.get(str(ticker))
        if s is None:
            return np.empty(0, "datetime64[ns]"), np.empty(0)
        return s.dates, s.values

    def bounds(self, ticker: str, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions ``(a, b)`` in :meth:`series` of ``lo <= date <= hi`` for arrays of bounds."""
        dates = self.series(ticker)[0]
        lo_ns, hi_ns = np.asarray(lo, "datetime64[ns]"), np.asarray(hi, "datetime64[ns]")
        a = np.searchsorted(dates, lo_ns, side="left")
        b = np.searchsorted(dates, hi_ns, side="right")
        bad = np.isnat(lo_ns) | np.isnat(hi_ns)
        return np.where(bad, 0, a), np.where(bad, 0, np.maximum(a, b))

    def slice(
        self, ticker: str, lo: np.datetime64, hi: np.datetime64
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(dates, values)`` of ``ticker`` with ``lo <= date <= hi`` (empty if none)."""
        s = self._series.get(str(ticker))
        if s is None:
            return np.empty(0, "datetime64[ns]"), np.empty(0)
        lo_ns = np.asarray(lo).astype("datetime64[ns]")
        hi_ns = np.asarray(hi).astype("datetime64[ns]")
        a = int(np.searchsorted(s.dates, lo_ns, side="left"))
        b = int(np.searchsorted(s.dates, hi_ns, side="right"))
        return s.dates[a:b], s.values[a:b]
