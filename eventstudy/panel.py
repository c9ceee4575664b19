"""Stacked event windows: one row per event, one column per relative day.

The engine never loops over events to compute numbers. :class:`EventIndex`
says, for every computable event, on which calendar its series live, where
day 0 is among that calendar's sessions (``p0``) and which series are its
stock and benchmark; relative day ``r`` of an event is session ``p0 + r``.
:func:`gather` then reads a chunk of events' estimation and event windows from
the :class:`~eventstudy.store.PriceStore` by fancy indexing, giving
``(n_events, n_days)`` arrays with NaN where a return is missing or the
session lies outside the data. Dates are never stored per event: they follow
from ``p0`` and the calendar.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from eventstudy.store import PriceStore

NAT = np.datetime64("NaT", "ns")


@dataclass(frozen=True)
class EventIndex:
    """Where each computable event's data lives (``M`` events, any order).

    Attributes
    ----------
    rows : (M,) positions of the events in the events table
    mics : calendar codes; ``calendar`` (M,) indexes them
    p0 : (M,) session position of day 0 in its calendar
    stock, bench : (M,) series columns in the calendar (``bench`` -1: none)
    last : (M,) position of the last session with every needed series' data
    factor_last : (M,) position of the last session with factors (or a huge value)
    """

    rows: np.ndarray
    mics: list[str]
    calendar: np.ndarray
    p0: np.ndarray
    stock: np.ndarray
    bench: np.ndarray
    last: np.ndarray
    factor_last: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, sel: np.ndarray) -> EventIndex:
        return EventIndex(
            self.rows[sel],
            self.mics,
            self.calendar[sel],
            self.p0[sel],
            self.stock[sel],
            self.bench[sel],
            self.last[sel],
            self.factor_last[sel],
        )


@dataclass(frozen=True)
class Factors:
    """Daily factor returns matched to each calendar's sessions by calendar date.

    ``values[mic]`` is (S, F) (NaN where a session has no factor row),
    ``rf[mic]`` (S,), ``last[mic]`` the position of the last session on or
    before the factors' last date.
    """

    names: tuple[str, ...]
    values: dict[str, np.ndarray]
    rf: dict[str, np.ndarray]
    last: dict[str, int]


@dataclass(frozen=True)
class Windows:
    """One chunk of events (all on one calendar), stacked.

    ``ret_est, bench_est`` (n, Le) and ``ret_evt, bench_evt`` (n, Lw): stock and
    benchmark returns; ``observed_evt`` (n, Lw) the days on or before the last
    available session (rows of ``ar.csv``); ``est_complete`` (n,) whether the
    estimation window ends on or before it; ``factors_*`` (n, L, F) and
    ``rf_*`` (n, L) for factor models.
    """

    index: EventIndex
    est_days: np.ndarray
    evt_days: np.ndarray
    ret_est: np.ndarray
    bench_est: np.ndarray
    ret_evt: np.ndarray
    bench_evt: np.ndarray
    observed_evt: np.ndarray
    est_complete: np.ndarray
    factors_est: np.ndarray | None = None
    factors_evt: np.ndarray | None = None
    rf_est: np.ndarray | None = None
    rf_evt: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.index)


def gather(
    store: PriceStore,
    index: EventIndex,
    est_days: np.ndarray,
    evt_days: np.ndarray,
    factors: Factors | None = None,
) -> Windows:
    """Read the windows of ``index`` (one calendar) from ``store``.

    ``index.last`` already says which series must have data (the benchmark
    only for models that use it), so the benchmark is always read.
    """
    mic = index.mics[int(index.calendar[0])] if len(index) else "XNYS"
    cal = store.calendars[mic]
    n_sessions = len(cal.sessions)
    pos_est = index.p0[:, None] + est_days[None, :]
    pos_evt = index.p0[:, None] + evt_days[None, :]
    bench = index.bench  # read for display even when the model does not use it
    out = {
        "ret_est": cal.gather(index.stock, pos_est),
        "bench_est": cal.gather(bench, pos_est),
        "ret_evt": cal.gather(index.stock, pos_evt),
        "bench_evt": cal.gather(bench, pos_evt),
    }
    last = np.minimum(index.last, index.factor_last)
    inside = (pos_evt >= 0) & (pos_evt < n_sessions)
    observed = inside & (pos_evt <= last[:, None])
    complete = (index.p0 + est_days[-1]) <= last
    extra: dict[str, np.ndarray] = {}
    if factors is not None:
        f, rf = factors.values[mic], factors.rf[mic]
        for key, pos in (("est", pos_est), ("evt", pos_evt)):
            ok = (pos >= 0) & (pos < n_sessions)
            safe = np.where(ok, pos, 0)
            values = f[safe]
            values[~ok] = np.nan
            rates = rf[safe]
            rates[~ok] = np.nan
            extra[f"factors_{key}"] = values
            extra[f"rf_{key}"] = rates
    return Windows(
        index, est_days, evt_days, observed_evt=observed, est_complete=complete, **out, **extra
    )


def dates_of(store: PriceStore, mic: str, pos: np.ndarray) -> np.ndarray:
    """Session dates (``datetime64[ns]``) at positions ``pos`` of ``mic`` (NaT outside)."""
    sessions = store.calendars[mic].sessions
    ok = (pos >= 0) & (pos < len(sessions))
    out = sessions[np.where(ok, pos, 0)]
    out[~ok] = NAT
    return out


def chunks(index: EventIndex, size: int) -> list[np.ndarray]:
    """Positions of ``index`` grouped by calendar and sorted by day 0, in chunks of ``size``.

    No chunk holds a single event unless its calendar has only one: numpy
    sums a one-row array along another path than a many-row one, and the last
    bit of a result must not depend on the chunking.
    """
    size = max(int(size), 2)
    order = np.lexsort((index.p0, index.calendar))
    cal = index.calendar[order]
    cuts = np.flatnonzero(np.r_[True, cal[1:] != cal[:-1], True])
    out = []
    for a, b in itertools.pairwise(cuts):
        starts = list(range(a, b, size))
        if len(starts) > 1 and b - starts[-1] == 1:
            starts.pop()  # fold a trailing single event into the previous chunk
        for c, d in zip(starts, [*starts[1:], b], strict=True):
            out.append(order[c:d])
    return out
