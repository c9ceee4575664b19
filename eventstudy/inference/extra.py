"""Tests beyond METHODS.md section 5 (issue 10), for many columns at once.

Same shapes as :mod:`eventstudy.inference.battery`: column ``k`` is one CAR
window or one single day, row ``i`` event ``i``, ``N`` the included events,
``CAAR = mean(CAR_i)``. All p-values are two-sided; no test with ``N < 2``.

- ``bw_crude`` (Brown & Warner 1985, crude dependence adjustment):
  ``t = CAAR / (sqrt(L) S)``, ``L`` the window length in sessions, ``S`` the
  sample sd (ddof 1) over the relative estimation days ``t`` of
  ``AAR_t = mean(e_it)``, the average estimation residual of the column's
  included events that have a residual on day ``t`` (days without any are
  left out); t with ``T_est - 1`` df, ``T_est`` the relative estimation days
  with an ``AAR_t``.
- ``grank`` (Kolari & Pynnonen 2011, generalised rank test, t form): per event
  ``SAR_it = e_it / sigma_i`` on its estimation days, the window's
  ``SCAR_i* = SCAR_i / sd(SCAR)`` (cross-sectional sd, ddof 1) as one more
  observation ``GSAR_i0``; ``U_it = rank(GSAR_it) / (T_i + 1) - 1/2`` with
  average ranks over the event's ``T_i`` estimation residuals plus the CAR.
  ``Ubar_t`` = mean of ``U_it`` over the ``n_t`` included events with a value
  on day ``t`` (``n_0 = N``), ``S^2 = (1/T) sum_t (n_t/N) Ubar_t^2`` over the
  ``T`` = (estimation days with a value) + 1 observations including the CAR
  day, ``Z = Ubar_0 / S`` and ``t = Z sqrt((T-2) / (T-1-Z^2))``, t with
  ``T - 2`` df.
- ``adj_patell`` (Kolari & Pynnonen 2010): ``Z_Patell sqrt((1-r)/(1+(N-1)r))``
  with the ``r`` of ``kp``; normal.
- ``skew_t`` (Hall 1992; Lyon, Barber & Tsai 1999): ``S = CAAR / sd(CAR)``
  (ddof 1), ``gamma = sum (CAR_i - CAAR)^3 / (N sd^3)``,
  ``t = sqrt(N) (S + gamma S^2 / 3 + gamma / (6 N))``. Its p-value is the
  bootstrap one of Lyon, Barber & Tsai (1999), because the normal one
  over-rejects with fat-tailed daily returns (8.4% at 5% in the placebo on
  the 505-stock universe, N = 50): ``B`` resamples of size ``N`` drawn with
  replacement from the column's CARs, each giving ``t_b`` from the same formula
  with ``S_b = (mean_b - CAAR) / sd_b`` (centred on the sample, so the null
  holds in the resampling world); two-sided the symmetric bootstrap p
  ``p = (#(|t_b| >= |t|) + 1) / (B' + 1)`` (Hall 1988: its error is of lower
  order than the equal-tailed one's, and on the 505-stock placebo it holds
  the 5% size on day 0, 5.6%, where the equal-tailed p gave 7.6%),
  ``greater`` ``(#(t_b >= t) + 1) / (B' + 1)``, ``less`` the mirror, ``B'``
  the resamples whose ``t_b`` is defined (not all one value); ``B = 999``.
  Columns of more than 2,000 events take the normal p, where the two agree
  (and the bootstrap would cost ``N x B`` per column). Seeded
  (``seed`` of the study, one stream per column, resampling the sorted CARs), so
  a rerun, or the same events in another order, gives the same p.
- ``sign_exact`` / ``gen_sign_exact``: ``w``, the events with ``CAR_i > 0``,
  with the exact two-sided binomial p-value of ``scipy.stats.binomtest(w, N,
  p)`` for ``p = 1/2`` and Cowan's (1992) ``p-hat`` respectively.
"""

from __future__ import annotations

import itertools
from concurrent.futures import Future
from typing import Any

import numpy as np
from scipy import stats

from eventstudy.inference.car import two_sided_normal, two_sided_t
from eventstudy.inference.rowranks import row_ranks
from eventstudy.threads import Worker

#: Elements of one (events x estimation days x columns) comparison block.
_BLOCK = 4_000_000


