"""The cross-sections of a study: every CAR window and every single day at once.

Columns ``0 .. W-1`` are the CAR windows, ``W .. W+Lw-1`` the days of the
event window. An event is included in a column when it is estimated and has
a CAR there. This module gathers the inputs of
:func:`~eventstudy.inference.battery.battery` (the Corrado statistics from
the running rank sums, the KP ``r`` from :mod:`eventstudy.inference.kp`) and
runs it once for all columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from eventstudy.inference import kp
from eventstudy.inference.battery import Columns, TestColumn, battery
from eventstudy.inference.rank import CorradoSums

if TYPE_CHECKING:
    from eventstudy.panel import EventIndex
    from eventstudy.settings import StudySettings
    from eventstudy.store import PriceStore


@dataclass(frozen=True)
class CrossSections:
    """Test results per column, the KP ``r`` per column and how it was computed."""

    tests: list[TestColumn]
    kp_r: np.ndarray
    kp_method: str
    included: np.ndarray
    car: np.ndarray


class DateAxis:
    """One axis of dates for every calendar of a study (the union of their sessions)."""

    def __init__(self, store: PriceStore, mics: list[str]) -> None:
        days = [store.calendars[m].sessions.astype("datetime64[D]") for m in mics]
        self.days = np.unique(np.concatenate(days)) if days else np.zeros(0, "datetime64[D]")
        self.to_axis = {m: np.searchsorted(self.days, d) for m, d in zip(mics, days, strict=True)}
        self.size = {m: len(d) for m, d in zip(mics, days, strict=True)}

    def positions(self, index: EventIndex, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(M, L) axis positions of relative ``days`` of each event, and which are inside."""
        pos = index.p0[:, None] + days[None, :]
        out = np.zeros(pos.shape, np.int64)
        inside = np.zeros(pos.shape, bool)
        for k, mic in enumerate(index.mics):
            rows = np.flatnonzero(index.calendar == k)
            p = pos[rows]
            ok = (p >= 0) & (p < self.size[mic])
            out[rows] = np.where(ok, self.to_axis[mic][np.clip(p, 0, self.size[mic] - 1)], 0)
            inside[rows] = ok
        return out, inside


