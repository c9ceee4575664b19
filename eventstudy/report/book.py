"""Compact per-event data of a report, computed once for all events.

A :class:`ReportBook` holds the views of :mod:`eventstudy.report.views`
and what the event pages derive from them, as arrays indexed by the event's
row position ``i`` in ``res.events``: the calendar dates of the window edges,
the standard error of the cumulative CAR, the regression diagnostics. Pages
then need only cheap work per event (index, format, render), and worker
processes inherit the book by ``fork``.

The SE of the CAR cumulated from the event-window start uses the engine's
``car_se`` when the result carries it, else the full prediction-error
covariance of METHODS.md section 4,

.. math::

    Var(CAR(t_1, t)) = \\sigma^2 \\left(L + s' (X'X)^{-1} s\\right),
    \\qquad s = \\sum_{\\tau = t_1}^{t} x^*_\\tau,

with ``X`` the estimation-window regressors and ``L = t - t_1 + 1``; when
the regressors are not in the result it falls back on ``sqrt(sum SE(AR)²)``
(covariance ignored; ``se_exact[i]`` is then ``False``).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from eventstudy.report.numbers import Fixed
from eventstudy.report.views import (
    NAT,
    CarView,
    EstimationView,
    EventWindowView,
    PriceView,
    event_ids,
)

if TYPE_CHECKING:
    from eventstudy.report.diagnostics import OLSDiagnostics
    from eventstudy.report.event_figures import ChartNumbers
    from eventstudy.result import StudyResult

EDGES = ("est_start", "est_end", "evt_start", "evt_end")
#: Everything :meth:`ReportBook.prepare` computes by default (all an event page needs).
PARTS = (
    "rows",
    "extras",
    "est",
    "window",
    "car",
    "prices",
    "diagnostics",
    "edges",
    "car_se",
    "notices",
    "intraday",
    "est_text",
    "window_text",
    "edge_text",
    "mark_text",
    "price_bounds",
    "price_text",
    "chart_numbers",
)
PRICE_PAD = np.timedelta64(30, "D")


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    cols = {str(c): df[c].tolist() for c in df.columns}
    return [{c: v[i] for c, v in cols.items()} for i in range(len(df))]


class ReportBook:
    """Per-event arrays of one result (built lazily, each part once).

    Attributes
    ----------
    ids, rows
        Event ids and the rows of ``res.events`` as dicts, by position.
    est, window, car, prices
        The views (:class:`~eventstudy.report.views.EstimationView`, ...).
    """

    def __init__(self, res: StudyResult) -> None:
        self.res = res
        self.settings = res.settings
        self.model = res.settings.model
        self.ids: list[str] = [str(i) for i in event_ids(res)]
        self.pos = {eid: i for i, eid in enumerate(self.ids)}
        self.days = list(res.settings.event_days)
        self.windows = [(int(a), int(b)) for a, b in res.settings.car_windows]

    def index(self, event_id: str) -> int:
        """Row position of ``event_id`` (``KeyError`` with the first ids if unknown)."""
        try:
            return self.pos[str(event_id)]
        except KeyError:
            raise KeyError(
                f"no event {event_id!r} in this result; ids start with {', '.join(self.ids[:5])}"
            ) from None

    @functools.cached_property
    def rows(self) -> list[dict[str, Any]]:
        return _records(self.res.events)

    @functools.cached_property
    def extras(self) -> list[str]:
        """The user's own columns of ``res.events``."""
        from eventstudy.report.tables import extra_columns

        return [str(c) for c in extra_columns(self.res.events)]

    @functools.cached_property
    def day0_split(self) -> dict[str, dict[str, Any]]:
        """Rows of ``res.day0_split`` by event id (empty when the result has none)."""
        split = getattr(self.res, "day0_split", None)
        if not isinstance(split, pd.DataFrame) or split.empty:
            return {}
        return {
            str(r["event_id"]): {str(k): v for k, v in r.items()} for r in split.to_dict("records")
        }

    @functools.cached_property
    def intraday(self) -> dict[str, Any]:
        """Intraday windows and bars by event id (:mod:`eventstudy.report.intraday_view`)."""
        from eventstudy.report.intraday_view import by_event

        return by_event(self.res)

    @functools.cached_property
    def volume(self) -> dict[str, dict[str, Any]]:
        """Day 0's row of ``res.volume`` by event id.

        Computed for studies of up to :data:`VOLUME_MAX_EVENTS` events, or at
        any size when the result already holds it (``run --volume``)."""
        from eventstudy.report.measures import VOLUME_MAX_EVENTS

        res = self.res
        if "_volume_pair" not in res.__dict__ and len(res.events) > VOLUME_MAX_EVENTS:
            return {}
        try:
            vol = res.volume
        except (AttributeError, TypeError):  # a result without prices
            return {}
        if not isinstance(vol, pd.DataFrame) or vol.empty:
            return {}
        day0 = vol[vol["rel_day"] == 0]
        return {
            str(r["event_id"]): {str(k): v for k, v in r.items()} for r in day0.to_dict("records")
        }

    @functools.cached_property
    def est(self) -> EstimationView:
        return EstimationView.from_result(self.res)

    @functools.cached_property
    def window(self) -> EventWindowView:
        return EventWindowView.from_result(self.res)

    @functools.cached_property
    def car(self) -> CarView:
        return CarView.from_result(self.res)

    @functools.cached_property
    def prices(self) -> PriceView:
        return PriceView.from_result(self.res)

    @functools.cached_property
    def est_text(self) -> np.ndarray:
        """``YYYY-MM-DD`` of ``est.dates`` (object array, ``None`` where unused)."""
        from eventstudy.report.figures import day_text_array

        return day_text_array(self.est.dates)

    @functools.cached_property
    def window_text(self) -> np.ndarray:
        """``YYYY-MM-DD`` of ``window.date`` (object array, ``None`` where absent)."""
        from eventstudy.report.figures import day_text_array

        return day_text_array(self.window.date)

    @functools.cached_property
    def edge_text(self) -> dict[str, np.ndarray]:
        """``YYYY-MM-DD`` of :attr:`edges` (object arrays, ``None`` where unknown)."""
        from eventstudy.report.figures import day_text_array

        return {k: day_text_array(v) for k, v in self.edges.items()}

    @functools.cached_property
    def mark_text(self) -> dict[str, np.ndarray]:
        """``YYYY-MM-DD`` of the announcement (``date``) and of ``day0`` (``None``: unknown)."""
        from eventstudy.report.figures import day_text_array

        return {
            k: day_text_array(
                np.array([_datetime(r.get(k)) for r in self.rows], dtype="datetime64[ns]")
            )
            for k in ("date", "day0")
        }

    @functools.cached_property
    def price_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(a, b)``: each event's price chart is ``series(ticker)[a:b]`` (empty: no prices).

        From 30 days before the estimation window (or 380 days before day 0) to 30
        days after the event window (or 30 days after day 0).
        """
        n_ev = len(self.ids)
        a, b = np.zeros(n_ev, np.int64), np.zeros(n_ev, np.int64)
        day0 = np.array([_datetime(r.get("day0")) for r in self.rows], dtype="datetime64[ns]")
        lo = (
            np.where(
                np.isnat(self.edges["est_start"]),
                day0 - np.timedelta64(380, "D"),
                self.edges["est_start"],
            )
            - PRICE_PAD
        )
        hi = (
            np.where(
                np.isnat(self.edges["evt_end"]),
                day0 + np.timedelta64(30, "D"),
                self.edges["evt_end"],
            )
            + PRICE_PAD
        )
        tickers = [str(r.get("ticker")) for r in self.rows]
        known = np.flatnonzero(~np.isnat(day0))
        codes, uniques = pd.factorize(np.array(tickers, dtype=object)[known])
        order = np.argsort(codes, kind="stable")  # one sort: the events of each ticker
        cuts = np.flatnonzero(np.diff(codes[order])) + 1
        for group in np.split(order, cuts) if len(order) else []:
            sel = known[group]
            a[sel], b[sel] = self.prices.bounds(str(uniques[codes[group[0]]]), lo[sel], hi[sel])
        return a, b

    @functools.cached_property
    def price_text(self) -> dict[str, tuple[np.ndarray, Fixed]]:
        """Per ticker with an event: the ``YYYY-MM-DD`` of every price date and the prices
        rounded to 4 decimals (:class:`~eventstudy.report.numbers.Fixed`, one row)."""
        from eventstudy.report.figures import day_text_array

        out: dict[str, tuple[np.ndarray, Fixed]] = {}
        for ticker in dict.fromkeys(str(r.get("ticker")) for r in self.rows):
            if self.prices.has(ticker):
                dates, values = self.prices.series(ticker)
                out[ticker] = (day_text_array(dates), Fixed.of(values.reshape(1, -1), 4))
        return out

    @functools.cached_property
    def chart_numbers(self) -> ChartNumbers:
        """Every event's chart numbers (:func:`.event_figures.chart_numbers`)."""
        from eventstudy.report.event_figures import chart_numbers

        return chart_numbers(self)

    @functools.cached_property
    def diagnostics(self) -> OLSDiagnostics:
        from eventstudy.report.diagnostics import ols_diagnostics

        return ols_diagnostics(self.est)

    @functools.cached_property
    def edges(self) -> dict[str, np.ndarray]:
        """Calendar dates (N,) of the window edges ``est_start`` ... ``evt_end`` (NaT: unknown)."""
        return window_edges(self)

    @functools.cached_property
    def car_se(self) -> tuple[np.ndarray, np.ndarray]:
        """``(se, exact)``: SE of the cumulative CAR (N, D) and whether it is exact (N,)."""
        return car_se_paths(self)

    @functools.cached_property
    def notices(self) -> dict[str, list[str]]:
        """Per event id: the warnings that concern it (same ticker and day 0 as another)."""
        out: dict[str, list[str]] = {}
        for group in self.res.meta.get("duplicate_events") or []:
            members = [str(g) for g in group]
            for eid in members:
                others = ", ".join(g for g in members if g != eid)
                out.setdefault(eid, []).append(
                    f"Same ticker and day 0 as {others}: this reaction counts {len(members)} "
                    "times in the study's cross-section."
                )
        return out

    def prepare(self, parts: tuple[str, ...] = PARTS) -> ReportBook:
        """Compute the named parts now (before worker processes fork)."""
        for name in parts:
            getattr(self, name)
        return self


