"""Cross-correlation of abnormal returns for the Kolari-Pynnonen (2010) test.

METHODS.md section 5, generalised to partly overlapping windows:

.. math::

    \\bar r = \\frac{2}{N(N-1)} \\sum_{i<j} \\rho_{ij}\\, o_{ij}, \\qquad
    o_{ij} = \\frac{|W_i \\cap W_j|}{\\sqrt{|W_i|\\,|W_j|}}

``rho_ij`` is the Pearson correlation of the two events' estimation-window
residuals on the calendar dates both have (0 when they share fewer than 30),
``W_i`` the calendar dates of event ``i``'s test window. Only pairs whose
event windows overlap can contribute.

Exact path (up to ``max_pairs`` overlapping pairs): every event's residuals
are placed on one date axis (the union of the sessions of the calendars in
the study) and, with the events sorted by the start of their event window,
the pairwise-complete sums (``n, sum x, sum y, sum x^2, sum y^2, sum xy``) of
each block of events with its overlapping partners come from one dense
matrix product (a banded Gram matrix): the same pairs and the same numbers as
a pair loop, computed once and reused for every window and day.

Approximate path (beyond ``max_pairs``): events with the same calendar and
day 0 form a group ``g``; their residuals, standardised by their own mean and
SD, are summed per session, ``A_g(t) = sum_i u_i(t)``, and

.. math::

    \\sum_{i \\in g, j \\in h} \\rho_{ij} \\approx \\frac{A_g \\cdot A_h}{n_{gh}}, \\qquad
    \\sum_{i<j \\in g} \\rho_{ij} \\approx \\frac{A_g \\cdot A_g - \\sum_i u_i \\cdot u_i}
    {2 n_{gg}}

with ``n_gh`` the dates both groups' estimation windows cover: ``O(N L)`` work
whatever the number of pairs. It ignores the 30-date minimum and each pair's
own means and SDs on its common dates; the methodology states its measured
error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NO_SHIFT = np.iinfo(np.int64).min
#: Default budget of overlapping pairs for the exact path.
MAX_PAIRS = 5_000_000
BLOCK = 128


# --------------------------------------------------------------------------- pairs


def overlapping_pairs(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``i < j`` (original order) whose ``[first, last]`` ranges intersect."""
    order = np.argsort(first, kind="stable")
    s, e = first[order], last[order]
    n = len(s)
    hi = np.searchsorted(s, e, side="right")
    counts = np.maximum(hi - np.arange(n) - 1, 0)
    a = np.repeat(np.arange(n), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    b = a + 1 + offsets
    i, j = order[a], order[b]
    return np.minimum(i, j), np.maximum(i, j)


def count_overlapping_pairs(first: np.ndarray, last: np.ndarray) -> int:
    """How many pairs :func:`overlapping_pairs` would return (without building them)."""
    order = np.argsort(first, kind="stable")
    s, e = first[order], last[order]
    hi = np.searchsorted(s, e, side="right")
    return int(np.maximum(hi - np.arange(len(s)) - 1, 0).sum())


@dataclass(frozen=True)
class Rows:
    """Rows to correlate, each on the common date axis.

    ``z`` (M, L) values with 0 where missing, ``m`` (M, L) nonzero (True or
    1.0) where present, ``pos`` (M, L) ascending date-axis positions of the
    row's days (any value where ``m`` is 0), ``first``/``last`` (M,) the
    date-axis span of each row's event window (pairs are formed where these
    overlap). ``calendar`` and
    ``start`` (M,): the row's calendar and the session position of its day 0
    of the row (local index ``k`` is session ``start + k``); rows of one
    calendar without a missing value take a fast path.
    """

    z: np.ndarray
    m: np.ndarray
    pos: np.ndarray
    first: np.ndarray
    last: np.ndarray
    calendar: np.ndarray | None = None
    start: np.ndarray | None = None


@dataclass(frozen=True)
class PairSums:
    """Pairwise-complete sums for pairs ``i < j`` (row indices of :class:`Rows`)."""

    i: np.ndarray
    j: np.ndarray
    n: np.ndarray
    sx: np.ndarray
    sy: np.ndarray
    sxx: np.ndarray
    syy: np.ndarray
    sxy: np.ndarray


def _cross_products(
    rows: Rows, block: int, present_all: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``sum z_i z_j`` over the date axis for every pair whose event windows overlap
    (``present_all``: ``rows.m > 0``).

    A banded Gram matrix: rows sorted by ``first``; each block of rows times
    the rows it can overlap (itself and the following ones up to its last
    window end), both scattered densely onto the block's span of the axis.
    """
    order = np.argsort(rows.first, kind="stable")
    first, last = rows.first[order], rows.last[order]
    complete = bool(present_all.all())
    le = rows.pos.shape[1]
    rr = np.arange(len(order))
    lo_row = rows.pos[rr, present_all.argmax(axis=1)][order]
    hi_row = rows.pos[rr, le - 1 - present_all[:, ::-1].argmax(axis=1)][order]
    empty: np.ndarray = ~np.asarray(present_all.any(axis=1))
    hi_row[empty[order]] = -1
    out_i, out_j, out_v = [], [], []
    n = len(order)
    for a in range(0, n, block):
        b = min(a + block, n)
        end = int(np.searchsorted(first, last[a:b].max(), side="right"))
        if end <= a + 1:
            continue
        want = (np.arange(a, end)[None, :] > np.arange(a, b)[:, None]) & (
            first[a:end][None, :] <= last[a:b][:, None]
        )
        bi, pj = np.nonzero(want)
        valid = hi_row[a:end] >= 0
        if not len(bi) or not valid.any():
            continue
        lo = int(lo_row[a:end][valid].min())
        width = int(hi_row[a:end][valid].max()) - lo + 1
        # The block's rows gathered here (not the whole matrix reordered up front);
        # absent days go to a spare last column, dropped before the product.
        take = order[a:end]
        col = rows.pos[take] - lo
        if not complete:
            col[~present_all[take]] = width
        dense = np.zeros((end - a, width + 1))
        dense[np.arange(end - a)[:, None], col] = rows.z[take]
        dense = dense[:, :width]
        g = dense[: b - a] @ dense.T
        out_i.append(order[a + bi])
        out_j.append(order[a + pj])
        out_v.append(g[bi, pj])
    if not out_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_v)


def _edge_table(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """``(M, 2 (depth + 1))``: each row's sums of its first ``q`` values, then of its
    last ``q`` values, for ``q = 0 .. depth`` (``first``/``last``: the ``depth``
    first values and the ``depth`` last values, the latter reversed)."""
    w = first.shape[1] + 1
    edges = np.zeros((len(first), 2 * w))
    np.cumsum(first, axis=1, out=edges[:, 1:w])
    np.cumsum(last, axis=1, out=edges[:, w + 1 :])
    return edges


def _overlap_sums(
    z: np.ndarray, i: np.ndarray, j: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``sum x, sum y, sum x^2, sum y^2`` over the common sessions of complete rows
    ``i`` and ``j`` of one calendar, ``j`` starting ``d`` sessions after ``i``
    (``|d| <= Le``).

    Both rows have ``Le`` sessions, so the overlap drops the first ``d`` of ``i``
    and the last ``d`` of ``j`` (``d >= 0``), or the last ``-d`` of ``i`` and the
    first ``-d`` of ``j``: a row total minus one edge sum, read from tables of
    ``(M, 2 (|d| + 1))`` that stay in the CPU cache (no ``(M, Le)`` temporary).
    """
    a = np.abs(d)
    depth = int(a.max(initial=0))
    w = depth + 1
    head, tail = z[:, :depth], z[:, ::-1][:, :depth]
    edges = _edge_table(head, tail).ravel()
    edges2 = _edge_table(head * head, tail * tail).ravel()
    total, total2 = z.sum(axis=1), np.einsum("ij,ij->i", z, z)
    later = d >= 0
    at_i = i * (2 * w) + np.where(later, 0, w) + a
    at_j = j * (2 * w) + np.where(later, w, 0) + a
    return (
        total.take(i) - edges.take(at_i),
        total.take(j) - edges.take(at_j),
        total2.take(i) - edges2.take(at_i),
        total2.take(j) - edges2.take(at_j),
    )


def _masked_sums(rows: Rows, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, ...]:
    """``n, sx, sy, sxx, syy`` of pairs with missing values or on two calendars:
    ``j``'s values moved onto ``i``'s dates by one vectorised binary search."""
    le = rows.pos.shape[1]
    # Keys: axis position + 1 where present, 0 where missing; rows kept apart by an offset.
    ki = np.where(rows.m[i] > 0, rows.pos[i] + 1, 0)
    kj = np.where(rows.m[j] > 0, rows.pos[j] + 1, 0)
    span = int(max(ki.max(initial=0), kj.max(initial=0))) + 2
    order = np.argsort(kj, axis=1, kind="stable")
    rr = np.arange(len(i))[:, None]
    sorted_kj = kj[rr, order]
    off = rr.astype(np.int64) * span
    at = np.searchsorted((sorted_kj + off).ravel(), (ki + off).ravel()).reshape(ki.shape)
    local = np.clip(at - rr * le, 0, le - 1)
    match = (sorted_kj[rr, local] == ki) & (ki > 0)
    src = order[rr, local]
    xi = np.where(match, rows.z[i], 0.0)
    yj = np.where(match, rows.z[j][rr, src], 0.0)
    return (
        match.sum(axis=1).astype(float),
        xi.sum(axis=1),
        yj.sum(axis=1),
        (xi * xi).sum(axis=1),
        (yj * yj).sum(axis=1),
    )


def banded_sums(rows: Rows, block: int = BLOCK) -> PairSums:
    """The sums of :class:`PairSums` for every pair whose event windows overlap.

    ``sum x y`` comes from the banded Gram matrix. For two complete rows of
    one calendar the other sums are row totals minus edge sums (their common
    sessions); other pairs (a missing value, two calendars) match dates.
    """
    present: np.ndarray = np.asarray(rows.m > 0)
    pi, pj, sxy = _cross_products(rows, block, present)
    i, j = np.minimum(pi, pj), np.maximum(pi, pj)
    le = rows.z.shape[1]
    n = np.zeros(len(i))
    sx, sy, sxx, syy = np.zeros(len(i)), np.zeros(len(i)), np.zeros(len(i)), np.zeros(len(i))
    complete: np.ndarray = np.asarray(present.all(axis=1))
    fast = complete[i] & complete[j]
    if rows.calendar is not None and rows.start is not None:
        fast &= rows.calendar[i] == rows.calendar[j]
        f = np.flatnonzero(fast)
        fi, fj = i[f], j[f]
        d = np.clip(rows.start[fj] - rows.start[fi], -le, le)  # j's local index = i's - d
        n[f] = le - np.abs(d)
        sx[f], sy[f], sxx[f], syy[f] = _overlap_sums(rows.z, fi, fj, d)
    else:
        fast[:] = False
    slow = np.flatnonzero(~fast)
    if rows.calendar is not None and rows.start is not None:
        aligned = slow[rows.calendar[i[slow]] == rows.calendar[j[slow]]]
        slow = slow[rows.calendar[i[slow]] != rows.calendar[j[slow]]]
        for a in range(0, len(aligned), 50_000):
            sel = aligned[a : a + 50_000]
            n[sel], sx[sel], sy[sel], sxx[sel], syy[sel] = _aligned_sums(rows, i[sel], j[sel])
    for a in range(0, len(slow), 50_000):
        sel = slow[a : a + 50_000]
        n[sel], sx[sel], sy[sel], sxx[sel], syy[sel] = _masked_sums(rows, i[sel], j[sel])
    return PairSums(i, j, n, sx, sy, sxx, syy, sxy)


def _aligned_sums(rows: Rows, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, ...]:
    """``n, sx, sy, sxx, syy`` of same-calendar pairs with missing values: day ``k`` of
    row ``i`` is day ``k + start_i - start_j`` of row ``j``."""
    assert rows.start is not None
    le = rows.z.shape[1]
    d = (rows.start[i] - rows.start[j])[:, None]
    k = np.arange(le)[None, :] + d
    inside = (k >= 0) & (k < le)
    rr = np.arange(len(i))[:, None]
    kk = np.clip(k, 0, le - 1)
    both = inside & (rows.m[i] > 0) & (rows.m[j][rr, kk] > 0)
    xi = np.where(both, rows.z[i], 0.0)
    yj = np.where(both, rows.z[j][rr, kk], 0.0)
    return (
        both.sum(axis=1).astype(float),
        xi.sum(axis=1),
        yj.sum(axis=1),
        (xi * xi).sum(axis=1),
        (yj * yj).sum(axis=1),
    )


def pearson(s: PairSums, min_common: int) -> np.ndarray:
    """Pairwise-complete Pearson correlation from the sums (0 below ``min_common`` dates)."""
    n = s.n
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = s.sxy - s.sx * s.sy / n
        vx = s.sxx - s.sx * s.sx / n
        vy = s.syy - s.sy * s.sy / n
        rho = cov / np.sqrt(vx * vy)
    return np.where((n >= min_common) & np.isfinite(rho), rho, 0.0)


# --------------------------------------------------------------------------- r per column


@dataclass(frozen=True)
class PairCorrelations:
    """``rho`` for event pairs whose event windows overlap in time.

    ``shift`` is ``p0[j] - p0[i]`` for pairs on one calendar (their windows are
    then that many sessions apart) and :data:`NO_SHIFT` across calendars
    (matched by date).
    """

    i: np.ndarray
    j: np.ndarray
    rho: np.ndarray
    shift: np.ndarray


def exact_pairs(
    rows: Rows, calendar: np.ndarray, p0: np.ndarray, min_common: int = 30
) -> PairCorrelations:
    """Every overlapping pair's correlation (the exact path)."""
    sums = banded_sums(rows)
    rho = pearson(sums, min_common)
    same = calendar[sums.i] == calendar[sums.j]
    shift = np.where(same, p0[sums.j] - p0[sums.i], NO_SHIFT)
    keep = rho != 0.0
    return PairCorrelations(sums.i[keep], sums.j[keep], rho[keep], shift[keep])


def common_dates(
    pos_a: np.ndarray, ok_a: np.ndarray, pos_b: np.ndarray, ok_b: np.ndarray
) -> np.ndarray:
    """Row by row, how many valid date positions two (P, L) windows share."""
    common = np.zeros(len(pos_a))
    for c in range(pos_b.shape[1]):  # L is small (a window length)
        common += ((pos_a == pos_b[:, c : c + 1]) & ok_a & ok_b[:, c : c + 1]).sum(axis=1)
    return common


def overlap(
    i: np.ndarray,
    j: np.ndarray,
    shift: np.ndarray,
    width: int,
    window_pos: np.ndarray | None = None,
    window_ok: np.ndarray | None = None,
) -> np.ndarray:
    """``o_ij`` of pairs ``(i, j)`` for a test window of ``width`` sessions.

    On one calendar ``(width - |shift|)^+ / width``; across calendars
    (``shift == NO_SHIFT``) the common dates of the two windows' date-axis
    positions (``window_pos``, ``window_ok`` (M, width), needed only then).
    """
    same = shift != NO_SHIFT
    out = np.zeros(len(i))
    out[same] = np.maximum(width - np.abs(shift[same]), 0) / width
    cross = np.flatnonzero(~same)
    if len(cross):
        assert window_pos is not None and window_ok is not None
        a, b = i[cross], j[cross]
        common = common_dates(window_pos[a], window_ok[a], window_pos[b], window_ok[b])
        with np.errstate(invalid="ignore", divide="ignore"):
            sizes = np.sqrt(window_ok[a].sum(axis=1) * window_ok[b].sum(axis=1))
            out[cross] = np.where(sizes > 0, common / sizes, 0.0)
    return out


def mean_rho_overlap(pairs: PairCorrelations, included: np.ndarray, o: np.ndarray) -> float:
    """``r`` of the KP test for the ``included`` events, given each pair's overlap ``o``."""
    n = int(included.sum())
    if n < 2:
        return float("nan")
    both = included[pairs.i] & included[pairs.j]
    return float(np.sum(pairs.rho[both] * o[both])) / (n * (n - 1) / 2.0)


# --------------------------------------------------------------------------- approximation


@dataclass(frozen=True)
class GroupRows:
    """Events grouped by (calendar, day 0) for the approximate path.

    ``of_event`` (M,) the group of each estimated event; ``rows`` the groups'
    summed standardised residuals ``A_g`` as :class:`Rows` (``m`` = the dates
    the group's estimation window covers); ``self_sq`` (G,) ``sum_i u_i . u_i``;
    ``size`` (G,) members; ``calendar``, ``p0`` (G,).
    """

    of_event: np.ndarray
    rows: Rows
    self_sq: np.ndarray
    size: np.ndarray
    calendar: np.ndarray
    p0: np.ndarray


def standardise(resid: np.ndarray) -> np.ndarray:
    """Each row demeaned and divided by its SD (ddof 0) over its present days (0 where absent)."""
    ok = np.isfinite(resid)
    n = ok.sum(axis=1)
    dev = np.where(ok, resid, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = dev.sum(axis=1) / n
        dev -= mean[:, None]
        dev *= ok
        sd = np.sqrt(np.einsum("ij,ij->i", dev, dev) / n)
        dev /= sd[:, None]
    dev[~(ok & np.isfinite(dev))] = 0.0
    return dev


def group_rows(
    u: np.ndarray,
    inside: np.ndarray,
    pos: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    calendar: np.ndarray,
    p0: np.ndarray,
    start: np.ndarray,
) -> GroupRows:
    """Sum standardised residual rows ``u`` (M, L) per (calendar, day 0).

    ``inside`` (M, L) marks the estimation days inside the calendar: a
    group's coverage ``m``; members share ``pos``, ``first``, ``last`` and
    ``start`` (the session of their first estimation day).
    """
    key = calendar.astype(np.int64) * (1 << 32) + p0.astype(np.int64)
    groups, of_event = np.unique(key, return_inverse=True)
    g = len(groups)
    a = np.zeros((g, u.shape[1]))
    np.add.at(a, of_event, u)
    rep = np.zeros(g, dtype=np.int64)
    rep[of_event] = np.arange(len(of_event))
    self_sq = np.bincount(of_event, weights=(u * u).sum(axis=1), minlength=g)
    rows = Rows(
        a, inside[rep].astype(float), pos[rep], first[rep], last[rep], calendar[rep], start[rep]
    )
    return GroupRows(
        of_event, rows, self_sq, np.bincount(of_event, minlength=g), calendar[rep], p0[rep]
    )


@dataclass(frozen=True)
class GroupPairs:
    """Approximate ``sum rho`` of each group pair (``g < h``) and within each group."""

    g: np.ndarray
    h: np.ndarray
    between: np.ndarray  # sum over i in g, j in h of rho_ij
    shift: np.ndarray
    within: np.ndarray  # (G,) sum over i < j in g of rho_ij


def group_pairs(
    gr: GroupRows, a: np.ndarray | None = None, self_sq: np.ndarray | None = None
) -> GroupPairs:
    """The approximate sums from group rows (``a``/``self_sq``: adjusted copies)."""
    rows = (
        gr.rows
        if a is None
        else Rows(
            a, gr.rows.m, gr.rows.pos, gr.rows.first, gr.rows.last, gr.rows.calendar, gr.rows.start
        )
    )
    sq = gr.self_sq if self_sq is None else self_sq
    sums = banded_sums(rows)
    with np.errstate(invalid="ignore", divide="ignore"):
        between = np.where(sums.n > 0, sums.sxy / sums.n, 0.0)
        n_self = gr.rows.m.sum(axis=1)
        within = np.where(n_self > 0, ((rows.z * rows.z).sum(axis=1) - sq) / (2.0 * n_self), 0.0)
    same = gr.calendar[sums.i] == gr.calendar[sums.j]
    shift = np.where(same, gr.p0[sums.j] - gr.p0[sums.i], NO_SHIFT)
    return GroupPairs(sums.i, sums.j, between, shift, within)


def approximate_r(gp: GroupPairs, o_between: np.ndarray, n_included: int) -> float:
    """``r`` of a test window from the group sums, given each group pair's overlap."""
    if n_included < 2:
        return float("nan")
    total = float(np.sum(gp.between * o_between)) + float(np.sum(gp.within))
    return total / (n_included * (n_included - 1) / 2.0)
