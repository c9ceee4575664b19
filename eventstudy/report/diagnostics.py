"""Every number of statsmodels' OLS summary, for all events at once.

The event page shows the estimation regression the way statsmodels prints it
(coefficients with standard errors, t, p and the 95% interval; R², adjusted
R², F and its p-value, log-likelihood, AIC, BIC; omnibus, skew, kurtosis,
Durbin-Watson, Jarque-Bera, condition number). Refitting 10,000 events one by
one with ``statsmodels.OLS`` costs ~20 ms each; here the same quantities come
from stacked estimation windows in a few array operations:

* the fit is the pseudo-inverse of statsmodels (an SVD of each design ``X``,
  zero rows beyond an event's sample change nothing): ``b = V S^-1 U'y``,
  ``(X'X)^-1 = V S^-2 V'``; the condition number is ``s_max / s_min``;
* ``R² = 1 - SSR/TSS_c``, ``F = (ESS/df_m) / (SSR/df_r)``,
  ``llf = -n/2 (1 + log(2 pi SSR / n))``, ``AIC = -2 llf + 2k``,
  ``BIC = -2 llf + k log n``;
* skew and kurtosis are the biased moment ratios of the residuals; Jarque-Bera
  is ``n/6 (S² + (K-3)²/4)``; the omnibus statistic is D'Agostino-Pearson's
  ``Z_skew² + Z_kurt²`` (the formulas of ``scipy.stats.skewtest`` and
  ``kurtosistest``), both with chi-square(2) p-values;
* Durbin-Watson is ``sum (e_t - e_(t-1))² / sum e_t²``.

Returns are in percent (the constant column stays 1, return regressors are
scaled by 100), as on the page. Events whose design is rank-deficient (never
the case for events the engine estimated) are refitted with statsmodels, so
every number is statsmodels' own definition. ``tests/test_report_diagnostics``
checks each against statsmodels to 1e-10.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import special, stats

if TYPE_CHECKING:
    from eventstudy.report.views import EstimationView

__all__ = ["OLSDiagnostics", "ols_diagnostics"]

RCOND = 1e-15  # statsmodels' pinv cut-off
ALPHA = 0.05
SCALAR_FIELDS = (
    "nobs",
    "df_model",
    "df_resid",
    "rsquared",
    "rsquared_adj",
    "fvalue",
    "f_pvalue",
    "llf",
    "aic",
    "bic",
    "omnibus",
    "omnibus_p",
    "skew",
    "kurtosis",
    "durbin_watson",
    "jarque_bera",
    "jarque_bera_p",
    "cond_no",
    "min_eigval",
)
PARAM_FIELDS = ("params", "bse", "tvalues", "pvalues", "conf_low", "conf_high")


@dataclass(frozen=True)
class OLSDiagnostics:
    """The OLS summary numbers of every event (row ``i`` = event ``i``; NaN: no fit).

    ``fitted`` (N,) says which events have a regression; ``params`` to
    ``conf_high`` are (N, k), every other field (N,).
    """

    fitted: np.ndarray
    nobs: np.ndarray
    df_model: np.ndarray
    df_resid: np.ndarray
    params: np.ndarray
    bse: np.ndarray
    tvalues: np.ndarray
    pvalues: np.ndarray
    conf_low: np.ndarray
    conf_high: np.ndarray
    rsquared: np.ndarray
    rsquared_adj: np.ndarray
    fvalue: np.ndarray
    f_pvalue: np.ndarray
    llf: np.ndarray
    aic: np.ndarray
    bic: np.ndarray
    omnibus: np.ndarray
    omnibus_p: np.ndarray
    skew: np.ndarray
    kurtosis: np.ndarray
    durbin_watson: np.ndarray
    jarque_bera: np.ndarray
    jarque_bera_p: np.ndarray
    cond_no: np.ndarray
    min_eigval: np.ndarray

    def notes(self, i: int) -> list[str]:
        """statsmodels' notes under the summary of event ``i``, one text line each."""
        out = [
            "[1] Standard Errors assume that the covariance matrix of the errors is correctly "
            "specified."
        ]
        if self.min_eigval[i] < 1e-10:
            out += [
                f"[2] The smallest eigenvalue is {self.min_eigval[i]:6.3g}. This might "
                "indicate that there are",
                "strong multicollinearity problems or that the design matrix is singular.",
            ]
        elif self.cond_no[i] > 1000:
            out += [
                f"[2] The condition number is large, {self.cond_no[i]:6.3g}. This might "
                "indicate that there are",
                "strong multicollinearity or other numerical problems.",
            ]
        return out