_CACHE: list[tuple[Callable[[], Any], ReportBook]] = []


def book_of(res: StudyResult, fresh: bool = False) -> ReportBook:
    """The :class:`ReportBook` of ``res``, reused while ``res`` is the last result asked for.

    ``fresh=True`` builds a new one (and keeps it for the next calls), as
    :func:`eventstudy.report.write_report` does, so that a result whose tables
    were changed in place is never drawn from an old book.
    """
    if not fresh and _CACHE and _CACHE[0][0]() is res:
        return _CACHE[0][1]
    book = ReportBook(res)
    _CACHE[:] = [(weakref.ref(res), book)]
    return book


def window_edges(book: ReportBook) -> dict[str, np.ndarray]:
    """Session dates of the window edges of every event, exchange by exchange."""
    from eventstudy.event_time import sessions

    s = book.settings
    n_ev = len(book.ids)
    out = {k: np.full(n_ev, NAT) for k in EDGES}
    offsets = dict(zip(EDGES, (*s.estimation_window, *s.event_window), strict=True))
    rows = book.rows
    day0 = np.array([_datetime(r.get("day0")) for r in rows], dtype="datetime64[ns]")
    exchanges = np.array([str(r.get("exchange") or "XNYS") for r in rows], dtype=object)
    known = ~np.isnat(day0)
    for exch in pd.unique(exchanges[known]) if n_ev else []:
        sel = np.flatnonzero(known & (exchanges == exch))
        try:
            cal = np.asarray(sessions(str(exch)).to_numpy(), dtype="datetime64[ns]")
        except Exception:  # no calendar: fall back on the dates in the data
            _edges_from_data(book, sel, out)
            continue
        p0 = np.searchsorted(cal, day0[sel], side="left")
        for key, off in offsets.items():
            at = p0 + off
            ok = (at >= 0) & (at < len(cal))
            out[key][sel[ok]] = cal[at[ok]]
    return out


