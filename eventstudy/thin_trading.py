"""Betas for thinly traded stocks: Scholes-Williams (1977) and Dimson (1979).

Both use the benchmark return of the day before, the day and the day after
(``x_{t-1}, x_t, x_{t+1}``) on the estimation days where the stock return and
all three benchmark returns are present (so the first and last estimation day
drop out: their lag or lead lies outside the window), ``n`` such days:

* ``scholes_williams``: ``b_j = cov(y_t, x_{t+j}) / var(x_{t+j})`` (three simple
  OLS slopes, ``j = -1, 0, +1``), ``rho`` the correlation of ``x_t`` and
  ``x_{t-1}``, ``beta = (b_-1 + b_0 + b_+1) / (1 + 2 rho)``; ``d = n - 2``.
* ``dimson``: OLS of ``y_t`` on ``[1, x_{t-1}, x_t, x_{t+1}]``, ``beta`` the sum
  of the three slopes; ``d = n - 4``.

Then, for both, ``alpha = ybar - beta xbar`` (means over the same days), the
residuals ``e_t = y_t - alpha - beta x_t``, ``sigma^2 = SSR / d``, ``AR_t = R_t
- alpha - beta R_m,t`` and, as for the market model (an approximation here:
the betas are not one OLS fit), ``V_tt = sigma^2 (1 + 1/n + (x_t - xbar)^2 /
Sxx)``. ``r2`` is ``1 - SSR / Syy`` of those residuals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from eventstudy.models import ModelFit
    from eventstudy.panel import Windows

#: Condition number beyond which Dimson's design counts as singular.
MAX_COND = 1e12


def _shifted(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x_{t-1}`` and ``x_{t+1}`` for every column ``t`` (NaN beyond the window)."""
    lag = np.full_like(x, np.nan)
    lead = np.full_like(x, np.nan)
    lag[:, 1:] = x[:, :-1]
    lead[:, :-1] = x[:, 1:]
    return lag, lead


def _centred(v: np.ndarray, used: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.where(used, v, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = z.sum(axis=1) / n
    return np.where(used, z - mean[:, None], 0.0), mean


def fit_thin_trading(model: str, w: Windows) -> ModelFit:
    """``scholes_williams`` or ``dimson`` for every event of the chunk at once."""
    from eventstudy.models import RANK_TOL, market_like_fit, rowdot

    y, x = w.ret_est, w.bench_est
    lag, lead = _shifted(x)
    used = np.isfinite(y) & np.isfinite(x) & np.isfinite(lag) & np.isfinite(lead)
    n_est = used.sum(axis=1)
    n = n_est.astype(float)
    dy, ybar = _centred(y, used, n)
    dx, xbar = _centred(x, used, n)
    dl, _ = _centred(lag, used, n)
    dd, _ = _centred(lead, used, n)

    sxx, syy = rowdot(dx, dx), rowdot(dy, dy)
    sll, sdd = rowdot(dl, dl), rowdot(dd, dd)
    xz = np.where(used, x, 0.0)
    scale = np.maximum(n, rowdot(xz, xz))
    tiny = RANK_TOL**2 * np.maximum(scale, 1e-300)
    k = 2 if model == "scholes_williams" else 4
    rank_ok = (n_est > k) & (sxx > tiny) & (sll > tiny) & (sdd > tiny)
    with np.errstate(invalid="ignore", divide="ignore"):
        if model == "scholes_williams":
            rho = rowdot(dx, dl) / np.sqrt(sxx * sll)
            slopes = rowdot(dy, dl) / sll + rowdot(dy, dx) / sxx + rowdot(dy, dd) / sdd
            denom = 1.0 + 2.0 * rho
            rank_ok &= np.abs(denom) > RANK_TOL
            beta = slopes / denom
        else:
            design = np.stack([dl, dx, dd], axis=2)  # centred: the intercept drops out
            xtx = np.einsum("ntk,ntl->nkl", design, design)
            xty = np.einsum("ntk,nt->nk", design, dy)
            good = rank_ok.copy()
            if good.any():
                good[good] = np.linalg.cond(xtx[good]) < MAX_COND
            coef = np.full((len(y), 3), np.nan)
            if good.any():
                coef[good] = np.linalg.solve(xtx[good], xty[good][:, :, None])[:, :, 0]
            rank_ok = good
            beta = coef.sum(axis=1)
        beta = np.where(rank_ok, beta, np.nan)
        alpha = ybar - beta * xbar
        resid = np.where(used, dy - beta[:, None] * dx, np.nan)
        ssr = np.where(rank_ok, np.nansum(resid**2, axis=1), np.nan)
        dof = n_est - k
        sigma2 = np.where(rank_ok & (dof > 0), ssr / np.maximum(dof, 1), np.nan)
        r2 = np.where(rank_ok, 1.0 - ssr / syy, np.nan)
    return market_like_fit(model, w, alpha, beta, sigma2, r2, n_est, dof, resid, rank_ok, xbar, sxx)