def percent_design(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(100 y, x)`` with every regressor but the constant scaled by 100."""
    xs = x.copy()
    xs[..., 1:] *= 100.0
    return 100.0 * y, xs


def ols_diagnostics(view: EstimationView) -> OLSDiagnostics:
    """The summary numbers of every event's estimation regression (returns in percent)."""
    n_ev = len(view.n)
    k = view.x.shape[2] if view.x is not None else 0
    out = _blank(n_ev, k)
    if view.x is None or k == 0 or view.y.shape[1] == 0:
        return out
    y, x = percent_design(view.y, view.x)
    n = view.n.astype(np.int64)
    valid = np.arange(y.shape[1])[None, :] < n[:, None]
    finite = np.where(valid, np.isfinite(y) & np.isfinite(x).all(axis=2), True).all(axis=1)
    rows = np.flatnonzero((n > k) & finite)
    if not len(rows):
        return out
    vy = np.where(valid[rows], y[rows], 0.0)
    vx = np.where(valid[rows, :, None], x[rows], 0.0)
    u, s, vt = np.linalg.svd(vx, full_matrices=False)
    full = (s > RCOND * s.max(axis=1, keepdims=True)).all(axis=1)
    good = rows[full]
    if len(good):
        _fill(
            out, good, _stack(vy[full], vx[full], valid[good], n[good], u[full], s[full], vt[full])
        )
    for i in rows[~full]:
        _fill(out, np.array([i]), _statsmodels(y[i, : n[i]], x[i, : n[i]]))
    return out


def _blank(n_ev: int, k: int) -> OLSDiagnostics:
    values: dict[str, Any] = {"fitted": np.zeros(n_ev, bool)}
    for f in SCALAR_FIELDS:
        values[f] = np.full(n_ev, np.nan)
    for f in PARAM_FIELDS:
        values[f] = np.full((n_ev, k), np.nan)
    return OLSDiagnostics(**values)


def _fill(out: OLSDiagnostics, rows: np.ndarray, values: dict[str, np.ndarray]) -> None:
    out.fitted[rows] = True
    for f in fields(out):
        if f.name in values:
            getattr(out, f.name)[rows] = values[f.name]


def _stack(
    y: np.ndarray,
    x: np.ndarray,
    valid: np.ndarray,
    n_int: np.ndarray,
    u: np.ndarray,
    s: np.ndarray,
    vt: np.ndarray,
) -> dict[str, np.ndarray]:
    """The statistics of full-rank events (rows zero beyond each event's ``n``)."""
    k = x.shape[2]
    n = n_int.astype(float)
    sinv = 1.0 / s
    params = np.einsum("mjk,mj->mk", vt, sinv * np.einsum("mlj,ml->mj", u, y))
    norm_cov = np.einsum("mjk,mj,mjl->mkl", vt, sinv * sinv, vt)
    resid = np.where(valid, y - np.einsum("mlk,mk->ml", x, params), 0.0)
    ssr = np.einsum("ml,ml->m", resid, resid)
    centered = np.where(valid, y - (y.sum(axis=1) / n)[:, None], 0.0)
    tss = np.einsum("ml,ml->m", centered, centered)
    df_model = np.full(len(n), k - 1.0)
    df_resid = n - k
    with np.errstate(divide="ignore", invalid="ignore"):
        rsq = np.zeros(len(n)) if k == 1 else 1.0 - ssr / tss
        rsq_adj = 1.0 - (n - 1.0) / df_resid * (1.0 - rsq)
        if k > 1:
            fvalue = ((tss - ssr) / df_model) / (ssr / df_resid)
            f_pvalue = stats.f.sf(fvalue, df_model, df_resid)
        else:
            fvalue = f_pvalue = np.full(len(n), np.nan)
        llf = -np.log(ssr) * n / 2 - (1.0 + np.log(np.pi / (n / 2))) * n / 2
        scale = ssr / df_resid
        bse = np.sqrt(scale[:, None] * np.einsum("mkk->mk", norm_cov))
        tvalues = params / bse
    pvalues = stats.t.sf(np.abs(tvalues), df_resid[:, None]) * 2
    q = stats.t.ppf(1 - ALPHA / 2, df_resid)[:, None]
    eig = s * s
    eig_max, eig_min = eig.max(axis=1), eig.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond_no = np.where(eig_min > 0, np.sqrt(eig_max / eig_min), np.inf)
    return {
        "nobs": n,
        "df_model": df_model,
        "df_resid": df_resid,
        "params": params,
        "bse": bse,
        "tvalues": tvalues,
        "pvalues": pvalues,
        "conf_low": params - q * bse,
        "conf_high": params + q * bse,
        "rsquared": rsq,
        "rsquared_adj": rsq_adj,
        "fvalue": fvalue,
        "f_pvalue": f_pvalue,
        "llf": llf,
        "aic": -2 * llf + 2 * k,
        "bic": -2 * llf + np.log(n) * k,
        **residual_tests(resid, valid, n_int),
        "cond_no": cond_no,
        "min_eigval": eig_min,
    }


def residual_tests(
    resid: np.ndarray, valid: np.ndarray, n_int: np.ndarray
) -> dict[str, np.ndarray]:
    """Skew, kurtosis, Jarque-Bera, omnibus and Durbin-Watson of each row's valid residuals.

    Rows are left-aligned (``valid[i]`` is ``n_int[i]`` leading ``True``s);
    ``resid`` is anything where not valid.
    """
    n = n_int.astype(float)
    e = np.where(valid, resid, 0.0)
    mean = e.sum(axis=1) / n
    d = np.where(valid, e - mean[:, None], 0.0)
    d2 = d * d
    m2 = d2.sum(axis=1) / n
    m3 = (d2 * d).sum(axis=1) / n
    m4 = (d2 * d2).sum(axis=1) / n
    eps = np.finfo(float).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        zero = m2 <= (eps * mean) ** 2
        skew = np.where(zero, np.nan, m3 / m2**1.5)
        kurt = np.where(zero, np.nan, m4 / m2**2.0)
        jb = (n / 6.0) * (skew**2 + (1 / 4.0) * (kurt - 3) ** 2)
        k2 = _skew_z(skew, n) ** 2 + _kurtosis_z(kurt, n) ** 2
        k2 = np.where(n_int < 8, np.nan, k2)  # statsmodels' omni_normtest: n < 8 -> NaN
        step = np.where(valid[:, 1:], np.diff(e, axis=1), 0.0)
        dw = (step * step).sum(axis=1) / (e * e).sum(axis=1)
    return {
        "skew": skew,
        "kurtosis": kurt,
        "jarque_bera": jb,
        "jarque_bera_p": special.chdtrc(2, jb),
        "omnibus": k2,
        "omnibus_p": special.chdtrc(2, k2),
        "durbin_watson": dw,
    }


def _skew_z(b2: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``scipy.stats.skewtest``'s statistic of sample skewness ``b2`` (NaN for n < 8)."""
    n = np.where(n < 8, np.nan, n)
    y = b2 * np.sqrt(((n + 1) * (n + 3)) / (6.0 * (n - 2)))
    beta2 = (
        3.0 * (n**2 + 27 * n - 70) * (n + 1) * (n + 3) / ((n - 2.0) * (n + 5) * (n + 7) * (n + 9))
    )
    w2 = -1 + np.sqrt(2 * (beta2 - 1))
    delta = 1 / np.sqrt(0.5 * np.log(w2))
    alpha = np.sqrt(2.0 / (w2 - 1))
    y = np.where(y == 0, 1.0, y)
    return delta * np.log(y / alpha + np.sqrt((y / alpha) ** 2 + 1))


def _kurtosis_z(b2: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``scipy.stats.kurtosistest``'s statistic of sample kurtosis ``b2`` (NaN for n < 5)."""
    n = np.where(n < 5, np.nan, n)
    mean = 3.0 * (n - 1) / (n + 1)
    varb2 = 24.0 * n * (n - 2) * (n - 3) / ((n + 1) * (n + 1.0) * (n + 3) * (n + 5))
    x = (b2 - mean) / varb2**0.5
    sqrtbeta1 = (
        6.0
        * (n * n - 5 * n + 2)
        / ((n + 7) * (n + 9))
        * ((6.0 * (n + 3) * (n + 5)) / (n * (n - 2) * (n - 3))) ** 0.5
    )
    a = 6.0 + 8.0 / sqrtbeta1 * (2.0 / sqrtbeta1 + (1 + 4.0 / (sqrtbeta1**2)) ** 0.5)
    term1 = 1 - 2 / (9.0 * a)
    denom = 1 + x * (2 / (a - 4.0)) ** 0.5
    term2 = np.sign(denom) * np.where(
        denom == 0.0, np.nan, ((1 - 2.0 / a) / np.abs(denom)) ** (1 / 3)
    )
    return (term1 - term2) / (2 / (9.0 * a)) ** 0.5


def _statsmodels(y: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    """The same numbers from ``statsmodels`` itself (rank-deficient designs only)."""
    import warnings

    import statsmodels.api as sm
    from statsmodels.stats.stattools import durbin_watson, jarque_bera, omni_normtest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.OLS(y, x).fit()
        jb, jbp, skew, kurt = jarque_bera(fit.wresid)
        omni, omnip = omni_normtest(fit.wresid)
        conf = np.asarray(fit.conf_int(ALPHA))
        eig = fit.eigenvals
        one = {
            "nobs": fit.nobs,
            "df_model": fit.df_model,
            "df_resid": fit.df_resid,
            "params": fit.params,
            "bse": fit.bse,
            "tvalues": fit.tvalues,
            "pvalues": fit.pvalues,
            "conf_low": conf[:, 0],
            "conf_high": conf[:, 1],
            "rsquared": fit.rsquared,
            "rsquared_adj": fit.rsquared_adj,
            "fvalue": fit.fvalue,
            "f_pvalue": fit.f_pvalue,
            "llf": fit.llf,
            "aic": fit.aic,
            "bic": fit.bic,
            "omnibus": omni,
            "omnibus_p": omnip,
            "skew": skew,
            "kurtosis": kurt,
            "durbin_watson": durbin_watson(fit.wresid),
            "jarque_bera": jb,
            "jarque_bera_p": jbp,
            "cond_no": fit.condition_number,
            "min_eigval": eig[-1],
        }
    return {key: np.asarray(v, dtype=float)[None, ...] for key, v in one.items()}