def _datetime(x: Any) -> np.datetime64:
    if x is None or x is pd.NaT or (isinstance(x, float) and x != x):
        return NAT
    try:
        return pd.Timestamp(x).as_unit("ns").to_datetime64()
    except (TypeError, ValueError):
        return NAT


def _edges_from_data(book: ReportBook, sel: np.ndarray, out: dict[str, np.ndarray]) -> None:
    est, win = book.est, book.window
    for i in sel:
        n = int(est.n[i])
        if n:
            out["est_start"][i], out["est_end"][i] = est.dates[i, 0], est.dates[i, n - 1]
        d = win.date[i][win.present[i]]
        if len(d):
            out["evt_start"][i], out["evt_end"][i] = d.min(), d.max()


def car_se_paths(book: ReportBook) -> tuple[np.ndarray, np.ndarray]:
    """SE of each event's CAR cumulated from the event-window start (see the module docstring)."""
    win, est = book.window, book.est
    n_ev, n_days = win.ar.shape
    if win.car_se is not None:
        return win.car_se, np.ones(n_ev, bool)
    ok = np.isfinite(win.ar)
    broken = np.cumsum(~ok, axis=1) > 0  # a missing AR breaks the cumulation, as in the CAR
    approx = np.sqrt(np.cumsum(np.where(ok, win.se**2, 0.0), axis=1))
    se = np.where(broken, np.nan, approx)
    exact = np.zeros(n_ev, bool)
    sigma = np.array([_float(r.get("sigma")) for r in book.rows])
    if win.x is None or est.x is None:
        return se, exact | ~win.present.any(axis=1)
    k = est.x.shape[2]
    length = np.arange(1, n_days + 1, dtype=float)
    can = np.isfinite(sigma) & (est.n > 0) & win.present.any(axis=1)
    if k == 0:
        quad = np.zeros((n_ev, n_days))
    else:
        valid = np.arange(est.x.shape[1])[None, :] < est.n[:, None]
        xe = np.where(valid[..., None], np.nan_to_num(est.x), 0.0)
        xtx = np.einsum("nlk,nlj->nkj", xe, xe)
        invertible = np.abs(np.linalg.det(xtx)) > 0
        can &= invertible
        inv = np.zeros_like(xtx)
        inv[invertible] = np.linalg.inv(xtx[invertible])
        s = np.cumsum(np.where(ok[..., None], np.nan_to_num(win.x), 0.0), axis=1)
        quad = np.einsum("ntk,nkl,ntl->nt", s, inv, s)
    with np.errstate(invalid="ignore"):
        full = sigma[:, None] * np.sqrt(length[None, :] + quad)
    se = np.where(can[:, None], np.where(broken, np.nan, full), se)
    return se, can | ~win.present.any(axis=1)


def _float(x: Any) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return float("nan")
