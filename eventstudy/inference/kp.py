"""Cross-correlation of abnormal returns for the Kolari-Pynnonen (2010) test.

METHODS.md section 5, generalised to partly overlapping windows:

.. math::

    \\bar r = \\frac{2}{N(N-1)} \\sum_{i<j} \\rho_{ij}\\, o_{ij}, \\qquad
    o_{ij} = \\frac{|W_i \\cap W_j|}{\\sqrt{|W_i|\\,|W_j|}}

``rho_ij`` is the Pearson correlation of the two events' estimation-window
residuals on the calendar dates both have (0 when they share fewer than 30),
``W_i`` the calendar dates of event ``i``'s test window. Only pairs whose event
windows overlap can contribute, so the work grows with the number of
overlapping pairs, not with all ``N^2`` pairs: correlations are computed once
for those pairs and reused for every test window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class PairCorrelations:
    """``rho`` for every event pair whose event windows overlap in time.

    ``shift`` is ``day0_pos[j] - day0_pos[i]`` for pairs on the same calendar
    (their windows are then aligned by that many sessions) and ``NO_SHIFT``
    for pairs on different calendars (matched by date instead).
    """

    i: np.ndarray
    j: np.ndarray
    rho: np.ndarray
    shift: np.ndarray


NO_SHIFT = np.iinfo(np.int64).min


def _day_numbers(dates: np.ndarray) -> np.ndarray:
    """datetime64 -> int64 day numbers, NaT -> a sentinel that never matches a date.

    Missing dates only occur at the ends of a window (outside the calendar),
    so sentinels below/above every real day keep each row ascending.
    """
    d = dates.astype("datetime64[D]")
    out = d.astype("int64")
    nat = np.isnat(d)
    if nat.any():
        cols = np.broadcast_to(np.arange(d.shape[-1]), d.shape)
        before = np.cumsum(~nat, axis=-1) == 0
        out = np.where(nat & before, -_SENTINEL + cols, out)
        out = np.where(nat & ~before, _SENTINEL + cols, out)
    return out


_SENTINEL = 10_000_000


def overlapping_pairs(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``i < j`` (original order) whose ``[first, last]`` ranges intersect."""
    order = np.argsort(first, kind="stable")
    s, e = first[order], last[order]
    n = len(s)
    # Every later-starting range that starts on/before our end overlaps us.
    hi = np.searchsorted(s, e, side="right")
    counts = np.maximum(hi - np.arange(n) - 1, 0)
    a = np.repeat(np.arange(n), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    b = a + 1 + offsets
    i, j = order[a], order[b]
    return np.minimum(i, j), np.maximum(i, j)


def pair_correlations(
    resid_est: np.ndarray,
    dates_est: np.ndarray,
    dates_evt: np.ndarray,
    min_common: int = 30,
    chunk: int = 4000,
    calendar_id: np.ndarray | None = None,
    day0_pos: np.ndarray | None = None,
) -> PairCorrelations:
    """Residual correlations for every pair whose event windows overlap.

    Pairs on one calendar are aligned by their day-0 distance (a gather, no
    search); pairs across calendars are matched on calendar dates.
    """
    evt_days = _day_numbers(dates_evt)
    valid = ~np.isnat(dates_evt)
    first = np.where(valid, evt_days, np.iinfo(np.int64).max).min(axis=1)
    last = np.where(valid, evt_days, np.iinfo(np.int64).min).max(axis=1)
    # Stored dates: no sentinel tricks needed here since invalid rows are dropped.
    ok = valid.any(axis=1)
    idx = np.flatnonzero(ok)
    pi, pj = overlapping_pairs(first[idx], last[idx])
    pi, pj = idx[pi], idx[pj]
    n = len(resid_est)
    cal = calendar_id if calendar_id is not None else np.full(n, -1)
    pos = day0_pos if day0_pos is not None else np.zeros(n, dtype=np.int64)
    same = (
        (cal[pi] == cal[pj]) & (cal[pi] >= 0)
        if calendar_id is not None
        else np.zeros(len(pi), dtype=bool)
    )
    shift = np.where(same, pos[pj] - pos[pi], NO_SHIFT)
    rho = np.zeros(len(pi))
    idx_same = np.flatnonzero(same)
    if len(idx_same):
        rho[idx_same] = _aligned_correlations(
            resid_est, pi[idx_same], pj[idx_same], shift[idx_same], min_common, chunk
        )
    idx_other = np.flatnonzero(~same)
    if len(idx_other):
        est_days = _day_numbers(dates_est)
        for a in range(0, len(idx_other), chunk):
            sel = idx_other[a : a + chunk]
            rho[sel] = _pearson_on_common_dates(resid_est, est_days, pi[sel], pj[sel], min_common)
    keep = rho != 0.0
    return PairCorrelations(pi[keep], pj[keep], rho[keep], shift[keep])


def _rowdot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", a, b)


def _aligned_correlations(
    resid: np.ndarray,
    pi: np.ndarray,
    pj: np.ndarray,
    shift: np.ndarray,
    min_common: int,
    chunk: int,
) -> np.ndarray:
    """Pearson correlations of same-calendar pairs, grouped by their day-0 shift.

    Estimation day ``k`` of event ``i`` is day ``k - shift`` of event ``j``;
    with rows of ``j`` zero-padded by ``max|shift|`` each group is a plain
    column slice, so the work is row gathers and row-wise dot products.
    """
    mask = np.isfinite(resid)
    z = np.where(mask, resid, 0.0)
    m = mask.astype(np.float64)
    z2 = z * z
    le = z.shape[1]
    pad = int(np.abs(shift).max())
    zp, mp, z2p = (np.pad(a, ((0, 0), (pad, pad))) for a in (z, m, z2))
    out = np.zeros(len(pi))
    order = np.argsort(shift, kind="stable")
    bounds = np.flatnonzero(np.diff(shift[order])) + 1
    for group in np.split(order, bounds):
        start = pad - int(shift[group[0]])
        for a in range(0, len(group), chunk):
            sel = group[a : a + chunk]
            i, j = pi[sel], pj[sel]
            cols = slice(start, start + le)
            out[sel] = _pearson_from_sums(
                z[i], m[i], z2[i], zp[j, cols], mp[j, cols], z2p[j, cols], min_common
            )
    return out


def _pearson_from_sums(
    zi: np.ndarray,
    mi: np.ndarray,
    z2i: np.ndarray,
    zj: np.ndarray,
    mj: np.ndarray,
    z2j: np.ndarray,
    min_common: int,
) -> np.ndarray:
    """Pairwise-complete Pearson correlation from row sums (``z`` = 0 where missing)."""
    n = _rowdot(mi, mj)
    sx, sy = _rowdot(zi, mj), _rowdot(mi, zj)
    sxx, syy, sxy = _rowdot(z2i, mj), _rowdot(mi, z2j), _rowdot(zi, zj)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sy / n
        vx = sxx - sx * sx / n
        vy = syy - sy * sy / n
        rho = cov / np.sqrt(vx * vy)
    return np.where((n >= min_common) & np.isfinite(rho), rho, 0.0)


def _pearson_on_common_dates(
    resid: np.ndarray, days: np.ndarray, pi: np.ndarray, pj: np.ndarray, min_common: int
) -> np.ndarray:
    """Pearson correlation of rows ``pi`` and ``pj`` over the dates both have.

    Dates are ascending within each row, so the common dates are found with a
    vectorised binary search of ``j``'s dates for each of ``i``'s.
    """
    le = days.shape[1]
    di, dj = days[pi], days[pj]
    # One global binary search: offset each row so the flattened keys stay sorted.
    off = (np.arange(len(pi), dtype=np.int64) * (4 * _SENTINEL))[:, None]
    flat = (dj + off).ravel()
    pos = (
        np.searchsorted(flat, (di + off).ravel()).reshape(di.shape)
        - np.arange(len(pi))[:, None] * le
    )
    pos = np.clip(pos, 0, le - 1)
    rows = np.arange(len(pi))[:, None]
    match = dj[rows, pos] == di
    # j's residuals moved onto i's dates (NaN where j has no such date), then the
    # same pairwise-complete sums as the aligned path.
    y = np.where(match, resid[pj][rows, pos], np.nan)
    x = resid[pi]
    mi, mj = np.isfinite(x).astype(np.float64), np.isfinite(y).astype(np.float64)
    zi, zj = np.where(mi > 0, x, 0.0), np.where(mj > 0, y, 0.0)
    return _pearson_from_sums(zi, mi, zi * zi, zj, mj, zj * zj, min_common)


def window_overlap(dates_a: np.ndarray, dates_b: np.ndarray) -> np.ndarray:
    """``|W_i & W_j| / sqrt(|W_i| |W_j|)`` row by row for two (P, L) date arrays."""
    da, db = _day_numbers(dates_a), _day_numbers(dates_b)
    va, vb = ~np.isnat(dates_a), ~np.isnat(dates_b)
    common = np.zeros(len(da))
    for c in range(db.shape[1]):  # L is small (the window length)
        common += ((da == db[:, c : c + 1]) & va & vb[:, c : c + 1]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return common / np.sqrt(va.sum(axis=1) * vb.sum(axis=1))


def mean_rho_overlap(
    pairs: PairCorrelations, included: np.ndarray, window_dates: np.ndarray
) -> float:
    """``r`` of the KP test for the ``included`` events and their window dates."""
    n = int(included.sum())
    if n < 2:
        return float("nan")
    keep = included[pairs.i] & included[pairs.j]
    i, j, rho, shift = pairs.i[keep], pairs.j[keep], pairs.rho[keep], pairs.shift[keep]
    total = 0.0
    # Same calendar, equal-length windows of consecutive sessions: the overlap
    # is (L - |shift|)^+ / L.
    same = shift != NO_SHIFT
    width = window_dates.shape[1]
    o_same = np.maximum(width - np.abs(shift[same]), 0) / width
    total += float(np.sum(rho[same] * o_same))
    io, jo, ro = i[~same], j[~same], rho[~same]
    for a in range(0, len(io), 200000):
        sl = slice(a, a + 200000)
        o = window_overlap(window_dates[io[sl]], window_dates[jo[sl]])
        total += float(np.nansum(ro[sl] * o))
    return total / (n * (n - 1) / 2.0)
