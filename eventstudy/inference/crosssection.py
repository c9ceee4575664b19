"""The cross-sections of a study: every CAR window and every single day at once.

Columns ``0 .. W-1`` are the CAR windows, ``W .. W+Lw-1`` the days of the
event window. An event is included in a column when it is estimated and has
a CAR there. This module gathers the inputs of
:func:`~eventstudy.inference.battery.battery` (the Corrado statistics from
the running rank sums, the KP ``r`` from :mod:`eventstudy.inference.kp`) and
runs it once for all columns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from eventstudy.inference import extra, kp
from eventstudy.inference.battery import Columns, TestColumn, battery
from eventstudy.inference.rank import CorradoSums
from eventstudy.threads import Worker, inline

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
        if len(days) == 1:
            self.days = days[0]
        else:
            self.days = np.unique(np.concatenate(days)) if days else np.zeros(0, "datetime64[D]")
        self.to_axis = {m: np.searchsorted(self.days, d) for m, d in zip(mics, days, strict=True)}
        self.size = {m: len(d) for m, d in zip(mics, days, strict=True)}

    def positions(self, index: EventIndex, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(M, L) axis positions of relative ``days`` of each event, and which are inside."""
        pos = index.p0[:, None] + days[None, :]
        if len(index.mics) == 1:  # one calendar: the axis is its sessions
            size = self.size[index.mics[0]]
            return pos, (pos >= 0) & (pos < size)
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
    comfortably in memory: keeping them costs ``N x L`` floats), approximate
    otherwise, where only the per-group sums (``G x L``, ``G`` the distinct
    calendar and day 0 pairs) and the residuals of events excluded from some
    column are kept.
    """

    def __init__(
        self,
        index: EventIndex,
        store: PriceStore,
        settings: StudySettings,
        est_days: np.ndarray,
        evt_days: np.ndarray,
    ) -> None:
        self.index = index
        self.axis = DateAxis(store, index.mics)
        self.est_days, self.evt_days = est_days, evt_days
        key = index.calendar.astype(np.int64) * (1 << 32) + index.p0.astype(np.int64)
        _, self.group, counts = np.unique(key, return_inverse=True, return_counts=True)
        self.rep = np.zeros(len(counts), np.int64)
        self.rep[self.group] = np.arange(len(index))
        reps = index.take(self.rep)
        evt_pos, evt_in = self.axis.positions(reps, evt_days)
        big = np.iinfo(np.int64).max
        g_first = np.where(evt_in, evt_pos, big).min(axis=1)
        g_last = np.where(evt_in, evt_pos, -1).max(axis=1)
        self.first, self.last = g_first[self.group], g_last[self.group]
        self.n_pairs = kp.count_overlapping_pairs(self.first, self.last)
        fits = len(index) * len(est_days) <= 60_000_000
        self.exact = self.n_pairs <= settings.kp_max_pairs and fits
        self.method = "exact" if self.exact else "approximate"
        self.min_common = settings.kp_min_overlap
        m, le = len(index), len(est_days)
        if self.exact:
            self.resid = np.full((m, le), np.nan)
        else:
            self.sums = np.zeros((len(counts), le))
            self.self_sq = np.zeros(len(counts))
            self.kept: list[tuple[np.ndarray, np.ndarray]] = []  # excluded events' rows

    def residuals(self) -> np.ndarray | None:
        """The exact path's ``(M, Le)`` estimation residuals (NaN for events not
        estimated), filled by :meth:`add`; ``None`` on the approximate path."""
        return self.resid if self.exact else None

    def add(
        self, sel: np.ndarray, resid: np.ndarray, numbers: np.ndarray, included: np.ndarray
    ) -> None:
        """One chunk: positions ``sel``, its residuals, estimated events and inclusion."""
        resid = np.where(numbers[:, None], resid, np.nan)
        if self.exact:
            self.resid[sel] = resid
            return
        u = kp.standardise(resid)
        g = self.group[sel]
        np.add.at(self.sums, g, u)
        self.self_sq += np.bincount(g, weights=(u * u).sum(axis=1), minlength=len(self.sums))
        some_out = numbers & ~included.all(axis=1)
        if some_out.any():
            self.kept.append((sel[some_out], u[some_out]))

    def r(self, included: np.ndarray, spans: list[np.ndarray]) -> np.ndarray:
        """``r`` of every column (``spans[k]``: its relative-day positions in the event window)."""
        idx = self.index
        start = idx.p0 + self.est_days[0]
        if self.exact:
            est_pos, _ = self.axis.positions(idx, self.est_days)
            rows = kp.Rows(
                np.nan_to_num(self.resid),
                np.isfinite(self.resid),
                est_pos,
                self.first,
                self.last,
                idx.calendar,
                start,
            )
            pairs = kp.exact_pairs(rows, idx.calendar, idx.p0, self.min_common)
            return self._exact_r(pairs, included, spans)
        return self._approximate_r(included, spans, start)

    def _approximate_r(
        self, included: np.ndarray, spans: list[np.ndarray], start: np.ndarray
    ) -> np.ndarray:
        idx, rep = self.index, self.rep
        est_pos, est_in = self.axis.positions(idx.take(rep), self.est_days)
        rows = kp.Rows(
            self.sums,
            est_in.astype(float),
            est_pos,
            self.first[rep],
            self.last[rep],
            idx.calendar[rep],
            start[rep],
        )
        base = kp.GroupRows(
            self.group, rows, self.self_sq, np.bincount(self.group), idx.calendar[rep], idx.p0[rep]
        )
        kept_idx = np.concatenate([k for k, _ in self.kept]) if self.kept else np.zeros(0, int)
        kept_u = (
            np.concatenate([u for _, u in self.kept])
            if self.kept
            else np.zeros((0, len(self.est_days)))
        )
        estimated: np.ndarray = np.asarray(included.any(axis=1))
        gp_base = kp.group_pairs(base)
        out = np.full(len(spans), np.nan)
        for k, cols in enumerate(spans):
            inc = included[:, k]
            gone = ~inc[kept_idx] & estimated[kept_idx]
            gp = gp_base
            if gone.any():
                a, sq = self.sums.copy(), self.self_sq.copy()
                g = self.group[kept_idx[gone]]
                np.subtract.at(a, g, kept_u[gone])
                np.subtract.at(sq, g, (kept_u[gone] ** 2).sum(axis=1))
                gp = kp.group_pairs(base, a, sq)
            o = self._overlap(rep[gp.g], rep[gp.h], gp.shift, cols)
            out[k] = kp.approximate_r(gp, o, int(inc.sum()))
        return out

    def _exact_r(
        self, pairs: kp.PairCorrelations, included: np.ndarray, spans: list[np.ndarray]
    ) -> np.ndarray:
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

    def _overlap(
        self, i: np.ndarray, j: np.ndarray, shift: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        if (shift == kp.NO_SHIFT).any():
            days = self.evt_days[cols]
            pos, inside = self.axis.positions(self.index, days)
            return kp.overlap(i, j, shift, len(cols), pos, inside)
        return kp.overlap(i, j, shift, len(cols))


#: From this many events GRANK runs as several tasks over disjoint runs of events
#: (taken by both threads: the worker from the first, this thread from the last,
#: once its KP ``r`` is done; at 10,000 events that is about when the worker has
#: done its SQ and Corrado tasks and the first part); below, one task.
GRANK_SPLIT_EVENTS = 5_000
#: Events per GRANK task beyond :data:`GRANK_SPLIT_EVENTS` (at most
#: :data:`GRANK_MAX_PARTS` tasks): small enough that the thread that finishes its
#: other work first takes more of them.
GRANK_PART_EVENTS = 100_000
GRANK_MAX_PARTS = 8


def grank_parts(n_events: int) -> int:
    """How many runs of events GRANK's sums are split into (the numbers depend on it
    only through the order of the parts' additions, the same with or without a thread)."""
    if n_events < GRANK_SPLIT_EVENTS:
        return 1
    return int(min(GRANK_MAX_PARTS, max(2, -(-n_events // GRANK_PART_EVENTS))))


def _extra_later(
    worker: Worker,
    extra_in: extra.ExtraCollector,
    car: np.ndarray,
    scar: np.ndarray,
    included: np.ndarray,
    spans: list[np.ndarray],
    n_included: np.ndarray,
) -> Callable[[], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Give GRANK and ``bw_crude`` (their sums, in one pass over the residuals, in
    :func:`grank_parts` runs of events) to ``worker``; the returned call collects
    them (running here whichever part the worker has not started, from the last)."""
    g_in = extra.GrankInput(extra_in, scar, included)
    parts = [
        worker.submit("extra", extra.grank_sums, g_in, rows, stealable=True)
        for rows in g_in.parts(grank_parts(len(car)))
    ]

    def collect() -> dict[str, tuple[np.ndarray, np.ndarray]]:
        sums = extra.add_sums([worker.result(later) for later in reversed(parts)][::-1])
        with np.errstate(invalid="ignore", divide="ignore"):
            caar = np.where(included, car, 0.0).sum(axis=0) / n_included
        lengths = np.array([len(s) for s in spans], dtype=float)
        bw = extra.bw_finish(sums[3], sums[4], caar, lengths)
        return {"bw_crude": bw, "grank": extra.grank_finish(g_in, sums)}

    return collect


def cross_sections(
    arr: Any,
    index: EventIndex,
    windows: list[np.ndarray],
    corrado: CorradoSums,
    kp_in: KpCollector,
    le: int,
    clock: Any = None,
    extra_in: extra.ExtraCollector | None = None,
    alternative: str = "two-sided",
    skew_reps: int = extra.SKEW_REPS,
    seed: tuple[int, ...] = (0,),
    worker: Worker | None = None,
) -> CrossSections:
    """Run the battery on every CAR window and day (``extra_in``: the inputs of
    ``bw_crude`` and ``grank``; without it those two are NaN; ``skew_reps``,
    ``seed``: the bootstrap of ``skew_t``).

    ``worker`` (:mod:`eventstudy.threads`) computes the Corrado statistics and
    ``bw_crude``/``grank`` while this thread computes the KP ``r``; its earlier
    tasks (the Corrado sums of each chunk) run first.
    """
    worker = worker or inline()
    lw = arr.ar.shape[1]
    car = np.concatenate([arr.window["car"], arr.ar], axis=1)
    scar = np.concatenate([arr.window["scar"], arr.day_scar], axis=1)
    included = np.isfinite(car) & arr.numbers[:, None]
    spans = [*windows, *(np.array([d]) for d in range(lw))]
    n_included = included.sum(axis=0)
    corr_later = worker.submit("ranks", corrado.statistics, [le + s for s in spans], n_included)
    pre_later = None
    if extra_in is not None:
        pre_later = _extra_later(worker, extra_in, car, scar, included, spans, n_included)
    if clock is not None:
        clock.lap("extra")  # inline, the tasks just given ran here
    r = kp_in.r(included, spans)
    if clock is not None:
        clock.lap("kp")
    pre = pre_later() if pre_later is not None else None
    corr = corr_later.result()
    if clock is not None:
        clock.lap("extra")
    cols = Columns(
        car=car,
        scar=scar,
        included=included,
        dof=arr.dof,
        pos_share=arr.pos_share,
        corrado=corr,
        kp_r=r,
        precomputed=pre,
        alternative=alternative,
        skew_reps=skew_reps,
        seed=seed,
    )
    tests = battery(cols)
    if clock is not None:
        clock.lap("tests")
    return CrossSections(tests, r, kp_in.method, included, car)
