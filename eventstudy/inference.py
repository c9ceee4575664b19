"""Per-event CAR statistics and the cross-sectional test battery (METHODS.md 4-5).

Every test returns one :class:`TestResult` shape: name, statistic, p-value,
null distribution, degrees of freedom and ``N``. All p-values are two-sided.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

TEST_NAMES = ("t_cs", "patell", "bmp", "kp", "gen_sign", "sign", "corrado", "wilcoxon")


@dataclass(frozen=True)
class TestResult:
    """One test statistic with its null distribution and two-sided p-value."""

    name: str
    statistic: float
    p_value: float
    distribution: str
    df: float | None
    n: int
    note: str = ""


def two_sided_t(stat: np.ndarray | float, df: np.ndarray | float) -> np.ndarray:
    """``2 P(T_df > |stat|)``."""
    return 2.0 * stats.t.sf(np.abs(stat), df)


def two_sided_normal(stat: np.ndarray | float) -> np.ndarray:
    """``2 P(Z > |stat|)``."""
    return 2.0 * stats.norm.sf(np.abs(stat))


@dataclass(frozen=True)
class CarStats:
    """Per-event CAR over one window: ``car, se, t, p, scar`` (N,)."""

    car: np.ndarray
    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    scar: np.ndarray


def car_stats(ar: np.ndarray, car_var: np.ndarray, dof: np.ndarray, cols: np.ndarray) -> CarStats:
    """``CAR = sum AR``; ``SE = sqrt(1'V_w 1)``; ``t = SCAR = CAR/SE``; p from ``t_d``.

    A window with any missing AR has no CAR (NaN).
    """
    window = ar[:, cols]
    complete = np.isfinite(window).all(axis=1)
    car = np.where(complete, window.sum(axis=1), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.where(complete, np.sqrt(car_var), np.nan)
        t = car / se
    p = np.where(np.isfinite(t), two_sided_t(t, np.where(dof > 0, dof, 1)), np.nan)
    return CarStats(car=car, se=se, t=t, p=p, scar=t)


@dataclass(frozen=True)
class CrossSection:
    """Inputs of the cross-sectional tests for one window (rows = included events)."""

    car: np.ndarray
    scar: np.ndarray
    dof: np.ndarray
    pos_share: np.ndarray
    corrado: float
    kp_r: float


def cross_sectional_tests(cs: CrossSection) -> list[TestResult]:
    """Every test of METHODS.md section 5 for one window."""
    n = len(cs.car)
    if n < 2:
        note = f"fewer than 2 events with a CAR (N={n}): no cross-sectional test"
        return [TestResult(name, np.nan, np.nan, "", None, n, note) for name in TEST_NAMES]
    out: list[TestResult] = []
    sqn = np.sqrt(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        t_cs = cs.car.mean() / (cs.car.std(ddof=1) / sqn)
        out.append(TestResult("t_cs", t_cs, float(two_sided_t(t_cs, n - 1)), "t", n - 1, n))
        d = cs.dof.astype(float)
        patell = cs.scar.sum() / np.sqrt(np.sum(d / (d - 2.0)))
        out.append(TestResult("patell", patell, float(two_sided_normal(patell)), "normal", None, n))
        bmp = cs.scar.mean() / (cs.scar.std(ddof=1) / sqn)
        out.append(TestResult("bmp", bmp, float(two_sided_t(bmp, n - 1)), "t", n - 1, n))
        r = cs.kp_r
        kp = bmp * np.sqrt((1.0 - r) / (1.0 + (n - 1) * r))
        out.append(TestResult("kp", kp, float(two_sided_t(kp, n - 1)), "t", n - 1, n))
        w = float((cs.car > 0).sum())
        p = float(cs.pos_share.mean())
        gen = (w - n * p) / np.sqrt(n * p * (1.0 - p))
        out.append(TestResult("gen_sign", gen, float(two_sided_normal(gen)), "normal", None, n))
        sign = (w - n / 2.0) / np.sqrt(n / 4.0)
        out.append(TestResult("sign", sign, float(two_sided_normal(sign)), "normal", None, n))
    corr = cs.corrado
    out.append(TestResult("corrado", corr, float(two_sided_normal(corr)), "normal", None, n))
    out.append(_wilcoxon(cs.car))
    return out


def _wilcoxon(car: np.ndarray) -> TestResult:
    """``W+`` = sum of the ranks of ``|CAR|`` over positive CARs; p from scipy."""
    n = len(car)
    nonzero = car[car != 0]
    if len(nonzero) == 0:
        return TestResult("wilcoxon", np.nan, np.nan, "", None, n, "every CAR is zero")
    ranks = stats.rankdata(np.abs(nonzero))
    w_plus = float(ranks[nonzero > 0].sum())
    p = float(stats.wilcoxon(car, alternative="two-sided").pvalue)
    return TestResult("wilcoxon", w_plus, p, "wilcoxon signed-rank", None, n)


def corrado_u(resid_all: np.ndarray) -> np.ndarray:
    """``U_it = rank_it / (T_i + 1) - 1/2`` over each row's non-missing days.

    Ranks are average ranks for ties; ``T_i`` is the row's count of
    non-missing values. Missing days stay NaN.
    """
    ranks = stats.rankdata(resid_all, axis=1, nan_policy="omit")
    t = np.isfinite(resid_all).sum(axis=1)
    return ranks / (t[:, None] + 1.0) - 0.5


def corrado_statistic(u: np.ndarray, window_cols: np.ndarray) -> float:
    """Corrado-Zivney rank statistic, multi-day per Campbell-Wasley.

    ``Ubar_t`` = mean of ``U_it`` over the events with a value on day ``t``;
    ``S = sqrt(mean_t Ubar_t^2)``; statistic = ``sum_{t in w} Ubar_t / (sqrt(L) S)``.
    """
    with np.errstate(invalid="ignore"):
        counts = np.isfinite(u).sum(axis=0)
        ubar = np.where(counts > 0, np.nansum(u, axis=0) / np.maximum(counts, 1), np.nan)
        s = np.sqrt(np.nanmean(ubar**2))
        return float(np.sum(ubar[window_cols]) / (np.sqrt(len(window_cols)) * s))
