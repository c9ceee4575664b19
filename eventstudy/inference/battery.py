"""The cross-sectional tests of METHODS.md section 5, for many windows at once.

Each column of the inputs is one CAR window or one single day; row ``i`` is
event ``i``. ``N_k`` = events included in column ``k``; ``CAAR = mean(CAR_i)``.

.. math::

    t_{cs} = \\frac{CAAR}{sd(CAR)/\\sqrt N}, \\quad
    Z_{Patell} = \\frac{\\sum SCAR_i}{\\sqrt{\\sum d_i/(d_i - 2)}}, \\quad
    t_{BMP} = \\frac{\\overline{SCAR}}{sd(SCAR)/\\sqrt N}, \\quad
    t_{KP} = t_{BMP} \\sqrt{\\frac{1 - \\bar r}{1 + (N - 1)\\bar r}}

    Z_{gen} = \\frac{w - N\\hat p}{\\sqrt{N \\hat p (1 - \\hat p)}}, \\quad
    Z_{sign} = \\frac{w - N/2}{\\sqrt{N/4}}

with ``w`` the events with a positive CAR and ``p-hat`` (Cowan 1992) the mean
share of positive estimation-window residuals. The rank tests (Corrado,
Wilcoxon) come from :mod:`eventstudy.inference.rank`; ``r-bar`` from
:mod:`eventstudy.inference.kp`. Fewer than 2 events in a column: no test.

After the eight tests of section 5 (:data:`CLASSIC_NAMES`) come those of
:mod:`eventstudy.inference.extra` (:data:`EXTRA_NAMES`, formulas and
references there): ``bw_crude`` and ``grank`` arrive precomputed in
``Columns.precomputed``; ``adj_patell``, ``skew_t`` and the exact binomial
``sign_exact`` / ``gen_sign_exact`` (statistic ``w``) are computed here,
``skew_t`` with its bootstrap p-value (``Columns.skew_reps``, ``seed``).

p-values follow ``Columns.alternative`` (two-sided by default; ``greater`` /
``less`` one-sided, see :mod:`eventstudy.inference.alternative`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from eventstudy.inference import alternative, extra
from eventstudy.inference.car import two_sided_normal, two_sided_t
from eventstudy.inference.rank import wilcoxon_columns

#: The eight tests of METHODS.md section 5.
CLASSIC_NAMES = ("t_cs", "patell", "bmp", "kp", "gen_sign", "sign", "corrado", "wilcoxon")
#: The further tests of :mod:`eventstudy.inference.extra` (issue 10).
EXTRA_NAMES = ("bw_crude", "grank", "adj_patell", "skew_t", "sign_exact", "gen_sign_exact")
TEST_NAMES = CLASSIC_NAMES + EXTRA_NAMES
#: Null distribution of each test (``t`` tests have ``N - 1`` degrees of freedom).
DISTRIBUTIONS = {
    "t_cs": "t",
    "patell": "normal",
    "bmp": "t",
    "kp": "t",
    "gen_sign": "normal",
    "sign": "normal",
    "corrado": "normal",
    "wilcoxon": "wilcoxon signed-rank",
    "bw_crude": "t",
    "grank": "t",
    "adj_patell": "normal",
    "skew_t": "bootstrap",
    "sign_exact": "binomial",
    "gen_sign_exact": "binomial",
}


@dataclass(frozen=True)
class Columns:
    """Inputs for ``K`` columns: ``car``, ``scar``, ``included`` (N, K); ``dof``,
    ``pos_share`` (N,); ``corrado``, ``kp_r`` (K,) precomputed statistics;
    ``precomputed``: statistic and df (K,) of ``bw_crude`` and ``grank``
    (from :class:`~eventstudy.inference.extra.ExtraCollector`; without them
    those two tests are NaN)."""

    car: np.ndarray
    scar: np.ndarray
    included: np.ndarray
    dof: np.ndarray
    pos_share: np.ndarray
    corrado: np.ndarray
    kp_r: np.ndarray
    precomputed: dict[str, tuple[np.ndarray, np.ndarray]] | None = None
    #: ``two-sided``, ``greater`` or ``less`` (:mod:`~eventstudy.inference.alternative`).
    alternative: str = "two-sided"
    #: Resamples and seed of ``skew_t``'s bootstrap p-value (0 resamples: normal p).
    skew_reps: int = extra.SKEW_REPS
    seed: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class TestColumn:
    """One test over ``K`` columns: statistic, p-value, df and N per column, notes."""

    name: str
    statistic: np.ndarray
    p_value: np.ndarray
    distribution: str
    df: np.ndarray  # NaN where the distribution has no degrees of freedom
    n: np.ndarray
    note: list[str]


def _moments(x: np.ndarray, inc: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sample sd (ddof 1) of each column over its included rows."""
    with np.errstate(invalid="ignore", divide="ignore"):
        xz = np.where(inc, x, 0.0)
        mean = xz.sum(axis=0) / n
        dev = np.where(inc, x - mean, 0.0)
        sd = np.sqrt((dev * dev).sum(axis=0) / (n - 1))
    return mean, sd