class ExtraCollector:
    """What ``bw_crude`` and ``grank`` need, chunk by chunk: every estimated
    event's estimation residuals ``(M, Le)`` and ``sigma``, used once all
    chunks are in (so the results do not depend on the chunking).

    ``shared``: an ``(M, Le)`` array that another collector fills with the
    same residuals (NaN for events not estimated), the exact KP path's; then
    they are kept once.
    """

    def __init__(
        self, m: int, le: int, shared: np.ndarray | None = None, worker: Worker | None = None
    ) -> None:
        self._own = shared is None
        self._filled: Future[None] | None = None
        if shared is not None:
            self.resid = shared
        elif worker is not None and worker.threaded:
            # Its first touch (1.9 GB at 1,000,000 events, seconds of page faults)
            # in the second thread while this one builds the other arrays.
            self.resid = np.empty((m, le))
            self._filled = worker.submit("store", self.resid.fill, np.nan)
        else:
            self.resid = np.full((m, le), np.nan)
        self.sigma = np.full(m, np.nan)

    def ready(self) -> None:
        """Wait until the residuals are all NaN (the second thread's fill done)."""
        if self._filled is not None:
            self._filled.result()  # raises the fill's error, if any
            self._filled = None

    def add(
        self, sel: np.ndarray, resid: np.ndarray, sigma2: np.ndarray, numbers: np.ndarray
    ) -> None:
        self.ready()  # every row NaN before the first chunk
        if self._own:
            self.resid[sel] = np.where(numbers[:, None], resid, np.nan)
        with np.errstate(invalid="ignore"):
            self.sigma[sel] = np.where(numbers, np.sqrt(sigma2), np.nan)