class KpCollector:
    """Collects what the KP ``r`` needs, chunk by chunk, on the exact or approximate path.

    The path is chosen before any chunk: exact when the events' overlapping
    pairs number at most ``settings.kp_max_pairs`` (and their residuals fit
    comfortably in memory), approximate otherwise.
    """

    def __init__(self, index: EventIndex, store: PriceStore, settings: StudySettings,
                 est_days: np.ndarray, evt_days: np.ndarray) -> None:
        self.index = index
        self.axis = DateAxis(store, index.mics)
        evt_pos, evt_in = self.axis.positions(index, evt_days)
        big = np.iinfo(np.int64).max
        self.first = np.where(evt_in, evt_pos, big).min(axis=1)
        self.last = np.where(evt_in, evt_pos, -1).max(axis=1)
        self.est_pos, self.est_in = self.axis.positions(index, est_days)
        self.start = index.p0 + est_days[0]
        self.evt_days = evt_days
        n_pairs = kp.count_overlapping_pairs(self.first, self.last)
        fits = len(index) * len(est_days) <= 60_000_000
        self.exact = n_pairs <= settings.kp_max_pairs and fits
        self.method = "exact" if self.exact else "approximate"
        self.n_pairs = n_pairs
        self.min_common = settings.kp_min_overlap
        m, le = len(index), len(est_days)
        if self.exact:
            self.resid = np.full((m, le), np.nan)
        else:
            self.u = np.zeros((m, le))  # standardised residuals, 0 where absent

    def add(self, sel: np.ndarray, resid: np.ndarray, numbers: np.ndarray) -> None:
        resid = np.where(numbers[:, None], resid, np.nan)
        if self.exact:
            self.resid[sel] = resid
        else:
            self.u[sel] = kp.standardise(resid)

    def r(self, included: np.ndarray, spans: list[np.ndarray]) -> np.ndarray:
        """``r`` of every column (``spans[k]``: its relative-day positions in the event window)."""
        idx = self.index
        out = np.full(len(spans), np.nan)
        if self.exact:
            rows = kp.Rows(np.nan_to_num(self.resid), np.isfinite(self.resid).astype(float),
                           self.est_pos, self.first, self.last, idx.calendar, self.start)
            pairs = kp.exact_pairs(rows, idx.calendar, idx.p0, self.min_common)
            return self._exact_r(pairs, included, spans)
        est = np.asarray(included.any(axis=1))
        base = kp.group_rows(np.where(est[:, None], self.u, 0.0), self.est_in, self.est_pos,
                             self.first, self.last, idx.calendar, idx.p0, self.start)
        reps = self._group_reps(base)
        gp_base = kp.group_pairs(base)
        for k, cols in enumerate(spans):
            inc = included[:, k]
            gone = np.flatnonzero(est & ~inc)
            gp = gp_base
            if len(gone):
                a = base.rows.z.copy()
                sq = base.self_sq.copy()
                g = base.of_event[gone]
                np.subtract.at(a, g, self.u[gone])
                np.subtract.at(sq, g, (self.u[gone] ** 2).sum(axis=1))
                gp = kp.group_pairs(base, a, sq)
            o = self._overlap(reps[gp.g], reps[gp.h], gp.shift, cols)
            out[k] = kp.approximate_r(gp, o, int(inc.sum()))
        return out

    def _exact_r(self, pairs: kp.PairCorrelations, included: np.ndarray,
                 spans: list[np.ndarray]) -> np.ndarray:
        """``r`` per column from the pairs, reused for every column.

        Same-calendar pairs sorted by ``|shift|``: a window of ``L`` sessions
        counts the pairs with ``|shift| < L`` with weight ``(L - |shift|)/L``,
        so without excluded events its sum comes from two running sums; a
        column with excluded events checks both ends of those pairs only.
        """
        same = pairs.shift != kp.NO_SHIFT
        sa = np.flatnonzero(same)
        order = sa[np.argsort(np.abs(pairs.shift[sa]), kind="stable")]
        dist = np.abs(pairs.shift[order]).astype(float)
        rho = pairs.rho[order]
        c0 = np.concatenate([[0.0], np.cumsum(rho)])
        c1 = np.concatenate([[0.0], np.cumsum(rho * dist)])
        cross = np.flatnonzero(~same)
        estimated = included.any(axis=1)
        out = np.full(len(spans), np.nan)
        for k, cols in enumerate(spans):
            inc = included[:, k]
            n = int(inc.sum())
            if n < 2:
                continue
            width = len(cols)
            cnt = int(np.searchsorted(dist, width, side="left"))  # pairs with |shift| < L
            if (inc == estimated).all():
                total = (width * c0[cnt] - c1[cnt]) / width
            else:
                sel = order[:cnt]
                both = inc[pairs.i[sel]] & inc[pairs.j[sel]]
                total = float(np.sum(rho[:cnt][both] * (width - dist[:cnt][both]))) / width
            if len(cross):
                o = self._overlap(pairs.i[cross], pairs.j[cross], pairs.shift[cross], cols)
                both = inc[pairs.i[cross]] & inc[pairs.j[cross]]
                total += float(np.sum(pairs.rho[cross][both] * o[both]))
            out[k] = total / (n * (n - 1) / 2.0)
        return out

    def _group_reps(self, gr: kp.GroupRows) -> np.ndarray:
        rep = np.zeros(len(gr.size), np.int64)
        rep[gr.of_event] = np.arange(len(gr.of_event))
        return rep

    def _overlap(self, i: np.ndarray, j: np.ndarray, shift: np.ndarray,
                 cols: np.ndarray) -> np.ndarray:
        if (shift == kp.NO_SHIFT).any():
            days = self.evt_days[cols]
            pos, inside = self.axis.positions(self.index, days)
            return kp.overlap(i, j, shift, len(cols), pos, inside)
        return kp.overlap(i, j, shift, len(cols))


def cross_sections(arr: Any, index: EventIndex, windows: list[np.ndarray],
                   corrado: CorradoSums, kp_in: KpCollector, le: int) -> CrossSections:
    """Run the battery on every CAR window and day."""
    lw = arr.ar.shape[1]
    car = np.concatenate([arr.window["car"], arr.ar], axis=1)
    scar = np.concatenate([arr.window["scar"], arr.day_scar], axis=1)
    included = np.isfinite(car) & arr.numbers[:, None]
    spans = [*windows, *(np.array([d]) for d in range(lw))]
    n_included = included.sum(axis=0)
    corr = corrado.statistics([le + s for s in spans], n_included)
    r = kp_in.r(included, spans)
    cols = Columns(car=car, scar=scar, included=included, dof=arr.dof,
                   pos_share=arr.pos_share, corrado=corr, kp_r=r)
    return CrossSections(battery(cols), r, kp_in.method, included, car)