def battery(c: Columns) -> list[TestColumn]:
    """Every test of METHODS.md section 5 and of :mod:`~eventstudy.inference.extra`
    for every column, in :data:`TEST_NAMES` order."""
    inc = c.included
    n = inc.sum(axis=0)
    nf = n.astype(float)
    few = n < 2
    notes = [
        f"fewer than 2 events with a CAR (N={k}): no cross-sectional test" if k < 2 else ""
        for k in n.tolist()
    ]
    dfree = np.where(few, np.nan, nf - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_car, sd_car = _moments(c.car, inc, nf)
        t_cs = mean_car / (sd_car / np.sqrt(nf))
        d = c.dof.astype(float)[:, None]
        patell = np.where(inc, c.scar, 0.0).sum(axis=0) / np.sqrt(
            np.where(inc, d / (d - 2.0), 0.0).sum(axis=0)
        )
        mean_s, sd_s = _moments(c.scar, inc, nf)
        bmp = mean_s / (sd_s / np.sqrt(nf))
        r = c.kp_r
        kp = bmp * np.sqrt((1.0 - r) / (1.0 + (nf - 1.0) * r))
        w = (inc & (c.car > 0)).sum(axis=0).astype(float)
        p_hat = np.where(inc, c.pos_share[:, None], 0.0).sum(axis=0) / nf
        gen = (w - nf * p_hat) / np.sqrt(nf * p_hat * (1.0 - p_hat))
        sign = (w - nf / 2.0) / np.sqrt(nf / 4.0)
        # d/(d-2) is the variance of a t(d) SCAR only for d > 2: otherwise not defined
        small_d = (inc & ~(d > 2.0)).any(axis=0)
        patell = np.where(small_d, np.nan, patell)
        adj = extra.adj_patell(patell, r, nf)
        skew = extra.skew_t(c.car, inc, nf)
    alt = c.alternative
    w_plus, w_p, w_notes = wilcoxon_columns(c.car, inc, alt)
    half = np.full(len(n), 0.5)
    skew_p = alternative.from_two_sided(two_sided_normal(skew), skew, alt)
    if c.skew_reps > 0:
        boot = extra.skew_t_bootstrap_p(c.car, inc, skew, alt, c.skew_reps, c.seed)
        skew_p = np.where(n <= extra.SKEW_BOOT_MAX_N, boot, skew_p)
    skew_few = (n >= 2) & (n < extra.SKEW_BOOT_MIN_N)
    skew_p = np.where(skew_few, np.nan, skew_p)
    skew_notes = [
        f"fewer than {extra.SKEW_BOOT_MIN_N} events (N={k}): too few distinct resamples "
        "for the bootstrap p"
        if bad
        else note
        for k, bad, note in zip(n.tolist(), skew_few.tolist(), notes, strict=True)
    ]
    exact_p = {
        "skew_t": skew_p,
        "sign_exact": alternative.binom_p(w, nf, half, alt, extra.binom_two_sided(w, nf, half)),
        "gen_sign_exact": alternative.binom_p(
            w, nf, p_hat, alt, extra.binom_two_sided(w, nf, p_hat)
        ),
    }
    nan_k = np.full(len(n), np.nan)
    pre = c.precomputed or {}
    own_df = {name: pre.get(name, (nan_k, nan_k))[1] for name in ("bw_crude", "grank")}
    values = {
        "t_cs": t_cs,
        "patell": patell,
        "bmp": bmp,
        "kp": kp,
        "gen_sign": gen,
        "sign": sign,
        "corrado": c.corrado,
        "bw_crude": pre.get("bw_crude", (nan_k, nan_k))[0],
        "grank": pre.get("grank", (nan_k, nan_k))[0],
        "adj_patell": adj,
        "skew_t": skew,
        "sign_exact": w,
        "gen_sign_exact": w,
    }
    d_note = [
        "not defined: an event has d <= 2 degrees of freedom, so Var(SCAR) = d/(d-2) "
        "does not exist (lengthen the estimation window)"
        if bad and not few_k
        else ""
        for bad, few_k in zip(np.asarray(small_d).tolist(), few.tolist(), strict=True)
    ]
    out = []
    for name in TEST_NAMES:
        dist = DISTRIBUTIONS[name]
        if name == "wilcoxon":
            stat, p = w_plus, w_p
            col_notes = [a or b for a, b in zip(notes, w_notes, strict=True)]
        elif name in exact_p:
            stat, p = values[name], exact_p[name]
            col_notes = skew_notes if name == "skew_t" else notes
        else:
            stat = values[name]
            tdf = own_df.get(name, dfree)
            p = two_sided_t(stat, tdf) if dist == "t" else two_sided_normal(stat)
            p = alternative.from_two_sided(p, stat, alt)
            col_notes = notes
        if name in ("patell", "adj_patell"):
            col_notes = [a or b for a, b in zip(col_notes, d_note, strict=True)]
        stat = np.where(few, np.nan, stat)
        p = np.where(few | np.isnan(stat), np.nan, p)
        df = own_df.get(name, dfree) if dist == "t" else np.full(len(n), np.nan)
        df = np.where(few, np.nan, df)
        out.append(TestColumn(name, stat, p, dist, df, n, col_notes))
    return out