def _rows_per_block(le: int) -> int:
    """Events per block of the passes over the ``(M, Le)`` residuals: about 1,000
    events of 240 days, whose temporaries stay in the CPU cache."""
    return max(1, _BLOCK // max(1, 16 * le))


def residual_sums(resid: np.ndarray, inc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``bw_crude``'s sums over a block of events: per estimation day and column, the
    included events' residuals and how many there are, each ``(Le, K)``."""
    finite = np.isfinite(resid)
    return np.where(finite, resid, 0.0).T @ inc, finite.astype(float).T @ inc


def bw_finish(
    res_sum: np.ndarray, res_cnt: np.ndarray, caar: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Brown-Warner crude-dependence t and its df per column from the sums of
    :func:`residual_sums` added over all events (see module doc)."""
    total, cnt = res_sum.T, res_cnt.T
    has = cnt > 0
    t_est = has.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        aar = np.where(has, total / np.where(has, cnt, 1.0), 0.0)
        mean = aar.sum(axis=1) / t_est
        dev = np.where(has, aar - mean[:, None], 0.0)
        s = np.sqrt((dev * dev).sum(axis=1) / (t_est - 1.0))
        t = caar / (np.sqrt(lengths) * s)
    return t, np.where(t_est >= 2, t_est - 1.0, np.nan)


def bw_crude(
    col: ExtraCollector, caar: np.ndarray, lengths: np.ndarray, included: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Brown-Warner crude-dependence t and its df per column (see module doc), on its
    own; the engine gets the same sums from :func:`grank_sums`' pass over the events."""
    col.ready()
    le, k = col.resid.shape[1], included.shape[1]
    res_sum, res_cnt = np.zeros((le, k)), np.zeros((le, k))
    step = _rows_per_block(le)
    for a in range(0, len(col.resid), step):
        block = residual_sums(col.resid[a : a + step], included[a : a + step].astype(float))
        res_sum += block[0]
        res_cnt += block[1]
    return bw_finish(res_sum, res_cnt, caar, lengths)


class GrankInput:
    """What every part of GRANK shares: the columns' cross-sectional sd of the SCARs
    and the rows (events) included in some column, in blocks of ``step``."""

    def __init__(self, col: ExtraCollector, scar: np.ndarray, included: np.ndarray) -> None:
        col.ready()
        self.col, self.scar, self.included = col, scar, included
        self.n = included.sum(axis=0).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            s_mean = np.where(included, scar, 0.0).sum(axis=0) / self.n
            dev = np.where(included, scar - s_mean, 0.0)
            self.s_sd = np.sqrt((dev * dev).sum(axis=0) / (self.n - 1.0))
        self.rows = np.flatnonzero(included.any(axis=1))
        le = col.resid.shape[1]
        self.step = _rows_per_block(le)

    def parts(self, n_parts: int) -> list[np.ndarray]:
        """The rows in ``n_parts`` runs of whole blocks (the same blocks as one pass)."""
        n_blocks = -(-len(self.rows) // self.step)
        cuts = np.linspace(0, n_blocks, max(1, min(n_parts, n_blocks)) + 1).round().astype(int)
        return [
            self.rows[a * self.step : b * self.step] for a, b in itertools.pairwise(cuts.tolist())
        ]


def grank_sums(g_in: GrankInput, rows: np.ndarray) -> tuple[np.ndarray, ...]:
    """GRANK's sums over the events ``rows``: ``(sum_i U_i0, sum_i U_it, n_t)`` per
    column, the last two per estimation day ``t``, then ``bw_crude``'s
    :func:`residual_sums` over the same events (read once for both tests; all
    added up over the parts by :func:`add_sums`)."""
    col, scar, included = g_in.col, g_in.scar, g_in.included
    le = col.resid.shape[1]
    k = included.shape[1]
    u0 = np.zeros(k)
    est_sum = np.zeros((le, k))
    est_cnt = np.zeros((le, k))
    res_sum = np.zeros((le, k))
    res_cnt = np.zeros((le, k))
    for a in range(0, len(rows), g_in.step):
        b = rows[a : a + g_in.step]
        with np.errstate(invalid="ignore", divide="ignore"):
            resid = col.resid[b]  # gathered once for both tests
            s = resid / col.sigma[b][:, None]
            g = np.where(included[b], scar[b] / g_in.s_sd, np.nan)
        inc = included[b].astype(float)
        block = residual_sums(resid, inc)
        res_sum += block[0]
        res_cnt += block[1]
        finite = np.isfinite(s)
        n_est = finite.sum(axis=1).astype(float)[:, None]
        ti = n_est + 1.0  # estimation days + the CAR
        weight = inc / (ti + 1.0)
        above = np.zeros(g.shape)
        gt = np.empty(s.shape)  # [s > g] as 0/1, one column at a time, reused
        eq = np.empty(s.shape, dtype=bool)
        ones = np.ones(le)
        # One column at a time: (b, Le) comparisons written into the same buffers
        # and two matrix-vector products (row counts, exact in float64, and the
        # weighted day sums); no (b, Le, K) temporaries. NaN compares False:
        # missing days and excluded columns count nowhere.
        for c in range(k):
            gc = g[:, c : c + 1]
            np.greater(s, gc, out=gt)
            above[:, c] = gt @ ones
            est_sum[:, c] += weight[:, c] @ gt
            np.equal(s, gc, out=eq)
            if eq.any():
                eqf = eq.astype(float)
                above[:, c] += 0.5 * (eqf @ ones)
                est_sum[:, c] += 0.5 * (weight[:, c] @ eqf)
        u0 += np.where(included[b], (n_est - above + 1.0) / (ti + 1.0) - 0.5, 0.0).sum(axis=0)
        base = np.where(finite, row_ranks(s) / (ti + 1.0) - 0.5, 0.0)
        est_sum += base.T @ inc
        est_cnt += finite.astype(float).T @ inc
    return u0, est_sum, est_cnt, res_sum, res_cnt


def add_sums(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """The parts' :func:`grank_sums` added up in the order given (the same order with
    or without a second thread, so the same numbers)."""
    total = parts[0]
    for part in parts[1:]:
        total = tuple(a + b for a, b in zip(total, part, strict=True))
    return total


def grank_finish(g_in: GrankInput, sums: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """GRANK t and its df per column from :func:`add_sums` of the parts."""
    u0, est_sum, est_cnt = sums[:3]
    n = g_in.n
    with np.errstate(invalid="ignore", divide="ignore"):
        has = est_cnt > 0
        ubar = np.where(has, est_sum / np.where(has, est_cnt, 1.0), 0.0)
        ubar0 = u0 / n
        t_all = has.sum(axis=0) + 1.0
        s2 = ((est_cnt / n) * ubar * ubar).sum(axis=0) + ubar0 * ubar0
        z = ubar0 / np.sqrt(s2 / t_all)
        t = z * np.sqrt((t_all - 2.0) / (t_all - 1.0 - z * z))
    return t, np.where(t_all >= 3, t_all - 2.0, np.nan)


def grank(
    col: ExtraCollector, scar: np.ndarray, included: np.ndarray, n_parts: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Kolari-Pynnonen GRANK t and its df per column (see module doc); the events'
    sums in ``n_parts`` runs of rows, as :mod:`eventstudy.inference.crosssection`
    gives them to two threads."""
    g_in = GrankInput(col, scar, included)
    t, df = grank_finish(g_in, add_sums([grank_sums(g_in, rows) for rows in g_in.parts(n_parts)]))
    return t, df


def adj_patell(patell: np.ndarray, r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Patell Z with the Kolari-Pynnonen (2010) cross-correlation adjustment."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return patell * np.sqrt((1.0 - r) / (1.0 + (n - 1.0) * r))


def skew_t(car: np.ndarray, inc: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Hall's (1992) skewness-adjusted t (Lyon, Barber & Tsai 1999)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(inc, car, 0.0).sum(axis=0) / n
        dev = np.where(inc, car - mean, 0.0)
        sd = np.sqrt((dev * dev).sum(axis=0) / (n - 1.0))
        s = mean / sd
        gamma = (dev**3).sum(axis=0) / (n * sd**3)
        return np.sqrt(n) * (s + gamma * s * s / 3.0 + gamma / (6.0 * n))


#: Resamples of ``skew_t``'s bootstrap (Lyon, Barber & Tsai 1999 use 1,000).
SKEW_REPS = 999
#: Fewest events for ``skew_t``'s bootstrap p: 2 events have 3 distinct resamples,
#: all with ``t_b = 0`` or undefined (so every sample would be rejected), 3 have 10
#: (11% rejected at 5% on normal data); from 4 (35) the size holds (4.8% at 4, 4.0%
#: at 5, 5.0% at 8, 400 normal samples each).
SKEW_BOOT_MIN_N = 4
#: Beyond this many events a column's ``skew_t`` takes the normal p (the two agree
#: there and the bootstrap would cost ``N x B`` per column).
SKEW_BOOT_MAX_N = 2000


def _hall_t_rows(xb: np.ndarray) -> np.ndarray:
    """Hall's t of each row of deviations ``xb`` from the sample mean, centred on it
    (``S_b = mean_b / sd_b``), from power sums; NaN where a row is one value repeated."""
    n = float(xb.shape[1])
    x2 = xb * xb
    s1, s2, s3 = xb.sum(axis=1), x2.sum(axis=1), (x2 * xb).sum(axis=1)
    m1 = s1 / n
    ss = s2 - n * m1 * m1  # sum of squared deviations from the resample mean
    c3 = s3 - 3.0 * m1 * s2 + 2.0 * n * m1**3
    sd = np.sqrt(np.maximum(ss, 0.0) / (n - 1.0))
    s = m1 / sd
    gamma = c3 / (n * sd**3)
    t = np.sqrt(n) * (s + gamma * s * s / 3.0 + gamma / (6.0 * n))
    return np.where(ss > 1e-12 * s2, t, np.nan)


def skew_t_bootstrap_p(
    car: np.ndarray,
    inc: np.ndarray,
    stat: np.ndarray,
    alternative: str,
    reps: int,
    seed: tuple[int, ...],
) -> np.ndarray:
    """Lyon, Barber & Tsai (1999) bootstrap p-value of :func:`skew_t` per column
    (NaN for columns of more than :data:`SKEW_BOOT_MAX_N` events: the caller takes
    the normal p there; NaN below :data:`SKEW_BOOT_MIN_N` events: too few distinct
    resamples for a p-value)."""
    out = np.full(car.shape[1], np.nan)
    for k in range(car.shape[1]):
        x = car[inc[:, k], k]
        n = len(x)
        if n < SKEW_BOOT_MIN_N or not np.isfinite(stat[k]) or n > SKEW_BOOT_MAX_N:
            continue
        rng = np.random.default_rng((*seed, k))
        # sorted CARs: the resamples depend on the CARs, not on the event order
        xs = np.sort(x)
        d = xs - xs.mean()
        le = ge = far = valid = 0
        step = max(1, _BLOCK // (8 * n))
        for a in range(0, reps, step):
            b = min(reps, a + step)
            xb = d[rng.integers(0, n, size=(b - a, n))]
            with np.errstate(invalid="ignore", divide="ignore"):
                tb = _hall_t_rows(xb)
            valid += int(np.count_nonzero(np.isfinite(tb)))
            le += int(np.count_nonzero(tb <= stat[k]))
            ge += int(np.count_nonzero(tb >= stat[k]))
            far += int(np.count_nonzero(np.abs(tb) >= abs(stat[k])))
        if alternative == "greater":
            out[k] = (ge + 1) / (valid + 1)
        elif alternative == "less":
            out[k] = (le + 1) / (valid + 1)
        else:
            out[k] = (far + 1) / (valid + 1)
    return out


def _first(pred: Any, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per column, the first whole ``x`` in ``[lo, hi)`` where the monotone ``pred``
    (False then True) holds, ``hi`` where it never does."""
    lo, hi = lo.astype(float).copy(), hi.astype(float).copy()
    while (active := lo < hi).any():
        mid = np.floor((lo + hi) / 2)
        hit = pred(mid) & active
        hi = np.where(hit, mid, hi)
        lo = np.where(active & ~hit, mid + 1, lo)
    return lo


#: Up to this many events (N), :func:`binom_two_sided` evaluates each column's pmf at
#: every outcome once (one scipy call) and bisects on that table.
PMF_TABLE_MAX_N = 2000


def _pmf_of(n: np.ndarray, p: np.ndarray) -> Any:
    """``x -> binom.pmf(x, n, p)`` per column: a lookup in a table of every outcome
    when ``n`` is small (the same values, one scipy call instead of one per
    bisection step), scipy itself otherwise."""
    n_max = int(n.max()) if len(n) else 0
    if n_max > PMF_TABLE_MAX_N or len(n) * (n_max + 1) > 4_000_000:
        return lambda x: stats.binom.pmf(x, n, p)
    table = stats.binom.pmf(np.arange(n_max + 1)[None, :], n[:, None], p[:, None])
    rows = np.arange(len(n))
    # outcomes outside [0, n_max] are only asked for finished columns (ignored)
    return lambda x: table[rows, np.clip(x, 0, n_max).astype(np.int64)]


def binom_two_sided(w: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``scipy.stats.binomtest(w, n, p).pvalue`` (two-sided) for every column at once.

    binomtest's rule: the probability of the outcomes on the other side of
    the mode whose pmf is at most ``pmf(w) (1 + 1e-7)``, added to ``w``'s own
    tail. The pmf is monotone on each side, so those outcomes are counted.
    NaN where ``n < 1`` or ``p`` is not in ``[0, 1]``.
    """
    w, n, p = (np.asarray(v, dtype=float) for v in (w, n, p))
    out = np.full(w.shape, np.nan)
    ok = (n >= 1) & np.isfinite(p) & (p >= 0) & (p <= 1) & np.isfinite(w)
    if not ok.any():
        return out
    wk, nk, pk = w[ok], n[ok], p[ok]
    d = stats.binom.pmf(wk, nk, pk) * (1.0 + 1e-7)
    pn = pk * nk
    # pmf is non-increasing on [ceil(pn), n] and non-decreasing on [0, floor(pn)]:
    # the outcomes with pmf <= d are a suffix and a prefix, found by bisection
    # (as binomtest does) instead of evaluating the pmf at every outcome
    pmf = _pmf_of(nk, pk)
    upper = nk + 1 - _first(lambda x: pmf(x) <= d, np.ceil(pn), nk + 1)
    lower = _first(lambda x: pmf(x) > d, np.zeros_like(nk), np.floor(pn) + 1)
    p_low = stats.binom.cdf(wk, nk, pk) + stats.binom.sf(nk - upper, nk, pk)
    p_high = stats.binom.cdf(lower - 1, nk, pk) + stats.binom.sf(wk - 1, nk, pk)
    pv = np.where(wk < pn, p_low, p_high)
    pv = np.where(wk == pn, 1.0, np.minimum(1.0, pv))
    out[ok] = pv
    return out


def p_values(stat: np.ndarray, dist: str, df: np.ndarray) -> np.ndarray:
    return two_sided_t(stat, df) if dist == "t" else two_sided_normal(stat)
